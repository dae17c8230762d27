"""Use cases: one verb per function; each owns its transaction through a unit of work."""
