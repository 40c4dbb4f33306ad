"""`Version`: three chained hashes (major, minor, patch) and a creation time."""

from __future__ import annotations

import hashlib
import math
import re
import time
from functools import total_ordering

from chariots_core.versioning._version_type import VersionType

_EMPTY_HASH = hashlib.sha1(b"", usedforsecurity=False).hexdigest()
_CREATION_TIME = r"-?[0-9]{1,20}(?:\.[0-9]{1,20})?(?:[eE][-+]?[0-9]{1,2})?"
#: what :meth:`Version.parse` reads: three SHA-1 hex digests and a creation time (a decimal
#: number, at most 20 digits on each side of the point and a two-digit exponent: always finite)
VERSION_PATTERN = rf"^[0-9a-f]{{40}}_[0-9a-f]{{40}}_[0-9a-f]{{40}}_{_CREATION_TIME}$"
_TIME = re.compile(_CREATION_TIME)


def _chain(previous: str, data: bytes) -> str:
    return hashlib.sha1(previous.encode("ascii") + b"|" + data, usedforsecurity=False).hexdigest()


@total_ordering
class Version:
    """A version of an op (or of a pipeline's node): a major, a minor and a patch hash.

    Each part is a SHA-1 hex digest that changes whenever something of that importance is fed to
    it (``update``); two versions are equal when their three hashes are, whatever their creation
    times. Versions order by creation time, so the newest of several versions is their ``max``.

    ``str(version)`` gives ``major_minor_patch_creationtime`` and :meth:`parse` reads it back
    (for creation times below 1e100 in size: seconds since the epoch are far below).
    """

    __slots__ = ("_creation_time", "_major", "_minor", "_patch")

    def __init__(
        self,
        major: str = _EMPTY_HASH,
        minor: str = _EMPTY_HASH,
        patch: str = _EMPTY_HASH,
        creation_time: float | None = None,
    ) -> None:
        self._major = major
        self._minor = minor
        self._patch = patch
        self._creation_time = time.time() if creation_time is None else float(creation_time)
        if not math.isfinite(self._creation_time):
            raise ValueError(f"a version's creation time must be finite, not {creation_time!r}")

    @property
    def major(self) -> str:
        return self._major

    @property
    def minor(self) -> str:
        return self._minor

    @property
    def patch(self) -> str:
        return self._patch

    @property
    def creation_time(self) -> float:
        return self._creation_time

    @property
    def hashes(self) -> tuple[str, str, str]:
        """The (major, minor, patch) hashes: what equality compares."""
        return self._major, self._minor, self._patch

    def copy(self) -> Version:
        """An equal version that can be updated without changing this one."""
        return Version(self._major, self._minor, self._patch, creation_time=self._creation_time)

    def update(self, version_type: VersionType, input_bytes: bytes) -> Version:
        """Feed ``input_bytes`` to the part ``version_type`` (in place); returns ``self``."""
        if version_type is VersionType.MAJOR:
            self._major = _chain(self._major, input_bytes)
        elif version_type is VersionType.MINOR:
            self._minor = _chain(self._minor, input_bytes)
        elif version_type is VersionType.PATCH:
            self._patch = _chain(self._patch, input_bytes)
        else:  # pragma: no cover - the enum has three members
            raise TypeError(f"not a VersionType: {version_type!r}")
        return self

    def update_major(self, input_bytes: bytes) -> Version:
        return self.update(VersionType.MAJOR, input_bytes)

    def update_minor(self, input_bytes: bytes) -> Version:
        return self.update(VersionType.MINOR, input_bytes)

    def update_patch(self, input_bytes: bytes) -> Version:
        return self.update(VersionType.PATCH, input_bytes)

    def __add__(self, other: object) -> Version:
        """The version of something made of both: each part chains the two parts' hashes."""
        if not isinstance(other, Version):
            return NotImplemented
        return Version(
            _chain(self._major, other._major.encode("ascii")),
            _chain(self._minor, other._minor.encode("ascii")),
            _chain(self._patch, other._patch.encode("ascii")),
            creation_time=max(self._creation_time, other._creation_time),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.hashes == other.hashes

    def __hash__(self) -> int:
        return hash(self.hashes)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return (self._creation_time, self.hashes) < (other._creation_time, other.hashes)

    def __str__(self) -> str:
        return f"{self._major}_{self._minor}_{self._patch}_{self._creation_time!r}"

    def __repr__(self) -> str:
        return f"<Version major:{self._major[:7]} minor:{self._minor[:7]} patch:{self._patch[:7]}>"

    @classmethod
    def parse(cls, version_string: str) -> Version:
        """Read back what ``str(version)`` wrote; a malformed string raises ``ValueError``.

        The original chariots' form, ``major.minor.patch_creationtime``, reads too.
        """
        parts = str(version_string).split("_")
        if len(parts) == 2 and parts[0].count(".") == 2:  # the original chariots' form
            parts = [*parts[0].split("."), parts[1]]
        if len(parts) != 4 or not all(_is_hex_digest(part) for part in parts[:3]):
            raise ValueError(
                f"not a version string (expected major_minor_patch_time): {version_string!r}"
            )
        if not _TIME.fullmatch(parts[3]):
            raise ValueError(
                f"bad creation time in version string (a finite decimal number): {version_string!r}"
            )
        return cls(parts[0], parts[1], parts[2], creation_time=float(parts[3]))


def _is_hex_digest(value: str) -> bool:
    return len(value) == 40 and all(char in "0123456789abcdef" for char in value)
