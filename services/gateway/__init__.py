"""gateway — the single authenticated HTTP API for provincial systems and archivists."""
