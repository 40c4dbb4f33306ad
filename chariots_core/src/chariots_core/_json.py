"""JSON for values that pipelines take and give (NumPy arrays and scalars included).

Inputs and outputs are *strict* JSON: no ``NaN`` or infinities (which ``json`` writes as bare
``NaN``/``Infinity`` and strict parsers refuse), no integer longer than readers accept
(:data:`MAX_INT_DIGITS`), no nesting deeper than :data:`MAX_DEPTH`. :func:`loads_strict` reads
text under those rules and :func:`strict_jsonable` / :func:`check_strict_json` check values
about to be written; both raise :class:`~chariots_core.errors.NotStrictJSON` naming where the
offending value is (``result[2][1] is NaN``).
"""

from __future__ import annotations

import json
import math
from typing import Any

from chariots_core.errors import NotStrictJSON

#: deepest nesting of arrays and objects read or written (deeper input is refused before
#: Python's recursion limit can turn it into a crash)
MAX_DEPTH = 256
#: longest integer, in decimal digits, read or written: Python refuses longer ones by default
#: (``sys.get_int_max_str_digits``) because converting them costs quadratic time
MAX_INT_DIGITS = 4300
_MAX_INT: int = 10**MAX_INT_DIGITS  # the smallest integer of MAX_INT_DIGITS + 1 digits
_MAX_INT_BITS = _MAX_INT.bit_length()


def to_jsonable(value: Any) -> Any:
    """``value`` with array-likes turned into lists; raises ``TypeError`` if it cannot be JSON."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {_json_key(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    tolist = getattr(value, "tolist", None)  # NumPy arrays and scalars, pandas objects
    if callable(tolist):
        return to_jsonable(tolist())
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable: {value!r:.100}")


def _json_key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool | int | float) or key is None:
        return json.dumps(key)
    raise TypeError(f"dict key {key!r:.100} is not JSON-serialisable")


def dumps(value: Any) -> str:
    """Compact JSON of ``value`` (see :func:`to_jsonable`)."""
    return json.dumps(to_jsonable(value), separators=(",", ":"), allow_nan=False)


def strict_jsonable(value: Any, where: str = "value") -> Any:
    """``value`` as :func:`to_jsonable` gives it, checked by :func:`check_strict_json`.

    ``TypeError`` for a value of a type JSON has no place for; :class:`NotStrictJSON` for a value
    strict JSON cannot hold, with ``where`` as the name of its root in the message.
    """
    try:
        jsonable = to_jsonable(value)
    except RecursionError:
        raise NotStrictJSON(f"{where} is nested deeper than {MAX_DEPTH} levels") from None
    check_strict_json(jsonable, where)
    return jsonable


def check_strict_json(value: Any, where: str = "value") -> None:
    """Raise :class:`NotStrictJSON` if ``value`` (made of dicts, lists, strings, numbers, booleans
    and ``None``) holds NaN, an infinity, an integer of more than :data:`MAX_INT_DIGITS` digits,
    or nesting deeper than :data:`MAX_DEPTH`; the message says where, as in
    ``result[2][1] is NaN``. Iterative: any depth is checked without recursion."""
    pending: list[tuple[Any, str, int]] = [(value, where, 0)]
    while pending:
        item, path, depth = pending.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                raise NotStrictJSON(f"{path} is {_non_finite_name(item)}")
        elif isinstance(item, int) and not isinstance(item, bool):
            if _too_long(item):
                raise NotStrictJSON(
                    f"{path} is an integer of more than {MAX_INT_DIGITS} digits, "
                    "longer than JSON readers accept"
                )
        elif isinstance(item, dict | list | tuple):
            if depth >= MAX_DEPTH:
                raise NotStrictJSON(f"{_short(path)} is nested deeper than {MAX_DEPTH} levels")
            children = item.items() if isinstance(item, dict) else enumerate(item)
            pending.extend((child, f"{path}[{key!r}]", depth + 1) for key, child in children)


def loads_strict(text: str | bytes, what: str = "the JSON text") -> Any:
    """Read strict JSON; :class:`NotStrictJSON` (a ``BadRequest``) when ``text`` is not JSON or
    holds what strict JSON cannot (``NaN``, ``Infinity``, a number too large for a float, an
    integer of more than :data:`MAX_INT_DIGITS` digits, nesting deeper than :data:`MAX_DEPTH`).
    ``what`` names the text in the messages (``the request body``)."""
    try:
        value = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except NotStrictJSON as error:
        raise NotStrictJSON(f"{what} is not strict JSON: {error}") from None
    except RecursionError:
        raise NotStrictJSON(f"{what} is nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as error:  # JSONDecodeError, and undecodable bytes
        raise NotStrictJSON(f"{what} is not valid JSON: {error}") from None
    try:
        check_strict_json(value, "the root")
    except NotStrictJSON as error:
        raise NotStrictJSON(f"{what} is not strict JSON: {error}") from None
    return value


def _refuse_constant(name: str) -> Any:
    raise NotStrictJSON(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise NotStrictJSON(f"the number {text[:40]} is too large for a 64-bit float")
    return number


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise NotStrictJSON(f"an integer has more than {MAX_INT_DIGITS} digits")
    return int(text)


def _too_long(number: int) -> bool:
    magnitude = abs(number)
    if magnitude.bit_length() < _MAX_INT_BITS:
        return False
    return magnitude >= _MAX_INT


def _non_finite_name(number: float) -> str:
    if math.isnan(number):
        return "NaN"
    return "Infinity" if number > 0 else "-Infinity"


def _short(path: str, limit: int = 60) -> str:
    return path if len(path) <= limit else f"{path[: limit // 2]}...{path[-limit // 2 :]}"
