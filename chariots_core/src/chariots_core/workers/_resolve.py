"""Choosing a worker pool from what a user wrote: an instance, a class, a name, a URL or a path."""

from __future__ import annotations

import importlib
import os
import re
from typing import Any, TypeAlias

from chariots_core.errors import WorkerPoolError
from chariots_core.workers._base_pool import BaseWorkerPool
from chariots_core.workers._plugins import load_backend

#: the environment variable naming the pool when none is given (any form a string can take)
WORKER_POOL_ENV = "CHARIOTS_WORKER_POOL"

#: the backend used where a server needs a pool and none is configured
DEFAULT_BACKEND = "embedded"

PoolSpec: TypeAlias = BaseWorkerPool | type[BaseWorkerPool] | str

_BACKEND_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")
_IMPORT_PATH = re.compile(r"(?P<module>[\w.]+):(?P<attribute>[\w.]+)")


def get_worker_pool(spec: PoolSpec | None = None, **kwargs: Any) -> BaseWorkerPool:
    """The worker pool ``spec`` names, built.

    ``spec`` is one of:

    - a pool instance, returned as it is;
    - a :class:`BaseWorkerPool` subclass, built with ``kwargs``;
    - a backend name (``"rq"``, ``"embedded"``): its class, built with ``kwargs``;
    - a URL whose scheme names the backend, alone or before a ``+`` (``rq://host:6379/0``,
      ``rq+rediss://…``, ``celery+amqp://…``): the class's ``from_url(url)``;
    - ``"package.module:Class"`` (built with ``kwargs``) or ``"package.module:pool"`` (an
      instance, returned as it is);
    - ``None``: the value of ``$CHARIOTS_WORKER_POOL``, in any of the string forms above.

    Raises :class:`~chariots_core.errors.WorkerPoolError` when the pool cannot be found: an
    uninstalled backend (the message lists the installed ones and says what to install), a plugin
    that fails to load (with its error), a path that does not import, or no spec at all.
    """
    if spec is None:
        spec = os.environ.get(WORKER_POOL_ENV, "").strip()
        if not spec:
            raise WorkerPoolError(
                f"no worker pool given and ${WORKER_POOL_ENV} is not set; give a pool, a backend "
                "name (such as 'embedded' or 'rq'), a URL (such as 'rq://localhost:6379/0') or a "
                "'package.module:Class' path"
            )
    if isinstance(spec, BaseWorkerPool):
        _no_kwargs_with(kwargs, "a pool instance")
        return spec
    if isinstance(spec, type):
        if not issubclass(spec, BaseWorkerPool):
            raise TypeError(f"{spec.__name__} is not a subclass of BaseWorkerPool")
        return spec(**kwargs)
    if not isinstance(spec, str):
        raise TypeError(
            "a worker pool is given as a pool, a pool class, a backend name, a URL or a "
            f"'package.module:Class' path, not {type(spec).__name__}"
        )
    return _pool_from_string(spec.strip(), kwargs)


def default_worker_pool() -> BaseWorkerPool:
    """The pool a server uses when it is given none: ``$CHARIOTS_WORKER_POOL`` if set, else the
    embedded pool (no broker), built as its name builds it: on its first job, when no worker
    listens on its queue, it starts two worker threads in this process so that the calls a
    server hands to workers run with nothing else to start (``embedded://?autostart=0`` leaves
    them to ``chariots worker``)."""
    if os.environ.get(WORKER_POOL_ENV, "").strip():
        return get_worker_pool()
    return get_worker_pool(DEFAULT_BACKEND)


def backend_of_url(url: str) -> str | None:
    """The backend a URL names (the part of its scheme before any ``+``), ``None`` for a string
    that is not a URL."""
    match = _URL.match(url)
    if match is None:
        return None
    return match["scheme"].split("+", 1)[0].lower()


def _pool_from_string(spec: str, kwargs: dict[str, Any]) -> BaseWorkerPool:
    backend = backend_of_url(spec)
    if backend is not None:
        _no_kwargs_with(kwargs, "a URL")
        return load_backend(backend)[0].from_url(spec)
    path = _IMPORT_PATH.fullmatch(spec)
    if path is not None:
        return _pool_from_import_path(spec, path["module"], path["attribute"], kwargs)
    if _BACKEND_NAME.fullmatch(spec):
        return load_backend(spec)[0](**kwargs)
    raise WorkerPoolError(
        f"{spec!r} is not a worker pool: give a backend name (such as 'embedded' or 'rq'), a URL "
        "(such as 'rq://localhost:6379/0') or a 'package.module:Class' path"
    )


def _pool_from_import_path(
    spec: str, module_name: str, attribute: str, kwargs: dict[str, Any]
) -> BaseWorkerPool:
    try:
        found: object = importlib.import_module(module_name)
    except ImportError as error:
        raise WorkerPoolError(
            f"cannot import the module of worker pool {spec!r}: {type(error).__name__}: {error}"
        ) from error
    for part in attribute.split("."):
        try:
            found = getattr(found, part)
        except AttributeError:
            raise WorkerPoolError(
                f"cannot find worker pool {spec!r}: {module_name!r} has no attribute {attribute!r}"
            ) from None
    if isinstance(found, BaseWorkerPool):
        _no_kwargs_with(kwargs, "a pool instance")
        return found
    if isinstance(found, type) and issubclass(found, BaseWorkerPool):
        return found(**kwargs)
    raise WorkerPoolError(f"{spec!r} is {found!r}, neither a BaseWorkerPool subclass nor a pool")


def _no_kwargs_with(kwargs: dict[str, Any], what: str) -> None:
    if kwargs:
        raise TypeError(f"keyword arguments ({', '.join(sorted(kwargs))}) cannot go with {what}")
