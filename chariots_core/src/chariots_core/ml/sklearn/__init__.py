"""scikit-learn ops (needs the ``sklearn`` extra: ``pip install chariots-core[sklearn]``)."""

from chariots_core.ml.sklearn._sk_ops import BaseSKOp, SKSupervisedOp, SKUnsupervisedOp

__all__ = ["BaseSKOp", "SKSupervisedOp", "SKUnsupervisedOp"]
