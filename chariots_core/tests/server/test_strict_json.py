"""The one strict JSON helper (``chariots_core._json``) that servers and workers share."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from chariots_core._json import (
    MAX_DEPTH,
    check_strict_json,
    loads_strict,
    strict_jsonable,
)
from chariots_core.errors import BadRequest, NotStrictJSON


def _nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([1, [2, float("nan")]], "result[1][1] is NaN"),
        ({"a": {"b": float("inf")}}, "result['a']['b'] is Infinity"),
        ((float("-inf"),), "result[0] is -Infinity"),
        ({"n": -(10**4300)}, "result['n'] is an integer of more than 4300 digits"),
        (_nested(MAX_DEPTH + 1), f"is nested deeper than {MAX_DEPTH} levels"),
    ],
)
def test_check_strict_json_names_where_the_value_is(value: Any, message: str) -> None:
    with pytest.raises(NotStrictJSON) as error:
        check_strict_json(value, "result")
    assert message in str(error.value)
    assert isinstance(error.value, BadRequest)


@pytest.mark.parametrize(
    "value",
    [None, True, 0, -(10**4299), 1.5, "NaN", [], {}, {"a": [1, 2.0, None]}, _nested(MAX_DEPTH)],
)
def test_strict_values_pass(value: Any) -> None:
    check_strict_json(value, "result")
    assert loads_strict(json.dumps(value)) == value


def test_strict_jsonable_converts_arrays_then_checks() -> None:
    assert strict_jsonable(np.arange(3) * 2, "result") == [0, 2, 4]
    with pytest.raises(NotStrictJSON, match=r"result\[1\] is NaN"):
        strict_jsonable(np.array([1.0, np.nan]), "result")
    with pytest.raises(TypeError):
        strict_jsonable({1, 2}, "result")


def test_an_output_too_deep_for_recursion_is_refused_not_crashed() -> None:
    with pytest.raises(NotStrictJSON, match="nested deeper"):
        strict_jsonable(_nested(100_000), "result")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[NaN]", "NaN is not a JSON number"),
        ('{"a": Infinity}', "Infinity is not a JSON number"),
        ("1e309", "too large for a 64-bit float"),
        ("-" + "1" * 4301, "more than 4300 digits"),
        ("[" * 100_000 + "]" * 100_000, "nested deeper than"),
        ("[" * 300 + "]" * 300, "nested deeper than"),
        ("{not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
    ],
)
def test_loads_strict_refuses_what_strict_parsers_refuse(text: str | bytes, message: str) -> None:
    with pytest.raises(NotStrictJSON, match=message) as error:
        loads_strict(text, "the body")
    assert str(error.value).startswith("the body")
