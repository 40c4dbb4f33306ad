"""The database chariots keeps its records in: SQLite by default, PostgreSQL beyond one machine.

:class:`Database` wraps one engine and its sessions; :data:`Base` is the declarative base the op
store's (and the job store's) tables are declared on; the schema comes from Alembic migrations
shipped in this package and run by :meth:`Database.create_all`.
"""

from chariots_core.database._base import Base, JSONDocument, UTCDateTime, utc_now
from chariots_core.database._database import Database, close_sqlite_connections
from chariots_core.database._doorbell import Doorbell
from chariots_core.database._migrations import VERSION_TABLE, alembic_config
from chariots_core.database._urls import normalize_url

__all__ = [
    "VERSION_TABLE",
    "Base",
    "Database",
    "Doorbell",
    "JSONDocument",
    "UTCDateTime",
    "alembic_config",
    "close_sqlite_connections",
    "normalize_url",
    "utc_now",
]
