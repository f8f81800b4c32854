"""What every package's tables share, without the packages knowing each other.

``UTCDateTime`` is the column type for moments; ``Migrations`` and ``migrate`` run each
package's own Alembic revisions (bot, catalog and checkout each keep theirs)::

    from shopdb import migrate
    from catalog import MIGRATIONS as CATALOG
    migrate(engine, CATALOG)        # the catalog's tables, at their newest revision

``dialect_insert`` and ``upsert`` build INSERT ... ON CONFLICT for PostgreSQL or SQLite,
whichever a connection is on.
"""

from shopdb.columns import UTCDateTime
from shopdb.migrations import Migrations, downgrade, migrate, upgrade
from shopdb.upsert import DialectInsert, dialect_insert, upsert

__all__ = [
    "DialectInsert",
    "Migrations",
    "UTCDateTime",
    "dialect_insert",
    "downgrade",
    "migrate",
    "upgrade",
    "upsert",
]
