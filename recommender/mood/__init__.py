"""Mood -> films: the emotion -> genre table and the mood ranking."""
