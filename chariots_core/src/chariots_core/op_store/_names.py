"""Checks on the op and pipeline names clients send, and the saver keys made from them.

The rules are regular expressions (:data:`OP_NAME_PATTERN`, :data:`PIPELINE_NAME_PATTERN`) so
that the op store's OpenAPI document states exactly what the server accepts.
"""

from __future__ import annotations

import hashlib
import re

from chariots_core.errors import BadRequest
from chariots_core.op_store._models import NAME_LENGTH
from chariots_core.versioning import Version

_CONTROL = r"\u0000-\u001f\u007f-\u009f"
#: an op name: no control character, '/' or '\\'; not starting with '.' or a space (so neither
#: '.' nor '..', nor a hidden file), not ending with a space; at most NAME_LENGTH characters
OP_NAME_PATTERN = rf"^[^ ./\\{_CONTROL}](?:[^/\\{_CONTROL}]*[^ /\\{_CONTROL}])?$"
#: a pipeline name: no control character; at most NAME_LENGTH characters
PIPELINE_NAME_PATTERN = rf"^[^{_CONTROL}]+$"
_OP_NAME = re.compile(OP_NAME_PATTERN)
_PIPELINE_NAME = re.compile(PIPELINE_NAME_PATTERN)
_HAS_CONTROL = re.compile(rf"[{_CONTROL}]")
#: op names longer than this in UTF-8 are kept under a hashed folder name (file systems take
#: 255 bytes per path component)
_MAX_KEY_PART_BYTES = 200
_LONG_NAMES_FOLDER = ".long-op-names"


def _check_name(kind: str, name: object) -> str:
    if not isinstance(name, str):
        raise BadRequest(f"{kind} name must be a string, not {type(name).__name__}")
    if not name:
        raise BadRequest(f"{kind} name must not be empty")
    if len(name) > NAME_LENGTH:
        raise BadRequest(f"{kind} name is longer than {NAME_LENGTH} characters: {name[:40]!r}...")
    if _HAS_CONTROL.search(name):
        raise BadRequest(f"{kind} name must not hold control characters: {name[:80]!r}")
    return name


def check_op_name(op_name: object) -> str:
    """``op_name`` if it is a usable op name (:data:`OP_NAME_PATTERN`); ``BadRequest`` otherwise.

    Op names become part of the path of the op's bytes, so they may not hold ``/`` or ``\\``,
    nor start with ``.`` (nothing may climb out of the saver's folder, or hide in it).
    """
    name = _check_name("op", op_name)
    if "/" in name or "\\" in name:
        raise BadRequest(f"op name must not hold '/' or '\\': {name[:80]!r}")
    if name.startswith("."):
        raise BadRequest(f"op name must not start with '.': {name[:80]!r}")
    if not _OP_NAME.match(name):
        raise BadRequest(f"op name must not start or end with a space: {name[:80]!r}")
    return name


def check_pipeline_name(pipeline_name: object) -> str:
    """``pipeline_name`` if it is a usable pipeline name; ``BadRequest`` otherwise."""
    name = _check_name("pipeline", pipeline_name)
    assert _PIPELINE_NAME.match(name)
    return name


def check_version(version: object, what: str = "version") -> Version:
    """``version`` if it is a :class:`Version`; ``BadRequest`` otherwise."""
    if not isinstance(version, Version):
        raise BadRequest(f"{what} must be a Version, not {type(version).__name__}")
    return version


def parse_version(version_string: object, what: str = "version") -> Version:
    """Read a version string (``str(version)``); ``BadRequest`` when it is not one."""
    if not isinstance(version_string, str):
        raise BadRequest(f"{what} must be a version string, not {type(version_string).__name__}")
    try:
        return Version.parse(version_string)
    except ValueError as error:
        raise BadRequest(f"{what}: {error}") from None


def saver_key(op_name: str, version: Version) -> str:
    """Where the bytes of ``version`` of ``op_name`` are kept, relative to the saver's root.

    ``<op name>/<major>_<minor>_<patch>``; an op name too long for a file name (over 200 bytes
    in UTF-8) is replaced by its SHA-256 under a folder no op name can take.
    """
    name = check_op_name(op_name)
    folder = name
    if len(name.encode("utf-8")) > _MAX_KEY_PART_BYTES:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()
        folder = f"{_LONG_NAMES_FOLDER}/{digest}"
    return f"{folder}/{version.major}_{version.minor}_{version.patch}"
