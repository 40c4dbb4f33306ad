"""`OpStoreConfig`: where the op store keeps its records and op bytes, and where it listens."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chariots_core.config._urls import server_url
from chariots_core.op_store import OpStoreClient, OpStoreServer
from chariots_core.op_store.savers import BaseSaver, FileSaver, FsspecSaver, GoogleStorageSaver

#: the saver types a configuration file may give (the original chariots' spellings, and fsspec)
SAVER_TYPES: dict[str, type[BaseSaver]] = {
    **dict.fromkeys(["FileSaver", "file_saver", "file-saver"], FileSaver),
    **dict.fromkeys(
        [
            "GoogleStorage",
            "google_storage",
            "google-storage",
            "GoogleStorageSaver",
            "google_storage_saver",
            "google-storage-saver",
        ],
        GoogleStorageSaver,
    ),
    **dict.fromkeys(["FsspecSaver", "fsspec_saver", "fsspec-saver"], FsspecSaver),
}

#: the op store's database when the configuration gives none, as in the original chariots
DEFAULT_DB_URL = "sqlite:///:memory:"


class OpStoreConfig:
    """The op store part of a :class:`~chariots_core.config.ChariotsConfig`.

    ``saver_type`` is ``"file-saver"`` (``saver_kwargs``: ``root_path``),
    ``"google-storage-saver"`` (``root_path``, ``bucket_name``, ``client_kwargs``) or
    ``"fsspec-saver"`` (``url`` and fsspec's options); ``op_store_db_url`` is the records'
    database (in-memory SQLite by default, as in the original: give a file or PostgreSQL to
    keep them).
    """

    def __init__(
        self,
        server_host: str | None = None,
        server_port: str | int | None = None,
        saver_type: str | None = None,
        saver_kwargs: Mapping[str, Any] | None = None,
        op_store_db_url: str | None = None,
    ) -> None:
        if saver_type not in SAVER_TYPES:
            names = ", ".join(sorted(SAVER_TYPES))
            raise ValueError(f"saver type {saver_type!r} not understood (saver types: {names})")
        self.server_host = server_host
        self.server_port = server_port
        self.saver_type = saver_type
        self.saver_kwargs: dict[str, Any] = dict(saver_kwargs or {})
        self.op_store_db_url = op_store_db_url or DEFAULT_DB_URL

    def get_saver(self) -> BaseSaver:
        """The saver this configuration names, built with ``saver_kwargs``."""
        return SAVER_TYPES[str(self.saver_type)](**self.saver_kwargs)

    def get_server(self) -> OpStoreServer:
        """The op store server (a Flask app) on the configured saver and database."""
        return OpStoreServer(saver=self.get_saver(), db_url=self.op_store_db_url)

    def get_client(self) -> OpStoreClient:
        """A client of the op store server at ``server_host:server_port``."""
        return OpStoreClient(url=server_url("op store", self.server_host, self.server_port))
