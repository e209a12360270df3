"""The only catalogue code that touches the world: its database tables and queries."""
