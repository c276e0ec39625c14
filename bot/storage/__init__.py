"""Persistence: SQLAlchemy models, per-user repositories and Alembic migrations."""
