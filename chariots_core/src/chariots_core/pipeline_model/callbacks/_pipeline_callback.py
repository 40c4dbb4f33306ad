"""Callbacks around a pipeline's execution and each of its nodes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chariots_core.pipeline_model import Pipeline
    from chariots_core.pipeline_model.nodes import Node


class PipelineCallback:
    """Hooks called by runners around a pipeline and between its nodes; override what you need.

    A callback may raise to stop the run between two nodes (the worker runtime uses this to
    honour cancellation); the exception propagates out of the runner.
    """

    def before_execution(self, pipeline: Pipeline, pipeline_input: Any) -> None:
        """Called before the first node runs."""

    def after_execution(self, pipeline: Pipeline, pipeline_input: Any, output: Any) -> None:
        """Called after the last node ran, with the pipeline's output."""

    def before_node_execution(self, pipeline: Pipeline, node: Node, args: list[Any]) -> None:
        """Called before ``node`` runs, with its positional arguments."""

    def after_node_execution(
        self, pipeline: Pipeline, node: Node, args: list[Any], output: Any
    ) -> None:
        """Called after ``node`` ran, with its arguments and its output."""
