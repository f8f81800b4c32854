"""The one Alembic environment every package's migrations run in (see shopdb/migrations.py).

The caller hands in its connection and the package's version table through
``config.attributes``; each package's revisions stay in that package.
"""

from alembic import context

config = context.config
connection = config.attributes.get("connection")
version_table = config.attributes.get("version_table", "alembic_version")

if connection is None:
    # Offline mode (`alembic upgrade --sql`) for a DBA who wants the SQL script instead.
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        literal_binds=True,
        version_table=version_table,
    )
else:
    # Sharing the caller's connection keeps its SQLite pragmas and its PostgreSQL search_path.
    context.configure(connection=connection, version_table=version_table)

with context.begin_transaction():
    context.run_migrations()
