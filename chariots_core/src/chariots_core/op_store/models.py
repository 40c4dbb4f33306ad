"""The op store's database models, under the original chariots' names.

The original declared them on Flask-SQLAlchemy; chariots_core declares them on SQLAlchemy 2
(:data:`chariots_core.database.Base`) with a schema of its own, made and migrated by Alembic
(``OpStoreServer.db.create_all()``, :meth:`chariots_core.database.Database.upgrade`). The
original names are documented aliases of the new models:

- ``DBOp``: :class:`OpRecord` (an op, by name);
- ``DBVersion``: :class:`OpVersionRecord` (a saved version of an op, and where its bytes are);
- ``DBValidatedLink``: :class:`ValidatedLinkRecord` (a downstream version validated on an
  upstream one);
- ``DBPipeline``: :class:`PipelineRecord`;
- ``DBPipelineLink``: :class:`PipelineOpRecord` (an op held by a pipeline; the original kept the
  pipeline's links between ops);
- ``db``: :data:`~chariots_core.database.Base`, the declarative base the models are declared on
  (the original's ``db.Model``; its ``metadata`` holds the tables);
- ``SQLAlchemy``: :class:`~chariots_core.database.Database`, the class that holds a database's
  engine and sessions and makes its schema (the original's Flask-SQLAlchemy class).
"""

from chariots_core.database import Base, Database
from chariots_core.op_store._models import (
    OpRecord,
    OpVersionRecord,
    PipelineOpRecord,
    PipelineRecord,
    ValidatedLinkRecord,
)

DBOp = OpRecord
DBVersion = OpVersionRecord
DBValidatedLink = ValidatedLinkRecord
DBPipeline = PipelineRecord
DBPipelineLink = PipelineOpRecord
db = Base
SQLAlchemy = Database

__all__ = [
    "DBOp",
    "DBPipeline",
    "DBPipelineLink",
    "DBValidatedLink",
    "DBVersion",
    "OpRecord",
    "OpVersionRecord",
    "PipelineOpRecord",
    "PipelineRecord",
    "SQLAlchemy",
    "ValidatedLinkRecord",
    "db",
]
