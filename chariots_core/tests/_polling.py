"""Waiting without sleeping blindly: :func:`chariots_core.testing.polling.eventually`, with the
deadline of chariots-core's tests (importable by name: ``from _polling import eventually``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from chariots_core.testing import polling

T = TypeVar("T")


def eventually(check: Callable[[], T], timeout: float = 20.0, what: str = "condition") -> T:
    """Call ``check`` until it returns something true, and return that; fail at the deadline."""
    return polling.eventually(check, timeout, what)
