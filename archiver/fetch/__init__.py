"""Fetching: one HTTP client for a run, the private-address rules, and the WARC it records."""
