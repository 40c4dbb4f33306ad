"""`VersionsByName`: versions keyed by op (node) name, also looked up by the node itself."""

from __future__ import annotations

from typing import Any

from chariots_core.versioning._version import Version


class VersionsByName(dict[str, Version]):
    """A ``dict`` of versions by node name (what ``Pipeline.get_pipeline_versions()`` returns)
    that also answers for a node, or any object with a ``name``: ``versions[node]`` is
    ``versions[node.name]``, as the original chariots keyed them by node. Its keys, its JSON and
    its equality are those of the plain ``dict`` of names."""

    def __getitem__(self, key: Any) -> Version:
        return super().__getitem__(_name(key))

    def __contains__(self, key: object) -> bool:
        return super().__contains__(_name(key))

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get(_name(key), default)


def _name(key: Any) -> Any:
    """A string key as it is; an object with a string ``name``: that name."""
    if isinstance(key, str):
        return key
    name = getattr(key, "name", None)
    return name if isinstance(name, str) else key
