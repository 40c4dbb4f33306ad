"""Ops: the operations that pipelines' nodes run."""

from chariots_core.pipeline_model.ops._base_op import BaseOp
from chariots_core.pipeline_model.ops._loadable_op import LoadableOp

__all__ = ["BaseOp", "LoadableOp"]
