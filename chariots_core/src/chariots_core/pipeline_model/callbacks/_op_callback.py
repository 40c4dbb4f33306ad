"""Callbacks around one op's execution."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chariots_core.pipeline_model.ops import BaseOp


class OpCallBack:
    """Hooks called around an op's ``execute``; override the ones you need."""

    def before_execution(self, op: BaseOp, args: list[Any]) -> None:
        """Called with the op's positional arguments just before it runs."""

    def after_execution(self, op: BaseOp, args: list[Any], output: Any) -> None:
        """Called with the op's arguments and what it returned, just after it ran."""
