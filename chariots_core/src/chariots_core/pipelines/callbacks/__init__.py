"""Callbacks that observe ops and pipelines as they run.

Defined in :mod:`chariots_core.pipeline_model` (``callbacks``), below the server; this is their
original chariots' path.
"""

from chariots_core.pipeline_model.callbacks import (
    OpCallBack,
    PipelineCallback,
)

__all__ = ["OpCallBack", "PipelineCallback"]
