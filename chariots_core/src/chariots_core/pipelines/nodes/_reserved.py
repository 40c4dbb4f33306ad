"""Node names reserved for a pipeline's own input and output."""

PIPELINE_INPUT = "__pipeline_input__"
PIPELINE_OUTPUT = "__pipeline_output__"
RESERVED_NAMES = frozenset({PIPELINE_INPUT, PIPELINE_OUTPUT})
