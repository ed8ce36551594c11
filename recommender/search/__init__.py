"""Similarity search: sentence encoder, vector index, TF-IDF and their hybrid fusion."""
