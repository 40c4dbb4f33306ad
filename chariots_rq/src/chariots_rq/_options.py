"""What an RQ pool is built from: its Redis, its queues, its defaults, its workers' settings; and
the ``rq://`` URLs that say all of it in one string."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from redis.connection import URL_QUERY_ARGUMENT_PARSERS

from chariots_core.errors import WorkerPoolError

#: the queue chariots jobs go to unless told otherwise
DEFAULT_QUEUE = "chariots"
#: the priorities that get a queue of their own, by default; others go to the nearest one
DEFAULT_PRIORITIES = tuple(range(-10, 11))

#: URL schemes and the Redis scheme each stands for
SCHEMES = {"rq": "redis", "rq+redis": "redis", "rq+rediss": "rediss", "rq+unix": "unix"}

#: query parameters redis-py reads from a URL (beside ``URL_QUERY_ARGUMENT_PARSERS``)
_REDIS_STRING_PARAMETERS = frozenset(
    {
        "client_name",
        "lib_name",
        "lib_version",
        "username",
        "password",
        "path",
        "ssl_keyfile",
        "ssl_certfile",
        "ssl_cert_reqs",
        "ssl_ca_certs",
        "ssl_ca_path",
        "ssl_ca_data",
        "ssl_password",
        "ssl_ciphers",
    }
)


class RQURLError(WorkerPoolError, ValueError):
    """An ``rq://`` URL (or a pool argument) that cannot be used; the message says why."""


@dataclass(frozen=True)
class WorkerOptions:
    """How the RQ workers of a pool run (``chariots worker`` and embedded ones alike).

    - ``fork``: run each job in a forked work horse (``rq.Worker``: the job's timeout and a
      ``stop`` kill it, whatever it is doing) or in the worker process itself
      (``rq.SimpleWorker``: cheaper, for jobs that are quick or trusted);
    - ``worker_ttl``: seconds a worker's registration lives without a heartbeat (an idle worker
      beats every ``worker_ttl - 15`` seconds; a worker killed outright is counted until then);
    - ``job_monitoring_interval``: seconds between the heartbeats of a forking worker's job;
    - ``maintenance_interval``: seconds between a worker's cleanups of the queues' registries,
      where RQ finds the jobs abandoned by dead workers;
    - ``abandoned_after``: seconds after its last heartbeat at which a started job counts as
      abandoned (RQ's own grace is 60): such a job is retried if it has retries left, else ``lost``;
    - ``logging_level``: the level of RQ's worker log.
    """

    fork: bool = True
    worker_ttl: int = 420
    job_monitoring_interval: int = 30
    maintenance_interval: int = 600
    abandoned_after: int = 60
    logging_level: str = "INFO"

    def __post_init__(self) -> None:
        if not isinstance(self.fork, bool):
            raise RQURLError(f"worker option 'fork' must be true or false, not {self.fork!r}")
        for name in ("worker_ttl", "job_monitoring_interval", "maintenance_interval"):
            _positive_int(name, getattr(self, name))
        _positive_int("abandoned_after", self.abandoned_after, zero=True)
        if self.worker_ttl <= 15:
            raise RQURLError(
                "worker option 'worker_ttl' must be more than 15 seconds (an idle worker beats "
                "every worker_ttl - 15 seconds)"
            )
        if self.logging_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise RQURLError(f"unknown worker logging level {self.logging_level!r}")

    def replace(self, **changes: Any) -> WorkerOptions:
        values = {field.name: getattr(self, field.name) for field in fields(self)}
        unknown = set(changes) - set(values)
        if unknown:
            raise TypeError(f"unknown worker options {sorted(unknown)} (known: {sorted(values)})")
        values.update(changes)
        return WorkerOptions(**values)


WORKER_OPTION_NAMES = tuple(field.name for field in fields(WorkerOptions))
#: the query parameters of an ``rq://`` URL that configure the pool rather than Redis
POOL_PARAMETERS = ("queue", "timeout", "result_ttl", "failure_ttl", "priorities")


@dataclass(frozen=True)
class ParsedURL:
    """An ``rq://`` URL taken apart: the Redis URL, and the pool's keyword arguments."""

    redis_url: str
    pool_kwargs: dict[str, Any]


