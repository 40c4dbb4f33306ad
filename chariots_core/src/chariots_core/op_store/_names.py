"""Checks on the op and pipeline names clients send, and the saver keys made from them."""

from __future__ import annotations

import unicodedata

from chariots_core.errors import BadRequest
from chariots_core.op_store._models import NAME_LENGTH
from chariots_core.versioning import Version


def _check_name(kind: str, name: object) -> str:
    if not isinstance(name, str):
        raise BadRequest(f"{kind} name must be a string, not {type(name).__name__}")
    if not name:
        raise BadRequest(f"{kind} name must not be empty")
    if len(name) > NAME_LENGTH:
        raise BadRequest(f"{kind} name is longer than {NAME_LENGTH} characters: {name[:40]!r}...")
    if any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in name):
        raise BadRequest(f"{kind} name must not hold control characters: {name!r}")
    return name


def check_op_name(op_name: object) -> str:
    """``op_name`` if it is a usable op name; ``BadRequest`` otherwise.

    Op names become part of the path of the op's bytes, so they may not hold ``/``, ``\\`` or
    ``..`` (nothing may climb out of the saver's folder), nor control characters.
    """
    name = _check_name("op", op_name)
    if "/" in name or "\\" in name:
        raise BadRequest(f"op name must not hold '/' or '\\': {name!r}")
    if ".." in name:
        raise BadRequest(f"op name must not hold '..': {name!r}")
    if name.strip() != name:
        raise BadRequest(f"op name must not start or end with white space: {name!r}")
    return name


def check_pipeline_name(pipeline_name: object) -> str:
    """``pipeline_name`` if it is a usable pipeline name; ``BadRequest`` otherwise."""
    return _check_name("pipeline", pipeline_name)


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
    """Where the bytes of ``version`` of ``op_name`` are kept, relative to the saver's root."""
    return f"{check_op_name(op_name)}/{version.major}_{version.minor}_{version.patch}"
