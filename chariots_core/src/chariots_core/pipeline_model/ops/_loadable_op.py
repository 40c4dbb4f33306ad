"""`LoadableOp`: an op with state that the op store keeps."""

from __future__ import annotations

from abc import abstractmethod

from chariots_core.pipeline_model.ops._base_op import BaseOp
from chariots_core.versioning import Version


class LoadableOp(BaseOp):
    """An op whose state (a trained model, a fitted vocabulary…) is saved and loaded as bytes.

    Its version is its class version plus its *training version*, which changes each time its
    state does (a fit, or a load of another saved state). :meth:`load` must set the op's state
    from the bytes rather than mutate shared objects in place: a pipeline loads into a copy of
    the op so that a failed load leaves the pipeline as it was.
    """

    training_version: Version | None = None

    @property
    def op_version(self) -> Version:
        """The class version plus the training version (an empty one before any fit or load).

        An untrained op is counted as having the empty training version, so that its first fit
        changes only the part of the op version the fit is meant to change, as later fits do.
        """
        training_version = self.training_version or Version(creation_time=0.0)
        return type(self).__version__ + training_version

    @abstractmethod
    def serialize(self) -> bytes:
        """The op's state as bytes."""

    @abstractmethod
    def load(self, serialized_object: bytes) -> None:
        """Set the op's state from bytes made by :meth:`serialize`."""
