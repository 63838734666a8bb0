"""Embedded posts in an article (HTML or plain text): pure functions over the platform registry."""
