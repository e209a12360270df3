"""The only handover code that touches the world: database tables and bag building."""
