"""Unit tests: no broker, no database, no network."""
