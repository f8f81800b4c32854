"""What every package's tables share, without the packages knowing each other.

``UTCDateTime`` is the column type for moments: aware UTC in and out on SQLite and PostgreSQL.
"""

from shopdb.columns import UTCDateTime

__all__ = ["UTCDateTime"]
