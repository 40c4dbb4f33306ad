"""Machine-learning ops: fitted, saved, loaded and used for predictions."""

from chariots_core.ml._base_ml_op import BaseMLOp
from chariots_core.ml._ml_mode import MLMode

__all__ = ["BaseMLOp", "MLMode"]
