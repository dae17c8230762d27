"""The operational store: SQLAlchemy Core tables, repositories and the unit of work."""
