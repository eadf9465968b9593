"""The storage layer: typed SQLAlchemy models, the unit of work and migrations."""
