"""The op store: which versions of which ops were saved, their bytes, and what was validated.

- :class:`OpStore`: in-process, on a database (SQLite file by default, or PostgreSQL) and a
  saver for op bytes (a local folder, or any fsspec URL);
- :class:`OpStoreServer` / :class:`OpStoreClient`: the same API over HTTP;
- :mod:`~chariots_core.op_store.savers`: where op bytes are kept;
- :mod:`~chariots_core.op_store.models`: the database models (under the original chariots'
  names too).

:class:`OpStoreServer` is imported on first use (it brings Flask): a worker, which reads the op
store in-process or through a client, loads no web server.
"""

from typing import TYPE_CHECKING, Any

from chariots_core.op_store import models, savers
from chariots_core.op_store._base_client import BaseOpStoreClient, SavedOpVersion
from chariots_core.op_store._client import HttpOpStoreClient, OpStoreClient
from chariots_core.op_store._op_store import OpStore

if TYPE_CHECKING:
    from chariots_core.op_store._server import OpStoreServer

__all__ = [
    "BaseOpStoreClient",
    "HttpOpStoreClient",
    "OpStore",
    "OpStoreClient",
    "OpStoreServer",
    "SavedOpVersion",
    "models",
    "savers",
]


def __getattr__(name: str) -> Any:
    if name == "OpStoreServer":
        from chariots_core.op_store._server import OpStoreServer

        return OpStoreServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), "OpStoreServer"})
