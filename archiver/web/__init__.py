"""The archive for people: Datasette with its configuration, the demo, the replay server."""
