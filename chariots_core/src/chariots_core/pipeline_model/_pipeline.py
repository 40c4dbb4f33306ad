"""`Pipeline`: a named graph of nodes, versioned, loaded from and saved to an op store."""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from chariots_core.errors import PipelineGraphError, VersionError
from chariots_core.pipeline_model._graph import resolve_graph, upstream_edges
from chariots_core.pipeline_model.callbacks import PipelineCallback
from chariots_core.pipeline_model.nodes import PIPELINE_INPUT, PIPELINE_OUTPUT, Node
from chariots_core.pipeline_model.ops import LoadableOp
from chariots_core.versioning import VersionsByName

if TYPE_CHECKING:
    from chariots_core.op_store import BaseOpStoreClient

_PIPELINE_NAME = re.compile(r"[A-Za-z0-9_.\-]+")


class Pipeline:
    """A named graph of :class:`~chariots_core.pipelines.nodes.Node`.

    ``use_worker`` asks for the pipeline's calls to run in a worker (``True``), in the server
    (``False``) or leaves it to the app and the request (``None``).
    """

    def __init__(
        self,
        pipeline_nodes: Sequence[Node],
        name: str,
        pipeline_callbacks: Sequence[PipelineCallback] | None = None,
        use_worker: bool | None = None,
    ) -> None:
        if not isinstance(name, str) or not _PIPELINE_NAME.fullmatch(name):
            raise PipelineGraphError(
                f"pipeline name {name!r} must be letters, digits, '_', '-' or '.' "
                "(it is part of the server's URLs)"
            )
        if use_worker is not None and not isinstance(use_worker, bool):
            raise TypeError(f"use_worker must be True, False or None, not {use_worker!r}")
        self._name = name
        self._nodes = resolve_graph(name, list(pipeline_nodes))
        self.pipeline_callbacks: list[PipelineCallback] = list(pipeline_callbacks or [])
        self.use_worker = use_worker

    @property
    def name(self) -> str:
        return self._name

    @property
    def nodes(self) -> list[Node]:
        """The nodes, in the order they run."""
        return list(self._nodes)

    @property
    def pipeline_nodes(self) -> list[Node]:
        """The original chariots' name of :attr:`nodes`."""
        return self.nodes

    @property
    def callbacks(self) -> list[PipelineCallback]:
        """The original chariots' name of :attr:`pipeline_callbacks` (the same list)."""
        return self.pipeline_callbacks

    @property
    def node_for_name(self) -> dict[str, Node]:
        return {node.name: node for node in self._nodes}

    @property
    def takes_input(self) -> bool:
        return any(PIPELINE_INPUT in node.input_nodes for node in self._nodes)

    @property
    def gives_output(self) -> bool:
        return any(PIPELINE_OUTPUT in node.output_nodes for node in self._nodes)

    def get_pipeline_versions(self) -> VersionsByName:
        """The version of each node's op, by node name (a node is a key too)."""
        return VersionsByName({node.name: node.node_version for node in self._nodes})

    def op_names(self) -> list[str]:
        """The names of every op of this pipeline and of the pipelines nested in it."""
        names: list[str] = []
        for node in self._nodes:
            if isinstance(node.op, Pipeline):
                names.extend(node.op.op_names())
            else:
                names.append(node.name)
        return names

    # -- op store -------------------------------------------------------------------------

    def save(self, op_store_client: BaseOpStoreClient) -> None:
        """Save every loadable op's state and the links it was validated with."""
        op_store_client.register_new_pipeline(self._name, self.op_names())
        for node in self._nodes:
            if isinstance(node.op, Pipeline):
                node.op.save(op_store_client)
            elif isinstance(node.op, LoadableOp):
                op = node.op
                version, op_bytes = op.op_version, op.serialize()
                if node.is_saved_as(version, op_bytes):
                    continue  # loaded (or saved) as it is now: the store holds it already
                op_store_client.save_op_bytes(
                    node.name,
                    version,
                    op_bytes,
                    class_version=type(op).__version__,
                    training_version=op.training_version,
                )
                node.mark_saved(version, op_bytes)
        for upstream, downstream in upstream_edges(self._nodes):
            if downstream.is_loadable and not upstream.is_pipeline:
                op_store_client.register_valid_link(
                    downstream.name, downstream.node_version, upstream.name, upstream.node_version
                )

    def load(self, op_store_client: BaseOpStoreClient) -> None:
        """Load the newest compatible saved state of every op, checking the links between them.

        Raises :class:`~chariots_core.errors.VersionError` when an op's saved state was made by an
        incompatible class or was validated on other upstream versions than those now in hand.
        On any error the pipeline is left exactly as it was.
        """
        self._nodes = self._loaded_nodes(op_store_client)

    def loaded_copy(self, op_store_client: BaseOpStoreClient) -> Pipeline:
        """A copy of this pipeline loaded from the op store (this one is left as it is)."""
        new = copy.copy(self)
        new._nodes = self._loaded_nodes(op_store_client)
        return new

    def _loaded_nodes(self, op_store_client: BaseOpStoreClient) -> list[Node]:
        nodes = [node.load_latest_version(op_store_client) for node in self._nodes]
        for upstream, downstream in upstream_edges(nodes):
            _check_link(op_store_client, upstream, downstream)
        return nodes

    def __repr__(self) -> str:
        return f"<Pipeline {self._name!r} of {len(self._nodes)} nodes>"


def _check_link(op_store_client: BaseOpStoreClient, upstream: Node, downstream: Node) -> None:
    if (
        not downstream.is_loadable
        or downstream.allow_version_change
        or downstream.saved_version is None
        or upstream.is_pipeline
    ):
        return
    validated = op_store_client.get_validated_links(
        downstream.name, downstream.saved_version, upstream.name
    )
    if not validated:
        return
    current = upstream.node_version
    if current.major not in {version.major for version in validated}:
        raise VersionError(
            f"op {downstream.name!r} was validated on other major versions of {upstream.name!r} "
            f"than the one in hand ({current!r}); retrain {downstream.name!r} on it and save "
            "before loading"
        )
