"""The archiving pipeline: a session, the post path, the page path, one commit per capture."""
