"""The pipelines a worker has loaded, reloaded only when the op store holds newer versions."""

from __future__ import annotations

import copy
import threading
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from chariots_core.op_store import BaseOpStoreClient
from chariots_core.pipeline_model import Pipeline

_Signature = tuple[tuple[str, str], ...]


class PipelineCache:
    """Loaded copies of an app's pipelines, each lent to one job at a time.

    A job borrows a copy loaded from the op store (never the app's own pipeline object, which the
    server may be running concurrently). Before lending a cached copy the cache asks the op store
    for the newest saved versions of the pipeline's ops — one query — and loads a fresh copy only
    when they changed.
    """

    def __init__(self) -> None:
        # per app (weakly: a cache entry dies with its app), per pipeline name
        self._free: weakref.WeakKeyDictionary[object, dict[str, list[tuple[_Signature, Pipeline]]]]
        self._free = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    @contextmanager
    def borrow(
        self, app: object, pipeline: Pipeline, op_store_client: BaseOpStoreClient
    ) -> Iterator[Pipeline]:
        loadable = loadable_op_names(pipeline)
        # a pipeline with nothing to load asks the op store nothing
        latest = op_store_client.get_latest_versions(loadable) if loadable else {}
        signature = tuple(sorted((name, str(saved.version)) for name, saved in latest.items()))
        loaded = None
        with self._lock:
            copies = self._free.setdefault(app, {}).setdefault(pipeline.name, [])
            copies[:] = [(sig, copy_) for sig, copy_ in copies if sig == signature]
            if copies:
                loaded = copies.pop()[1]
        if loaded is None:
            loaded = private_copy(pipeline)
            loaded.load(op_store_client)
        yield loaded
        # a run that changed the pipeline's ops (a fit) saves them: the signature moves on and
        # this copy is dropped at the next borrow; one that did not can be lent again
        with self._lock:
            self._free.setdefault(app, {}).setdefault(pipeline.name, []).append((signature, loaded))

    def fill(self, app: object, pipelines: Iterable[Pipeline], client: BaseOpStoreClient) -> None:
        """Have a loaded copy of each pipeline ready (before forking work horses: each inherits
        them, instead of loading them for its one job); a pipeline whose copy is current costs
        one query of the op store, or none when it has nothing to load."""
        for pipeline in pipelines:
            with self._lock:
                ready = bool(self._free.get(app, {}).get(pipeline.name))
            if ready and not loadable_op_names(pipeline):
                continue
            with self.borrow(app, pipeline, client):
                pass

    def clear(self) -> None:
        with self._lock:
            self._free.clear()


def loadable_op_names(pipeline: Pipeline) -> list[str]:
    """The names of the ops of ``pipeline`` (and of the pipelines nested in it) that the op
    store can hold a saved state of."""
    names: list[str] = []
    for node in pipeline.nodes:
        if isinstance(node.op, Pipeline):
            names.extend(loadable_op_names(node.op))
        elif node.is_loadable:
            names.append(node.name)
    return names


def private_copy(pipeline: Pipeline) -> Pipeline:
    """A deep copy of ``pipeline`` whose ops a job may fit, sharing only the callbacks."""
    memo: dict[int, Any] = {}
    pending = [pipeline]
    while pending:
        current = pending.pop()
        for callback in current.pipeline_callbacks:
            memo[id(callback)] = callback
        for node in current.nodes:
            if isinstance(node.op, Pipeline):
                pending.append(node.op)
            else:
                for op_callback in node.op.callbacks:
                    memo[id(op_callback)] = op_callback
    return copy.deepcopy(pipeline, memo)
