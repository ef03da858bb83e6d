"""Alembic migration environment and revisions (shipped with the package)."""
