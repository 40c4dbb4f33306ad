"""Where op bytes are kept: a local folder, or any fsspec URL that workers can share
(:class:`GoogleStorageSaver` is the original chariots' saver for Google Cloud Storage).

Keys are relative ``/``-separated paths (``<op name>/<major>_<minor>_<patch>``) under the
saver's root. A saver writes whole objects atomically: a reader sees the old bytes or the new
ones, never half of them.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

import fsspec

from chariots_core._optional import import_optional
from chariots_core.errors import BadRequest, OpNotFound


def _check_key(key: str) -> PurePosixPath:
    """``key`` as a relative path that stays under the saver's root; ``BadRequest`` otherwise.

    A key starting with ``/`` is read from the saver's root, as the original chariots wrote its
    paths (``"/models/op/1.0.0"`` is ``"models/op/1.0.0"``)."""
    if not isinstance(key, str) or not key.lstrip("/"):
        raise BadRequest(f"saver key must be a non-empty string: {key!r}")
    key = key.lstrip("/")
    path = PurePosixPath(key)
    if "\\" in key or path.is_absolute() or any(part in ("", ".", "..") for part in key.split("/")):
        raise BadRequest(f"saver key must be a relative path without '.' or '..': {key!r}")
    return path


def _original_order(key: str | bytes, data: bytes | str) -> tuple[str, bytes]:
    """``save(key, data)``, also called in the original chariots' order ``save(data, path)``
    (the bytes first: a key is a string and the data bytes, so the orders cannot be mistaken)."""
    if isinstance(data, str) and not isinstance(key, str):
        return data, bytes(key)
    if isinstance(key, str) and not isinstance(data, str):
        return key, data
    raise BadRequest(f"a saver saves bytes under a string key, not {key!r} and {data!r}")


class BaseSaver(ABC):
    """Keeps the bytes of saved ops under string keys."""

    @abstractmethod
    def save(self, key: str, data: bytes) -> None:
        """Write ``data`` under ``key``, replacing what was there, atomically."""

    @abstractmethod
    def load(self, key: str) -> bytes:
        """The bytes under ``key``; :class:`~chariots_core.errors.OpNotFound` when none."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the bytes under ``key``; nothing happens when there are none."""


