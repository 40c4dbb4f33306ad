"""Pool URLs: ``backend[+transport]://user:password@host:port/path?option=value``, parsed once.

Every pool is built from a string (``chariots worker --pool URL``, ``CHARIOTS_WORKER_POOL``, a
config file), so every pool parses the same shape. :func:`parse_pool_url` splits the URL into
the backend, the transport (the broker's own scheme), where it points, the pool's typed options
(each declared with an :class:`UrlOption`) and the query parameters left for the backend's own
client. Errors name the option and what it accepts; :meth:`PoolURL.describe` never shows a
password::

    OPTIONS = {"queue": Text(), "timeout": Seconds(), "fork": Flag(default=True)}
    url = parse_pool_url("rq://:secret@127.0.0.1:6379/0?timeout=30", "rq", OPTIONS)
    url.options  # {'queue': None, 'timeout': 30.0, 'fork': True}
    url.describe()  # 'rq://:***@127.0.0.1:6379/0?timeout=30'
    url.transport_url("redis")  # 'redis://:secret@127.0.0.1:6379/0'
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from chariots_core.errors import WorkerPoolError

__all__ = [
    "Choice",
    "Count",
    "Flag",
    "Levels",
    "PoolURL",
    "PoolURLError",
    "Seconds",
    "Text",
    "UrlOption",
    "hide_password",
    "parse_pool_url",
    "with_query",
]


class PoolURLError(WorkerPoolError, ValueError):
    """A pool URL (or a pool argument) that cannot be used; the message says why."""


_PASSWORD = re.compile(r"(?P<head>://[^:/@?#]*:)[^@/?#]*@")


def hide_password(url: str) -> str:
    """The URL with the password of its user part replaced by ``***``."""
    return _PASSWORD.sub(r"\g<head>***@", url)


class UrlOption:
    """A query parameter of a pool URL: what it accepts, its default, and its conversion."""

    #: what the option accepts, in words, for error messages and help
    accepts = "a string"

    def __init__(self, default: Any = None, help: str = "") -> None:
        self.default = default
        self.help = help

    def convert(self, text: str) -> Any:
        return text

    def parse(self, name: str, text: str, url: str) -> Any:
        try:
            return self.convert(text)
        except PoolURLError:
            raise
        except (TypeError, ValueError, KeyError):
            raise PoolURLError(
                f"option {name!r} of {hide_password(url)!r} must be {self.accepts}, not {text!r}"
            ) from None

    def check(self, name: str, value: Any) -> Any:
        """The same rules for a value given in Python (``None`` passes, as "not set"): the
        value converted, or :class:`PoolURLError` naming ``name``."""
        if value is None:
            return None
        try:
            return self.convert(value if isinstance(value, str) else _as_text(value))
        except PoolURLError:
            raise
        except (TypeError, ValueError, KeyError):
            raise PoolURLError(f"{name!r} must be {self.accepts}, not {value!r}") from None


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    raise TypeError(value)


class Text(UrlOption):
    """A non-empty string."""

    accepts = "a non-empty string"

    def convert(self, text: str) -> str:
        if not text.strip():
            raise ValueError(text)
        return text


class Seconds(UrlOption):
    """A finite number of seconds, more than 0 (or ``>= 0`` with ``zero=True``)."""

    def __init__(self, default: float | None = None, help: str = "", *, zero: bool = False) -> None:
        super().__init__(default, help)
        self.zero = zero
        self.accepts = f"a number of seconds {'>=' if zero else '>'} 0"

    def convert(self, text: str) -> float:
        value = float(text)
        if not math.isfinite(value) or value < 0 or (value == 0 and not self.zero):
            raise ValueError(text)
        return value


class Count(UrlOption):
    """A whole number, at least ``minimum`` (and at most ``maximum``, when given)."""

    def __init__(
        self,
        default: int | None = None,
        help: str = "",
        *,
        minimum: int = 1,
        maximum: int | None = None,
    ) -> None:
        super().__init__(default, help)
        self.minimum, self.maximum = minimum, maximum
        bound = f"from {minimum} to {maximum}" if maximum is not None else f">= {minimum}"
        self.accepts = f"a whole number {bound}"

    def convert(self, text: str) -> int:
        value = int(text)
        if value < self.minimum or (self.maximum is not None and value > self.maximum):
            raise ValueError(text)
        return value


class Flag(UrlOption):
    """A boolean: ``true``/``false``, ``1``/``0``, ``yes``/``no``, ``on``/``off``."""

    accepts = "true or false"
    _WORDS = {"1": True, "true": True, "yes": True, "on": True}
    _WORDS |= {"0": False, "false": False, "no": False, "off": False}

    def convert(self, text: str) -> bool:
        return self._WORDS[text.strip().lower()]


class Choice(UrlOption):
    """One of a few words (compared without case)."""

    def __init__(self, choices: Iterable[str], default: str | None = None, help: str = "") -> None:
        super().__init__(default, help)
        self.choices = tuple(choices)
        self.accepts = "one of " + ", ".join(self.choices)

    def convert(self, text: str) -> str:
        for choice in self.choices:
            if text.strip().lower() == choice.lower():
                return choice
        raise ValueError(text)


class Levels(UrlOption):
    """Distinct integers, highest first, from a range (``-2..2``) or a list (``0,5,10``), at
    most ``maximum`` of them (priority levels)."""

    accepts = "integers: a range such as -2..2 or a list such as 0,5,10"

    def __init__(self, default: Any = None, help: str = "", *, maximum: int = 64) -> None:
        super().__init__(default, help)
        self.maximum = maximum

    def convert(self, text: str) -> tuple[int, ...]:
        found: list[int] = []
        for part in text.split(","):
            low, dots, high = part.strip().partition("..")
            if dots:
                first, last = int(low), int(high)
                if first > last:
                    raise ValueError(part)
                found.extend(range(first, last + 1))
            else:
                found.append(int(part))
        return self.check_levels(found)

    def check_levels(self, levels: Iterable[Any]) -> tuple[int, ...]:
        """The levels as a sorted tuple; ``PoolURLError`` if they are not integers or too many."""
        result = sorted(set(levels), reverse=True)
        for level in result:
            if isinstance(level, bool) or not isinstance(level, int):
                raise PoolURLError(f"priority levels are integers, not {level!r}")
        if not result or len(result) > self.maximum:
            raise PoolURLError(
                f"{len(result)} priority levels: give from 1 to {self.maximum} (a worker listens "
                "on one queue for each)"
            )
        return tuple(result)

    def check(self, name: str, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return super().check(name, value)
        return self.check_levels(value)


@dataclass(frozen=True)
class PoolURL:
    """A pool URL taken apart. ``options`` holds every declared option (parsed, or its default);
    ``passthrough`` the query parameters left for the backend's client, in order."""

    url: str
    backend: str
    transport: str | None
    username: str | None
    password: str | None
    host: str | None
    port: int | None
    path: str
    options: dict[str, Any] = field(default_factory=dict)
    passthrough: tuple[tuple[str, str], ...] = ()

    @property
    def netloc(self) -> str:
        """``user:password@host:port`` as it was written (quoted)."""
        return urlsplit(self.url).netloc

    def given(self, name: str) -> bool:
        """Whether the URL set option ``name`` itself (not left to its default)."""
        return any(key == name for key, _ in parse_qsl(urlsplit(self.url).query))

    def transport_url(self, scheme: str | None = None, *, query: bool = True) -> str:
        """The broker's own URL: ``scheme`` (default: the transport) with this URL's user,
        password, host, port and path, and the passthrough parameters as its query."""
        scheme = scheme or self.transport
        if scheme is None:
            raise PoolURLError(f"{self.describe()!r} names no transport")
        rest = f"?{urlencode(self.passthrough)}" if query and self.passthrough else ""
        return f"{scheme}://{self.netloc}{self.path}{rest}"

    def describe(self) -> str:
        """The URL with its password hidden (for logs, reports and ``chariots worker``)."""
        return hide_password(self.url)

    def __repr__(self) -> str:
        return f"PoolURL({self.describe()!r})"


