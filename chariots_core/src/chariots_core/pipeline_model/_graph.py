"""Validation and ordering of a pipeline's nodes."""

from __future__ import annotations

from collections.abc import Sequence

from chariots_core.errors import PipelineGraphError
from chariots_core.pipeline_model.nodes import PIPELINE_INPUT, PIPELINE_OUTPUT, Node


def resolve_graph(pipeline_name: str, nodes: Sequence[Node]) -> list[Node]:
    """Check that ``nodes`` form a valid graph and return them in an order they can run in.

    The order is the declared order wherever the graph allows it. Every error names the pipeline
    and the node at fault.
    """
    if not nodes:
        raise PipelineGraphError(f"pipeline {pipeline_name!r} has no nodes")
    producers: dict[str, Node] = {}
    for node in nodes:
        if not isinstance(node, Node):
            raise PipelineGraphError(
                f"pipeline {pipeline_name!r}: {node!r} is not a Node (wrap ops in Node(...))"
            )
        for output in node.output_nodes:
            if output == PIPELINE_INPUT:
                raise PipelineGraphError(
                    f"pipeline {pipeline_name!r}: node {node.name!r} cannot output "
                    f"{PIPELINE_INPUT!r}"
                )
            if output in producers:
                unnamed = not (producers[output].names_its_outputs and node.names_its_outputs)
                hint = (
                    " (a node without output_nodes outputs under its op's name: give it "
                    "output_nodes)"
                    if unnamed
                    else ""
                )
                raise PipelineGraphError(
                    f"pipeline {pipeline_name!r}: nodes {producers[output].name!r} and "
                    f"{node.name!r} both output {output!r}{hint}"
                )
            producers[output] = node
    stateful: set[str] = set()
    for node in nodes:
        if node.is_loadable:
            if node.name in stateful:
                raise PipelineGraphError(
                    f"pipeline {pipeline_name!r}: two nodes hold the op {node.name!r}; the op "
                    "store keeps saved state by op name, so give one of them another op_name"
                )
            stateful.add(node.name)
    for node in nodes:
        for needed in node.input_nodes:
            if needed != PIPELINE_INPUT and needed not in producers:
                raise PipelineGraphError(
                    f"pipeline {pipeline_name!r}: node {node.name!r} takes {needed!r}, "
                    "which no node of the pipeline outputs"
                )
    return _topological_order(pipeline_name, list(nodes), producers)


def _topological_order(
    pipeline_name: str, nodes: list[Node], producers: dict[str, Node]
) -> list[Node]:
    ordered: list[Node] = []
    done: set[int] = set()
    remaining = list(nodes)
    while remaining:
        for node in remaining:
            upstream = [producers[name] for name in node.input_nodes if name != PIPELINE_INPUT]
            if all(id(other) in done for other in upstream):
                ordered.append(node)
                done.add(id(node))
                remaining.remove(node)
                break
        else:
            names = ", ".join(repr(node.name) for node in remaining)
            raise PipelineGraphError(
                f"pipeline {pipeline_name!r}: nodes {names} depend on each other in a cycle"
            )
    return ordered


def upstream_edges(nodes: Sequence[Node]) -> list[tuple[Node, Node]]:
    """Every (upstream, downstream) pair of nodes joined by an output."""
    producers = {output: node for node in nodes for output in node.output_nodes}
    return [
        (producers[name], node)
        for node in nodes
        for name in node.input_nodes
        if name != PIPELINE_INPUT and name != PIPELINE_OUTPUT
    ]
