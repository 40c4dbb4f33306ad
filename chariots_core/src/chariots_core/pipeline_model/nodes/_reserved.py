"""Node names reserved for a pipeline's own input and output."""

from __future__ import annotations

from enum import Enum

PIPELINE_INPUT = "__pipeline_input__"
PIPELINE_OUTPUT = "__pipeline_output__"
RESERVED_NAMES = frozenset({PIPELINE_INPUT, PIPELINE_OUTPUT})


class ReservedNodes(Enum):
    """The reserved node names as an enum, as in the original chariots: a member may stand for
    its name in a node's ``input_nodes`` or ``output_nodes``."""

    pipeline_input = PIPELINE_INPUT
    pipeline_output = PIPELINE_OUTPUT
