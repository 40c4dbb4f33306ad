"""Small checks the suite's tests share (each failure message names the broken behaviour)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from chariots_core.jobs import Job

_TIMEOUT_WORDS = re.compile(r"time\s*-?\s*out|timed\s*out|deadline", re.IGNORECASE)


def expect_raises(
    error_type: type[BaseException], behaviour: str, call: Callable[[], Any]
) -> BaseException:
    """Call ``call``; fail naming ``behaviour`` unless it raises ``error_type``."""
    try:
        result = call()
    except error_type as error:
        return error
    except Exception as error:
        pytest.fail(
            f"{behaviour}: expected {error_type.__name__}, got {type(error).__name__}: {error}",
            pytrace=False,
        )
    pytest.fail(
        f"{behaviour}: expected {error_type.__name__}, but the call returned {result!r:.200}",
        pytrace=False,
    )


def mentions_timeout(job: Job) -> bool:
    error = job.error or {}
    text = f"{error.get('type') or ''} {error.get('message') or ''}"
    return bool(_TIMEOUT_WORDS.search(text))


def first_difference(left: str, right: str) -> int:
    """The first index where two strings differ (the shorter's length if one is a prefix)."""
    for index, (a, b) in enumerate(zip(left, right, strict=False)):
        if a != b:
            return index
    return min(len(left), len(right))
