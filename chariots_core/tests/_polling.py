"""Waiting without sleeping blindly: poll a condition until it holds, or fail at a deadline.

Shared by the tests of every distribution (importable by name: ``from _polling import …``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(check: Callable[[], T], timeout: float = 20.0, what: str = "condition") -> T:
    """Call ``check`` until it returns something true, and return that; fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} did not hold within {timeout}s"
        time.sleep(0.01)
