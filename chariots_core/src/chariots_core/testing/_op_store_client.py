"""`TestOpStoreClient`: an op store client for tests and docs, with its server in-process."""

from __future__ import annotations

import os

from chariots_core._transport import FlaskTestTransport
from chariots_core.op_store import HttpOpStoreClient, OpStore, OpStoreServer
from chariots_core.op_store._op_store import DEFAULT_DB_FILE
from chariots_core.op_store.savers import BaseSaver


class TestOpStoreClient(HttpOpStoreClient):
    """The op store API through the Flask test client of an :class:`OpStoreServer`.

    The server keeps its SQLite database and op bytes in the folder ``path`` (``OpStore(path=
    path)``), or the op bytes in ``saver`` when one is given (as the original chariots took it),
    so requests go through the same routes, JSON and error handling as over the network,
    without a port. ``client.server`` is that server (``client.server.db.create_all()`` makes
    the schema; it is also made on first use), ``client.db_path`` its SQLite file
    (``path/chariots.db``: open it with ``sqlite:///{client.db_path}`` to look at the records)
    and ``client.saver`` where the op bytes are (``path/ops/``, or the saver given).
    """

    __test__ = False  # not a pytest test class

    def __init__(self, path: str | os.PathLike[str], saver: BaseSaver | None = None) -> None:
        self.op_store = OpStore(saver=saver, path=path)
        self.db_path = os.path.join(os.fspath(path), DEFAULT_DB_FILE)
        self.saver = self.op_store.saver
        self.server = OpStoreServer(self.op_store)
        super().__init__(FlaskTestTransport(self.server))

    def close(self) -> None:
        super().close()
        self.op_store.close()
