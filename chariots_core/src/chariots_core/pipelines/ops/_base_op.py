"""`BaseOp`: the unit of work a node runs."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from chariots_core.pipelines.callbacks import OpCallBack
from chariots_core.versioning import Version, VersionedMeta


class BaseOp(metaclass=VersionedMeta):
    """An operation of a pipeline: subclass it and implement :meth:`execute`.

    Class attributes declared as :class:`~chariots_core.versioning.VersionedField` make up the
    class's ``__version__``. An op is named after its class unless the class sets ``op_name``;
    the name is what the op store keys saved versions by.
    """

    __version__: ClassVar[Version]
    op_name: ClassVar[str | None] = None
    #: whether this op may run on an upstream version it was not validated with (an op that
    #: holds no trained state can; a trained one cannot unless it is about to be retrained)
    allow_version_change: bool = True

    def __init__(self, op_callbacks: Sequence[OpCallBack] | None = None) -> None:
        self.callbacks: list[OpCallBack] = list(op_callbacks or [])

    @property
    def name(self) -> str:
        return self.op_name or type(self).__name__

    @property
    def op_version(self) -> Version:
        """The version of this op as it stands (its class version for a stateless op)."""
        return type(self).__version__.copy()

    @abstractmethod
    def execute(self, *args: Any, **kwargs: Any) -> Any:
        """Run the op on the outputs of its input nodes, in the order they were declared."""

    def execute_with_all_callbacks(self, args: list[Any]) -> Any:
        """Run :meth:`execute` between the op's callbacks."""
        for callback in self.callbacks:
            callback.before_execution(self, args)
        output = self.execute(*args)
        for callback in self.callbacks:
            callback.after_execution(self, args, output)
        return output

    def __repr__(self) -> str:
        return f"<{type(self).__name__} op {self.name!r} {self.op_version!r}>"
