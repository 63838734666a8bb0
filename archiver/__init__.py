"""Capture social-media posts, and the articles that embed them, as evidence."""

__version__ = "0.1.0"
