"""Reelmood: emotion-aware movie recommendations."""

__version__ = "1.0.0"
