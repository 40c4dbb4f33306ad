"""Small ops and a pipeline for the documentation's examples (and tests that follow them).

``AddOneOp`` adds one to its input, ``IsOddOp`` says whether its input is odd, and
``is_odd_pipeline`` (named ``simple_pipeline``) runs ``IsOddOp`` on the pipeline's input. They are
importable by name, so that a worker process finds them as the process that built the app did.
"""

from __future__ import annotations

from chariots_core.pipelines import Pipeline
from chariots_core.pipelines.nodes import Node
from chariots_core.pipelines.ops import BaseOp

__all__ = ["AddOneOp", "IsOddOp", "is_odd_pipeline"]


class AddOneOp(BaseOp):
    """Adds one to its input."""

    def execute(self, op_input: int) -> int:
        return op_input + 1


class IsOddOp(BaseOp):
    """Whether its input is odd."""

    def execute(self, op_input: int) -> bool:
        return bool(op_input % 2)


is_odd_pipeline = Pipeline(
    [Node(IsOddOp(), input_nodes=["__pipeline_input__"], output_nodes=["__pipeline_output__"])],
    "simple_pipeline",
)
