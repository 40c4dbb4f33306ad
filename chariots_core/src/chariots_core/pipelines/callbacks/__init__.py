"""Callbacks that observe ops and pipelines as they run."""

from chariots_core.pipelines.callbacks._op_callback import OpCallBack
from chariots_core.pipelines.callbacks._pipeline_callback import PipelineCallback

__all__ = ["OpCallBack", "PipelineCallback"]
