"""Ops: the operations that pipelines' nodes run.

Defined in :mod:`chariots_core.pipeline_model` (``ops``), below the server; this is their
original chariots' path.
"""

from chariots_core.pipeline_model.ops import (
    BaseOp,
    LoadableOp,
)

__all__ = ["BaseOp", "LoadableOp"]
