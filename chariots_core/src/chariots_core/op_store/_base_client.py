"""The op store's API, the same in-process and over HTTP."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from chariots_core.versioning import Version


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
    def get_all_versions_of_op(self, op_name: str) -> list[SavedOpVersion]:
        """Every saved version of ``op_name``, newest saved first; ``[]`` when none."""

    @abstractmethod
    def get_latest_versions(self, op_names: Sequence[str]) -> dict[str, SavedOpVersion]:
        """The newest saved version of each op that has one, in one round trip."""

    @abstractmethod
    def get_op_bytes_for_version(self, op_name: str, version: Version) -> bytes:
        """The bytes saved for that version (by hashes); ``OpNotFound`` when there are none."""

    @abstractmethod
    def save_op_bytes(
        self,
        op_name: str,
        version: Version,
        op_bytes: bytes,
        *,
        class_version: Version,
        training_version: Version | None,
    ) -> None:
        """Save the bytes of one version of an op; saving the same version again replaces them."""

    @abstractmethod
    def register_valid_link(
        self,
        downstream_op_name: str,
        downstream_version: Version,
        upstream_op_name: str,
        upstream_version: Version,
    ) -> None:
        """Record that this version of the downstream op works on this version of the upstream."""

    @abstractmethod
    def get_validated_links(
        self, downstream_op_name: str, downstream_version: Version, upstream_op_name: str
    ) -> set[Version]:
        """The upstream versions validated for this downstream version; empty when none are."""

    @abstractmethod
    def register_new_pipeline(self, pipeline_name: str, op_names: Sequence[str]) -> None:
        """Record a pipeline and the ops it holds (again is fine: the ops are updated)."""

    @abstractmethod
    def pipeline_exists(self, pipeline_name: str) -> bool:
        """Whether a pipeline of that name was registered."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections and files; the default holds none."""
