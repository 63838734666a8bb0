"""Evidence: manifests, timestamps, verify, citations, the archived-copy page, exports."""
