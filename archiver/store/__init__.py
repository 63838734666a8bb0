"""The SQLite archive: connection, schema, row writes, the event log, and every named read."""
