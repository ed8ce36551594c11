"""Real local stand-ins for external services used by the tests (Redis, TMDB)."""
