"""Alembic migration scripts for shopchat's database, shipped inside the package.

`SessionStore.migrate()` runs them; no alembic.ini is needed. A feature that needs a table adds
one revision file to `versions/` whose `down_revision` is the previous newest revision.
"""
