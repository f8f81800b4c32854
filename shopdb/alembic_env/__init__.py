"""The Alembic environment shared by every package's migrations (env.py)."""
