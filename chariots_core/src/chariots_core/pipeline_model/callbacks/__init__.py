"""Callbacks that observe ops and pipelines as they run."""

from chariots_core.pipeline_model.callbacks._op_callback import OpCallBack
from chariots_core.pipeline_model.callbacks._pipeline_callback import PipelineCallback

__all__ = ["OpCallBack", "PipelineCallback"]
