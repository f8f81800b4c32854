"""Alembic environment: migrates over the connection `SessionStore.migrate()` hands in."""

from alembic import context

config = context.config
connection = config.attributes.get("connection")

if connection is None:
    # Offline mode (`alembic upgrade --sql`) for a DBA who wants the SQL script instead.
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
else:
    # Sharing the caller's connection keeps its SQLite pragmas and its PostgreSQL search_path.
    context.configure(connection=connection)

with context.begin_transaction():
    context.run_migrations()
