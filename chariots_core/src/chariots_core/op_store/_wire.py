"""How op store values travel as JSON between :class:`OpStoreServer` and its clients."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chariots_core.errors import BadRequest
from chariots_core.op_store._base_client import SavedOpVersion
from chariots_core.op_store._names import parse_version
from chariots_core.versioning import Version


def saved_op_version_to_json(saved: SavedOpVersion) -> dict[str, Any]:
    return {
        "op_name": saved.op_name,
        "version": str(saved.version),
        "class_version": str(saved.class_version),
        "training_version": (
            None if saved.training_version is None else str(saved.training_version)
        ),
        "saved_at": saved.saved_at.isoformat(),
    }


def saved_op_version_from_json(data: object) -> SavedOpVersion:
    if not isinstance(data, dict):
        raise BadRequest(f"expected a saved op version object, got {type(data).__name__}")
    try:
        training_version = data["training_version"]
        return SavedOpVersion(
            op_name=str(data["op_name"]),
            version=parse_version(data["version"]),
            class_version=parse_version(data["class_version"], "class_version"),
            training_version=(
                None
                if training_version is None
                else parse_version(training_version, "training_version")
            ),
            saved_at=datetime.fromisoformat(str(data["saved_at"])),
        )
    except (KeyError, ValueError) as error:
        raise BadRequest(f"malformed saved op version {data!r}: {error}") from None


def versions_to_json(versions: set[Version]) -> list[str]:
    """Version strings, oldest first (so that answers are stable)."""
    return [str(version) for version in sorted(versions)]
