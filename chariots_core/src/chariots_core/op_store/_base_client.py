"""The op store's API, the same in-process and over HTTP."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chariots_core.errors import BadRequest
from chariots_core.versioning import Version

#: an op, or its name: every method taking an op's name also takes the op (its ``name``), as
#: the original chariots' client took ops
OpOrName = Any


@dataclass(frozen=True)
class SavedOpVersion:
    """One saved version of an op: what was saved, and from which class and training versions.

    ``version`` is the op's full version when it was saved (its class version plus its training
    version); ``class_version`` tells whether the op class in hand can still read the bytes (same
    major); ``training_version`` is restored on the op when it is loaded.
    """

    op_name: str
    version: Version
    class_version: Version
    training_version: Version | None
    saved_at: datetime


class BaseOpStoreClient(ABC):
    """Where trained ops are kept, and which versions of them were validated together.

    Implemented in-process by :class:`chariots_core.op_store.OpStore` and over HTTP by
    :class:`chariots_core.op_store.OpStoreClient`; pipelines and servers only use this API.
    """

    @abstractmethod
    def get_all_versions_of_op(self, op_name: OpOrName) -> list[SavedOpVersion]:
        """Every saved version of ``op_name``, newest saved first; ``[]`` when none."""

    @abstractmethod
    def get_latest_versions(self, op_names: Sequence[str]) -> dict[str, SavedOpVersion]:
        """The newest saved version of each op that has one, in one round trip."""

    @abstractmethod
    def get_op_bytes_for_version(self, op_name: OpOrName, version: Version) -> bytes:
        """The bytes saved for that version (by hashes); ``OpNotFound`` when there are none."""

    @abstractmethod
    def save_op_bytes(
        self,
        op_name: OpOrName,
        version: Version,
        op_bytes: bytes,
        *,
        class_version: Version | None = None,
        training_version: Version | None = None,
    ) -> None:
        """Save the bytes of one version of an op; saving the same version again replaces them.

        ``class_version`` is the version of the op's class when it was saved (by default: given
        an op, its class's ``__version__``, else ``version``)."""

    @abstractmethod
    def register_valid_link(
        self,
        downstream_op_name: OpOrName | None,
        downstream_version: Version | OpOrName | None = None,
        upstream_op_name: OpOrName | Version | None = None,
        upstream_version: Version | None = None,
        *,
        upstream_op_version: Version | None = None,
    ) -> None:
        """Record that this version of the downstream op works on this version of the upstream.

        Also called as the original chariots called it, ``register_valid_link(downstream,
        upstream, upstream_op_version)``: a link given no downstream version is valid for every
        version of the downstream op; no downstream op (``None``) registers the upstream op
        alone."""

    @abstractmethod
    def get_validated_links(
        self,
        downstream_op_name: OpOrName,
        downstream_version: Version | OpOrName | None = None,
        upstream_op_name: OpOrName | None = None,
    ) -> set[Version]:
        """The upstream versions validated for this downstream version (links registered with
        no downstream version included); empty when none are.

        ``get_validated_links(downstream, upstream)``, the original chariots' form, gives those
        validated for any version of the downstream op."""

    @abstractmethod
    def register_new_pipeline(
        self, pipeline_name: Any, op_names: Sequence[str] | None = None
    ) -> None:
        """Record a pipeline and the ops it holds (again is fine: the ops are updated); given a
        :class:`~chariots_core.pipelines.Pipeline` (the original's form), its name and ops."""

    @abstractmethod
    def pipeline_exists(self, pipeline_name: str) -> bool:
        """Whether a pipeline of that name was registered."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections and files; the default holds none."""


def op_name_of(op: OpOrName) -> str:
    """The name of ``op``: a string is the name, an op (or any object with a ``name``) gives its
    own."""
    if isinstance(op, str):
        return op
    name = getattr(op, "name", None)
    if not isinstance(name, str):
        raise BadRequest(f"an op or an op's name is needed, not {op!r}")
    return name


def save_arguments(op: OpOrName, version: Version, class_version: Version | None) -> Version:
    """The class version to record with a save: the one given, else the op's class's
    ``__version__`` (an op given as an object, the original's form), else ``version``."""
    if class_version is not None:
        return class_version
    own = getattr(type(op), "__version__", None)
    return own if isinstance(own, Version) else version


def link_arguments(
    downstream: OpOrName | None,
    second: Any,
    third: Any,
    upstream_version: Version | None,
    upstream_op_version: Version | None,
) -> tuple[str | None, Version | None, str, Version]:
    """``(downstream name, downstream version, upstream name, upstream version)`` from
    ``register_valid_link``'s arguments, in its form or in the original chariots' form
    ``(downstream, upstream, upstream_op_version)`` (the version possibly by keyword)."""
    if upstream_op_version is not None or (second is not None and not isinstance(second, Version)):
        upstream = second if second is not None else third
        version = upstream_op_version if upstream_op_version is not None else third
        if upstream_version is not None or not isinstance(version, Version):
            raise BadRequest(
                "register_valid_link takes (downstream, downstream_version, upstream, "
                "upstream_version), or the original's (downstream, upstream, upstream_op_version)"
            )
        down = None if downstream is None else op_name_of(downstream)
        return down, None, op_name_of(upstream), version
    if (
        downstream is None
        or not isinstance(second, Version)
        or not isinstance(upstream_version, Version)
    ):
        raise BadRequest(
            "register_valid_link takes (downstream, downstream_version, upstream, "
            "upstream_version), or the original's (downstream, upstream, upstream_op_version)"
        )
    return op_name_of(downstream), second, op_name_of(third), upstream_version


def validated_links_arguments(
    downstream: OpOrName, second: Any, upstream: OpOrName | None
) -> tuple[str, Version | None, str]:
    """``(downstream name, downstream version or None for any, upstream name)`` from
    ``get_validated_links``'s arguments, in its form or the original's ``(downstream,
    upstream)``."""
    if upstream is None:
        if second is None or isinstance(second, Version):
            raise BadRequest("get_validated_links needs the upstream op")
        return op_name_of(downstream), None, op_name_of(second)
    if second is not None and not isinstance(second, Version):
        raise BadRequest(f"downstream_version must be a Version, not {second!r}")
    return op_name_of(downstream), second, op_name_of(upstream)


def pipeline_arguments(pipeline: Any, op_names: Sequence[str] | None) -> tuple[str, Sequence[str]]:
    """``(pipeline name, op names)`` from ``register_new_pipeline``'s arguments: a name and the
    names of its ops, or a pipeline (the original's form)."""
    if isinstance(pipeline, str):
        if op_names is None:
            raise BadRequest("register_new_pipeline needs the pipeline's op names")
        return pipeline, op_names
    if op_names is not None or not callable(getattr(pipeline, "op_names", None)):
        raise BadRequest("register_new_pipeline takes a pipeline, or its name and op names")
    return str(pipeline.name), list(pipeline.op_names())