class FileSaver(BaseSaver):
    """Op bytes in files under a local folder (created when missing).

    ``root_path`` is the folder as it was given (a string stays a string, as in the original
    chariots); ``path`` is that folder, absolute, where the files are.
    """

    def __init__(self, root_path: str | os.PathLike[str]) -> None:
        self.root_path = root_path
        self.path: Path = Path(root_path).expanduser().absolute()

    def __repr__(self) -> str:
        return f"FileSaver({str(self.path)!r})"

    def _path(self, key: str) -> Path:
        return self.path.joinpath(*_check_key(key).parts)

    def save(self, key: str, data: bytes) -> None:
        key, data = _original_order(key, data)
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        file_descriptor, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(file_descriptor, "wb") as temp_file:
                temp_file.write(data)
                temp_file.flush()
                os.fsync(temp_file.fileno())
            os.replace(temp_name, path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    def load(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise OpNotFound(f"no op bytes saved under {key!r} in {self.path}") from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class FsspecSaver(BaseSaver):
    """Op bytes under any fsspec URL (``s3://bucket/models``, ``gcs://...``, ``memory://...``).

    ``storage_options`` go to the filesystem (credentials, endpoint...). On object stores a put
    is atomic already; on local filesystems bytes are written aside and moved into place.
    """

    def __init__(self, url: str, **storage_options: Any) -> None:
        self.url = url
        self.storage_options = storage_options
        self._resolved: tuple[Any, str] | None = None
        self._pid = os.getpid()
        self._resolve()  # a URL fsspec cannot read fails here, not at the first save

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"

    def _resolve(self) -> tuple[Any, str]:
        """The filesystem and the root path in it (made once per process: fsspec's async
        filesystems, s3fs's and gcsfs's, refuse to be used in a forked child, such as a worker's
        work horse, so a child makes its own)."""
        if self._resolved is None or self._pid != os.getpid():
            fs, root = fsspec.core.url_to_fs(self.url, **self.storage_options)
            self._resolved, self._pid = (fs, str(root).rstrip("/")), os.getpid()
        return self._resolved

    @property
    def fs(self) -> Any:
        """The fsspec filesystem the bytes are kept on."""
        return self._resolve()[0]

    @property
    def root(self) -> str:
        """The saver's root path on :attr:`fs`."""
        return self._resolve()[1]

    def __getstate__(self) -> dict[str, Any]:
        # a pickled saver (sent to a worker process) makes its filesystem anew where it lands
        return {**self.__dict__, "_resolved": None}

    def _path(self, key: str) -> str:
        return f"{self.root}/{_check_key(key)}"

    def _is_local(self) -> bool:
        protocols = (self.fs.protocol,) if isinstance(self.fs.protocol, str) else self.fs.protocol
        return "file" in protocols or "local" in protocols

    def save(self, key: str, data: bytes) -> None:
        key, data = _original_order(key, data)
        path = self._path(key)
        parent = path.rsplit("/", 1)[0]
        self.fs.makedirs(parent, exist_ok=True)
        if not self._is_local():
            self.fs.pipe_file(path, data)
            return
        temp_path = f"{parent}/.{path.rsplit('/', 1)[1]}.{os.urandom(8).hex()}.tmp"
        try:
            self.fs.pipe_file(temp_path, data)
            self.fs.mv(temp_path, path)
        except BaseException:
            if self.fs.exists(temp_path):
                self.fs.rm_file(temp_path)
            raise

    def load(self, key: str) -> bytes:
        try:
            data = self.fs.cat_file(self._path(key))
        except FileNotFoundError:
            raise OpNotFound(f"no op bytes saved under {key!r} in {self.url}") from None
        return bytes(data)

    def delete(self, key: str) -> None:
        path = self._path(key)
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(path)


class GoogleStorageSaver(FsspecSaver):
    """Op bytes in a Google Cloud Storage bucket, on fsspec's ``gcs://`` filesystem (gcsfs:
    ``pip install 'chariots-core[gcs]'``).

    Built as the original chariots built it: ``GoogleStorageSaver(root_path, bucket_name,
    client_kwargs)`` keeps the bytes under ``gcs://<bucket_name>/<root_path>/``;
    ``client_kwargs`` go to gcsfs (``project``, ``token``, ...), as they went to the Google
    Cloud client. The filesystem is made on first use, so building the saver needs neither gcsfs
    nor the network. ``FsspecSaver("gcs://bucket/path")`` is the same saver.
    """

    protocol = "gcs"

    def __init__(
        self,
        root_path: str,
        bucket_name: str,
        client_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        if not bucket_name or "/" in bucket_name:
            raise ValueError(f"bucket_name must be a bucket's name, not {bucket_name!r}")
        self.root_path = root_path
        self.bucket_name = bucket_name
        self.client_kwargs = dict(client_kwargs or {})
        root = "/".join(part for part in str(root_path).split("/") if part)
        self.url = f"{self.protocol}://{bucket_name}/{root}".rstrip("/")
        self.storage_options = self.client_kwargs
        self._resolved = None

    def _resolve(self) -> tuple[Any, str]:
        if self._resolved is None:
            import_optional("gcsfs", "gcs", "GoogleStorageSaver")
        return super()._resolve()


def saver_from_url(url_or_path: str | os.PathLike[str]) -> BaseSaver:
    """A :class:`FileSaver` for a local path or ``file://`` URL; a :class:`FsspecSaver` else."""
    if isinstance(url_or_path, os.PathLike):
        return FileSaver(url_or_path)
    if url_or_path.startswith("file://"):
        return FileSaver(url2pathname(urlparse(url_or_path).path))
    if "://" in url_or_path:
        return FsspecSaver(url_or_path)
    return FileSaver(url_or_path)


__all__ = ["BaseSaver", "FileSaver", "FsspecSaver", "GoogleStorageSaver", "saver_from_url"]