def parse_pool_url(
    url: str,
    backend: str,
    options: Mapping[str, UrlOption],
    *,
    transports: Collection[str] | None = None,
    default_transport: str | None = None,
    passthrough: Collection[str] | Callable[[str], bool] = (),
    numbered_databases: Collection[str] = (),
) -> PoolURL:
    """Parse ``backend[+transport]://…`` (``backend`` alone takes ``default_transport``).

    ``options`` declares the pool's query parameters; a parameter that is not one of them must be
    accepted by ``passthrough`` (names, or a predicate), else the URL is refused with the list of
    known options. ``transports`` lists the transports the pool accepts; for those of
    ``numbered_databases`` (``redis``, ``rediss``), the path must be a database number.
    """
    if not isinstance(url, str):
        raise PoolURLError(f"a {backend} pool URL is a string, not {type(url).__name__}")
    scheme, separator, _ = url.partition("://")
    head, plus, transport_name = scheme.lower().partition("+")
    if not separator or head != backend:
        raise PoolURLError(
            f"{hide_password(url)!r} is not a URL of the {backend} pool ({backend}://…)"
        )
    transport = transport_name if plus else default_transport
    if transports is not None and transport not in transports:
        raise PoolURLError(
            f"{hide_password(url)!r}: unknown transport {transport_name or '(none)'!r} for the "
            f"{backend} pool (it takes {', '.join(f'{backend}+{name}' for name in transports)})"
        )
    parts = urlsplit(url)
    if parts.fragment:
        raise PoolURLError(f"{hide_password(url)!r} has a fragment (#…): pool URLs take none")
    try:
        port = parts.port
    except ValueError:
        raise PoolURLError(
            f"the port of {hide_password(url)!r} is not a number from 0 to 65535"
        ) from None
    if (
        transport in numbered_databases
        and not parts.path.strip("/").isdigit()
        and parts.path.strip("/")
    ):
        raise PoolURLError(
            f"the path of {hide_password(url)!r} must be a database number (such as /0), "
            f"not {parts.path!r}"
        )
    if port == 0:
        raise PoolURLError(f"the port of {hide_password(url)!r} must not be 0")
    if transport == "unix" and not parts.path:
        raise PoolURLError(f"{hide_password(url)!r} names no socket ({backend}+unix:///path)")
    accepted = passthrough if callable(passthrough) else frozenset(passthrough).__contains__
    parsed: dict[str, Any] = {name: option.default for name, option in options.items()}
    seen: set[str] = set()
    rest: list[tuple[str, str]] = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name in seen:
            raise PoolURLError(f"option {name!r} is given twice in {hide_password(url)!r}")
        seen.add(name)
        if name in options:
            parsed[name] = options[name].parse(name, value, url)
        elif accepted(name):
            rest.append((name, value))
        else:
            raise PoolURLError(
                f"unknown option {name!r} in {hide_password(url)!r}: the {backend} pool takes "
                f"{', '.join(sorted(options)) or 'no option'}"
            )
    return PoolURL(
        url=url,
        backend=backend,
        transport=transport,
        username=None if parts.username is None else unquote(parts.username),
        password=None if parts.password is None else unquote(parts.password),
        host=parts.hostname,
        port=port,
        path=parts.path,
        options=parsed,
        passthrough=tuple(rest),
    )


def with_query(url: str, **options: Any) -> str:
    """``url`` with more query parameters (quoted), e.g. a queue of a test's own."""
    extra = urlencode({name: str(value) for name, value in options.items()}, quote_via=quote)
    if not extra:
        return url
    return f"{url}{'&' if '?' in url else '?'}{extra}"
