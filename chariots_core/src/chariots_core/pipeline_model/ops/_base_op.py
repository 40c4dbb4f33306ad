"""`BaseOp`: the unit of work a node runs."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from chariots_core.pipeline_model.callbacks import OpCallBack
from chariots_core.versioning import Version, VersionedMeta


class BaseOp(metaclass=VersionedMeta):
    """An operation of a pipeline: subclass it and implement :meth:`execute`.

    Class attributes declared as :class:`~chariots_core.versioning.VersionedField` make up the
    class's ``__version__``. An op is named after its class in lower case (``PCAOp`` is
    ``"pcaop"``, as in the original chariots) unless the class sets ``op_name``; the name is what
    the op store keys saved versions by.

    :meth:`before_execution` and :meth:`after_execution` are one-off hooks around
    :meth:`execute` (an :class:`~chariots_core.pipelines.callbacks.OpCallBack` is the reusable
    kind); they run before the op's callbacks do.
    """

    __version__: ClassVar[Version]
    op_name: ClassVar[str | None] = None
    #: whether this op may be loaded, or run, on versions it was not validated with: ``False``
    #: as in the original chariots; an ML op allows it unless it only predicts (it is about to be
    #: retrained). Override it with a class attribute or a property.
    allow_version_change: bool = False

    def __init__(self, op_callbacks: Sequence[OpCallBack] | None = None) -> None:
        self.callbacks: list[OpCallBack] = list(op_callbacks or [])

    @property
    def name(self) -> str:
        return self.op_name or type(self).__name__.lower()

    @property
    def op_version(self) -> Version:
        """The version of this op as it stands (its class version for a stateless op)."""
        return type(self).__version__.copy()

    @abstractmethod
    def execute(self, *args: Any, **kwargs: Any) -> Any:
        """Run the op on the outputs of its input nodes, in the order they were declared."""

    def before_execution(self, args: list[Any]) -> None:
        """Called with the op's positional arguments just before :meth:`execute`."""

    def after_execution(self, args: list[Any], output: Any) -> None:
        """Called with the op's arguments and what :meth:`execute` returned, just after it."""

    def execute_with_all_callbacks(self, args: list[Any]) -> Any:
        """Run :meth:`execute` between :meth:`before_execution` / :meth:`after_execution` and
        the op's callbacks (the op's own hook first, then the callbacks, on both sides)."""
        self.before_execution(args)
        for callback in self.callbacks:
            callback.before_execution(self, args)
        output = self.execute(*args)
        self.after_execution(args, output)
        for callback in self.callbacks:
            callback.after_execution(self, args, output)
        return output

    def __repr__(self) -> str:
        return f"<{type(self).__name__} op {self.name!r} {self.op_version!r}>"
