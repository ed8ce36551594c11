"""What runs per request: the Recommender facade, the API, the cache, posters, redaction."""