def parse_url(url: str) -> ParsedURL:
    """Split ``rq[+redis|+rediss|+unix]://…?queue=…&timeout=…`` into a Redis URL and pool options.

    Query parameters naming a pool option (``queue``, ``timeout``, ``result_ttl``,
    ``failure_ttl``, ``priorities``) or a worker option (``fork``, ``worker_ttl``,
    ``job_monitoring_interval``, ``maintenance_interval``, ``abandoned_after``,
    ``logging_level``) are the pool's; the others must be Redis connection parameters
    (``socket_timeout``, ``ssl_cert_reqs``, …) and stay in the Redis URL.
    """
    if not isinstance(url, str):
        raise RQURLError(f"an RQ pool URL is a string, not {type(url).__name__}")
    scheme, separator, _ = url.partition("://")
    if not separator:
        raise RQURLError(f"{url!r} is not a URL (expected rq://host:port/db)")
    redis_scheme = SCHEMES.get(scheme.lower())
    if redis_scheme is None:
        raise RQURLError(
            f"unknown scheme {scheme!r} in {_safe(url)!r}: an RQ pool URL starts with "
            f"{', '.join(f'{name}://' for name in SCHEMES)}"
        )
    parts = urlsplit(url)
    if parts.fragment:
        raise RQURLError(f"an RQ pool URL has no fragment ('#{parts.fragment}')")
    try:
        port = parts.port
    except ValueError:
        raise RQURLError(f"the port of {_safe(url)!r} is not a number from 0 to 65535") from None
    if redis_scheme == "unix":
        if not parts.path:
            raise RQURLError(f"{_safe(url)!r} names no socket (rq+unix:///path/to/redis.sock)")
    else:
        if port == 0:
            raise RQURLError(f"the port of {_safe(url)!r} must not be 0")
        database = parts.path.strip("/")
        if database and not database.isdigit():
            raise RQURLError(
                f"the path of {_safe(url)!r} must be a Redis database number (such as /0), "
                f"not {parts.path!r}"
            )
    pool_kwargs: dict[str, Any] = {}
    worker_changes: dict[str, Any] = {}
    redis_query: list[tuple[str, str]] = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False):
        if name in pool_kwargs or name in worker_changes:
            raise RQURLError(f"query parameter {name!r} is given twice in {_safe(url)!r}")
        if name in POOL_PARAMETERS:
            pool_kwargs[name] = _pool_parameter(name, value)
        elif name in WORKER_OPTION_NAMES:
            worker_changes[name] = _worker_parameter(name, value)
        elif name in URL_QUERY_ARGUMENT_PARSERS or name in _REDIS_STRING_PARAMETERS:
            redis_query.append((name, value))
        else:
            known = sorted({*POOL_PARAMETERS, *WORKER_OPTION_NAMES})
            raise RQURLError(
                f"unknown query parameter {name!r} in {_safe(url)!r}: the pool takes "
                f"{', '.join(known)}, and Redis its connection parameters (such as socket_timeout)"
            )
    if worker_changes:
        pool_kwargs["worker_options"] = WorkerOptions().replace(**worker_changes)
    query = urlencode(redis_query)
    redis_url = f"{redis_scheme}://{parts.netloc}{parts.path}" + (f"?{query}" if query else "")
    return ParsedURL(redis_url=redis_url, pool_kwargs=pool_kwargs)


def parse_priorities(value: str | Iterable[int]) -> tuple[int, ...]:
    """Priority levels from ``"-2..2"``, ``"0,5,10"`` or integers: distinct, highest first."""
    if isinstance(value, str):
        text = value.strip()
        found: list[int] = []
        try:
            for part in text.split(","):
                low, dots, high = part.strip().partition("..")
                if dots:
                    first, last = int(low), int(high)
                    if first > last:
                        raise RQURLError(f"priority range {part.strip()!r} runs backwards")
                    found.extend(range(first, last + 1))
                else:
                    found.append(int(part))
        except RQURLError:
            raise
        except ValueError:
            raise RQURLError(
                f"priorities {value!r} must be integers: a range such as -2..2 or a list such "
                "as 0,5,10"
            ) from None
        levels: Iterable[int] = found
    else:
        levels = value
    result = sorted(set(levels), reverse=True)
    if not result:
        raise RQURLError("a pool needs at least one priority level")
    for level in result:
        if isinstance(level, bool) or not isinstance(level, int):
            raise RQURLError(f"priority levels are integers, not {level!r}")
    if len(result) > 64:
        raise RQURLError(
            f"{len(result)} priority levels is too many (a worker listens on one queue for each; "
            "at most 64)"
        )
    return tuple(result)


def check_seconds(name: str, value: Any, *, allow_none: bool = True) -> float | None:
    """A duration in seconds, positive; ``None`` when allowed."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RQURLError(f"{name!r} must be a number of seconds, not {value!r}")
    if value <= 0:
        raise RQURLError(f"{name!r} must be more than 0 seconds, not {value!r}")
    return float(value)


def rq_seconds(value: float) -> int:
    """RQ counts whole seconds: round a duration up (never to 0)."""
    return max(1, math.ceil(value))


def _pool_parameter(name: str, value: str) -> Any:
    if name == "queue":
        return value
    if name == "priorities":
        return parse_priorities(value)
    return check_seconds(name, _number(name, value))


def _worker_parameter(name: str, value: str) -> Any:
    if name == "fork":
        lowered = value.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise RQURLError(f"query parameter 'fork' must be true or false, not {value!r}")
    if name == "logging_level":
        return value.upper()
    number = _number(name, value)
    if number != int(number):
        raise RQURLError(f"query parameter {name!r} must be a whole number of seconds")
    return int(number)


def _number(name: str, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise RQURLError(f"query parameter {name!r} must be a number, not {value!r}") from None


def _positive_int(name: str, value: Any, *, zero: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if zero else 1):
        bound = ">= 0" if zero else "> 0"
        raise RQURLError(f"worker option {name!r} must be an integer {bound}, not {value!r}")


_PASSWORD = re.compile(r"(://[^:/@]*:)[^@/]*@")


def _safe(url: str) -> str:
    """The URL with its password hidden, for messages."""
    return _PASSWORD.sub(r"\1***@", url)


def safe_url(url: str) -> str:
    return _safe(url)


def validated_mapping(name: str, value: Mapping[str, Any] | None) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping, not {type(value).__name__}")
    return dict(value)
