"""`Node`: an op (or a whole pipeline) placed in a pipeline's graph."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Union

from chariots_core.errors import PipelineGraphError, VersionError
from chariots_core.pipeline_model.nodes._reserved import (
    PIPELINE_INPUT,
    PIPELINE_OUTPUT,
    ReservedNodes,
)
from chariots_core.pipeline_model.ops import BaseOp, LoadableOp
from chariots_core.versioning import Version

if TYPE_CHECKING:
    from chariots_core.op_store import BaseOpStoreClient, SavedOpVersion
    from chariots_core.pipeline_model._pipeline import Pipeline

NodeInput = Union[str, "Node", ReservedNodes]


class Node:
    """An op in a pipeline: what it takes (``input_nodes``) and what it gives (``output_nodes``).

    ``input_nodes`` names the outputs of other nodes (or ``"__pipeline_input__"``), passed to the
    op positionally in that order; a node given instead of a name stands for its single output.
    ``output_nodes`` names what the op returns: one name for the whole return value, several
    names to unpack a returned sequence of that length, ``"__pipeline_output__"`` for what the
    pipeline returns; a node given no ``output_nodes`` outputs under its own name (the op's
    name), as in the original chariots. ``op`` may also be a
    :class:`~chariots_core.pipelines.Pipeline`, run as one node of the outer pipeline.
    """

    def __init__(
        self,
        op: BaseOp | Pipeline,
        input_nodes: Sequence[NodeInput] | NodeInput | None = None,
        output_nodes: Sequence[str | ReservedNodes] | str | ReservedNodes | None = None,
    ) -> None:
        from chariots_core.pipeline_model._pipeline import Pipeline

        if not isinstance(op, BaseOp | Pipeline):
            raise TypeError(f"a Node wraps a BaseOp or a Pipeline, not {op!r}")
        self._op = op
        self.input_nodes: list[str] = [
            _input_name(self.name, item) for item in _as_list(input_nodes)
        ]
        #: whether ``output_nodes`` were given (else the node outputs under its own name)
        self.names_its_outputs = bool(_as_list(output_nodes))
        self.output_nodes: list[str] = list(_as_list(output_nodes)) or [self.name]
        for output in self.output_nodes:
            if not isinstance(output, str) or not output:
                raise PipelineGraphError(
                    f"node {self.name!r}: output names must be non-empty strings, got {output!r}"
                )
        if len(set(self.output_nodes)) != len(self.output_nodes):
            raise PipelineGraphError(f"node {self.name!r} names the same output twice")
        if PIPELINE_OUTPUT in self.output_nodes and len(self.output_nodes) > 1:
            raise PipelineGraphError(
                f"node {self.name!r}: {PIPELINE_OUTPUT!r} must be the node's only output"
            )

    @property
    def op(self) -> BaseOp | Pipeline:
        return self._op

    @property
    def name(self) -> str:
        return self._op.name

    @property
    def is_pipeline(self) -> bool:
        return not isinstance(self._op, BaseOp)

    @property
    def is_loadable(self) -> bool:
        return isinstance(self._op, LoadableOp)

    @property
    def node_version(self) -> Version:
        """The op's version; for a pipeline node, the sum of its nodes' versions."""
        if isinstance(self._op, BaseOp):
            return self._op.op_version
        versions = list(self._op.get_pipeline_versions().values())
        total = Version(creation_time=0.0)
        for version in versions:
            total = total + version
        return total

    @property
    def allow_version_change(self) -> bool:
        return not isinstance(self._op, BaseOp) or self._op.allow_version_change

    def execute(self, args: list[Any]) -> Any:
        """Run the op (or the inner pipeline, with a sequential runner) on ``args``."""
        if isinstance(self._op, BaseOp):
            return self._op.execute_with_all_callbacks(args)
        from chariots_core.pipeline_model.runners import SequentialRunner

        return SequentialRunner().run(self._op, self.pipeline_input(args))

    def pipeline_input(self, args: list[Any]) -> Any:
        """What a pipeline node passes to its inner pipeline: its one input, or ``None``."""
        if len(args) > 1:
            raise PipelineGraphError(
                f"node {self.name!r}: a pipeline node takes at most one input, got {len(args)}"
            )
        return args[0] if args else None

    def split_outputs(self, output: Any) -> dict[str, Any]:
        """Name the op's return value after ``output_nodes``."""
        if len(self.output_nodes) <= 1:
            return dict.fromkeys(self.output_nodes, output)
        try:
            values = list(output)
        except TypeError:
            values = None
        if values is None or len(values) != len(self.output_nodes):
            raise PipelineGraphError(
                f"node {self.name!r} declares {len(self.output_nodes)} outputs "
                f"{self.output_nodes} but its op returned {type(output).__name__} "
                "that does not unpack to that many values"
            )
        return dict(zip(self.output_nodes, values, strict=True))

    def replace_op(self, op: BaseOp | Pipeline) -> Node:
        """A node like this one around another op."""
        new = copy.copy(self)
        new._op = op
        return new

    def load_latest_version(self, op_store_client: BaseOpStoreClient) -> Node:
        """A copy of this node whose op holds the newest compatible saved state.

        Returns ``self`` when there is nothing to load. Raises :class:`VersionError` when saved
        versions exist but were all made by a class of another major version, unless the op
        allows a version change (it is about to be retrained).
        """
        if not isinstance(self._op, BaseOp):
            return self.replace_op(self._op.loaded_copy(op_store_client))
        if not isinstance(self._op, LoadableOp):
            return self
        saved = op_store_client.get_all_versions_of_op(self.name)
        return self._load_from(op_store_client, saved)

    def _load_from(
        self, op_store_client: BaseOpStoreClient, saved: Sequence[SavedOpVersion]
    ) -> Node:
        op = self._op
        assert isinstance(op, LoadableOp)
        if not saved:
            return self
        class_major = type(op).__version__.major
        compatible = [record for record in saved if record.class_version.major == class_major]
        if not compatible:
            if op.allow_version_change:
                return self
            raise VersionError(
                f"op {self.name!r}: every saved version was made by a class of another major "
                f"version than {type(op).__name__} now has (a MAJOR field changed); retrain and "
                "save it before loading it here"
            )
        record = compatible[0]
        # a shallow copy: the op's callbacks and other collaborators stay the same objects
        # (a deep copy would detach the callbacks a caller holds, and fails on ops holding
        # locks or connections); ``load`` sets the copy's state (LoadableOp's contract)
        loaded = copy.copy(op)
        op_bytes = op_store_client.get_op_bytes_for_version(self.name, record.version)
        loaded.load(op_bytes)
        loaded.training_version = record.training_version
        node = self.replace_op(loaded)
        node.mark_saved(record.version, op_bytes)
        return node

    #: the version this node's op was last loaded or saved as (None: neither yet)
    saved_version: Version | None = None
    #: the digest of the bytes this node's op was last loaded or saved with (None: neither yet)
    saved_digest: str | None = None

    def mark_saved(self, version: Version, op_bytes: bytes) -> None:
        """Record that the op store holds ``op_bytes`` as ``version`` of this node's op."""
        self.saved_version = version
        self.saved_digest = state_digest(op_bytes)

    def is_saved_as(self, version: Version, op_bytes: bytes) -> bool:
        """Whether the op store holds these very bytes as this version (loaded or saved here).

        What decides is what would be written, not the version alone: an op whose state changed
        without a version change (a counter, a vocabulary) has other bytes, so it is saved again.
        """
        return self.saved_version == version and self.saved_digest == state_digest(op_bytes)

    def __repr__(self) -> str:
        return f"<Node {self.name!r}: {self.input_nodes} -> {self.output_nodes}>"


def state_digest(op_bytes: bytes) -> str:
    """The digest that tells whether an op's serialized state changed."""
    return hashlib.sha256(op_bytes).hexdigest()


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | Node | ReservedNodes):
        value = [value]
    return [item.value if isinstance(item, ReservedNodes) else item for item in value]


def _input_name(node_name: str, item: NodeInput) -> str:
    if isinstance(item, Node):
        if len(item.output_nodes) != 1:
            raise PipelineGraphError(
                f"node {node_name!r}: node {item.name!r} used as an input must have exactly one "
                f"output, it has {item.output_nodes}"
            )
        return item.output_nodes[0]
    if not isinstance(item, str) or not item:
        raise PipelineGraphError(
            f"node {node_name!r}: input names must be non-empty strings, got {item!r}"
        )
    if item == PIPELINE_OUTPUT:
        raise PipelineGraphError(f"node {node_name!r}: {PIPELINE_OUTPUT!r} cannot be an input")
    return item


__all__ = ["PIPELINE_INPUT", "PIPELINE_OUTPUT", "Node"]
