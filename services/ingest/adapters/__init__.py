"""The only ingest code that touches the world: database tables and image decoding."""
