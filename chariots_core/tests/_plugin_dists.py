"""Chariots plugins for tests, installed as real distributions.

Each is a ``<name>-<version>.dist-info`` folder (``METADATA``, ``entry_points.txt``) beside its
module, in a folder that :func:`installed_test_plugins` puts on ``sys.path`` (and that subprocess
tests put on ``PYTHONPATH``), so that ``importlib.metadata`` finds them as it finds any installed
distribution:

- ``chariots-test-dummy`` 0.1: backend ``dummy``, an in-memory pool (``DummyWorkerPool``);
- ``chariots-test-broken`` 0.1: backend ``broken``, whose module raises ``ImportError``;
- ``chariots-test-recorder`` 0.1: ``recorder``, lifecycle hooks only, recording the jobs;
- ``chariots-test-faulty`` 0.1: ``misnamed`` (a pool of another backend), ``notapool``
  (registers ``object``), ``typo`` (implements a hook that does not exist) and ``badargs``
  (a valid lifecycle hook, and one whose arguments do not match its specification);

and ``chariots_test_app``, a module holding two apps whose op store and job store sit in the
same folder: ``app`` (its pool the ``dummy`` backend) and ``embedded_app`` (the embedded pool).
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from chariots_core.workers import _plugins

DUMMY_PLUGIN = '''
"""A test backend: a pool that keeps messages in memory."""

import os
import signal

from chariots_core.workers import BaseWorkerPool, Capability, hookimpl


class DummyWorkerPool(BaseWorkerPool):
    backend = "dummy"
    capabilities = frozenset({Capability.cancel_queued, Capability.delay})
    capabilities_by_transport = {
        "redis": frozenset({Capability.cancel_queued, Capability.delay}),
        "amqp": frozenset({Capability.cancel_queued}),
    }

    def __init__(self, url=None, **options):
        self.url = url
        self.options = options
        self.messages = []
        self.app_name = None
        self._workers = 0

    @classmethod
    def from_url(cls, url):
        return cls(url=url)

    def attach(self, context):
        self.app_name = context.app_name

    def submit(self, message):
        self.messages.append(message)
        return "held"

    @property
    def n_workers(self):
        return self._workers

    def start_workers(self, n=1):
        self._workers += n

    def stop_workers(self, timeout=30.0):
        self._workers = 0

    def run_worker(self, concurrency=1):
        if self.url and "dying" in self.url:  # worker processes that die as they start
            from chariots_core.workers.kit import run_in_foreground

            run_in_foreground(lambda ready: os._exit(3), concurrency, name="dummy", inline=False)
        try:
            print(f"dummy worker ready for app {self.app_name}, concurrency {concurrency}")
            while True:
                signal.pause()
        except KeyboardInterrupt:
            print("dummy worker stopped gracefully", flush=True)

    def describe(self):
        return f"dummy pool {self.url or 'in memory'}"


shared_pool = DummyWorkerPool(url="dummy://shared")


@hookimpl
def chariots_register_worker_pools(register):
    register(DummyWorkerPool)
'''

BROKEN_PLUGIN = """
from pathlib import Path

# count the imports, so that tests can tell whether (and how often) this module was imported
with Path(__file__).with_name("broken_imports.txt").open("a") as imports:
    imports.write("imported\\n")

raise ImportError("chariots_test_broken needs the 'missing_sdk' package")
"""

RECORDER_PLUGIN = """
from chariots_core.workers import hookimpl

events = []


@hookimpl
def chariots_job_started(job):
    events.append(("started", job.id))


@hookimpl
def chariots_job_finished(job):
    events.append(("finished", job.id))
"""

MISNAMED_PLUGIN = """
from chariots_core.workers import BaseWorkerPool, hookimpl


class OtherPool(BaseWorkerPool):
    backend = "other"
    n_workers = 0
    submit = start_workers = stop_workers = run_worker = lambda self, *args, **kwargs: None


@hookimpl
def chariots_register_worker_pools(register):
    register(OtherPool)
"""

NOT_A_POOL_PLUGIN = """
from chariots_core.workers import hookimpl


@hookimpl
def chariots_register_worker_pools(register):
    register(object)
"""

TYPO_PLUGIN = """
from chariots_core.workers import hookimpl


@hookimpl
def chariots_register_worker_pool(register):
    pass
"""

BAD_ARGUMENTS_PLUGIN = """
from chariots_core.workers import hookimpl

events = []


@hookimpl
def chariots_job_finished(job):
    events.append(("finished", job.id))


@hookimpl
def chariots_job_started(job, worker):
    events.append(("started", job.id))
"""

APP_MODULE = """
from pathlib import Path

from chariots_core.op_store import OpStore
from chariots_core.pipelines import Pipeline, PipelinesServer
from chariots_core.pipelines.nodes import Node
from chariots_core.pipelines.ops import BaseOp


class AddOne(BaseOp):
    def execute(self, number):
        return number + 1


def _pipeline(name):
    node = Node(AddOne(), input_nodes=["__pipeline_input__"], output_nodes="__pipeline_output__")
    return Pipeline([node], name)


app = PipelinesServer(
    [_pipeline("add_one"), _pipeline("add_two")],
    op_store_client=OpStore(path=Path(__file__).with_name("op_store")),
    import_name="chariots_test_app",
    worker_pool="dummy",
)

embedded_app = PipelinesServer(
    [_pipeline("add_one")],
    op_store_client=OpStore(path=Path(__file__).with_name("embedded_op_store")),
    import_name="chariots_test_embedded_app",
    worker_pool="embedded",
)

not_an_app = 42
"""

#: the modules the test distributions install
TEST_MODULES = {
    "chariots_test_dummy": DUMMY_PLUGIN,
    "chariots_test_broken": BROKEN_PLUGIN,
    "chariots_test_recorder": RECORDER_PLUGIN,
    "chariots_test_misnamed": MISNAMED_PLUGIN,
    "chariots_test_notapool": NOT_A_POOL_PLUGIN,
    "chariots_test_typo": TYPO_PLUGIN,
    "chariots_test_badargs": BAD_ARGUMENTS_PLUGIN,
    "chariots_test_app": APP_MODULE,
}

#: the test distributions: name → the entry points (backend → module) each registers
TEST_DISTRIBUTIONS = {
    "chariots-test-dummy": {"dummy": "chariots_test_dummy"},
    "chariots-test-broken": {"broken": "chariots_test_broken"},
    "chariots-test-recorder": {"recorder": "chariots_test_recorder"},
    "chariots-test-faulty": {
        "misnamed": "chariots_test_misnamed",
        "notapool": "chariots_test_notapool",
        "typo": "chariots_test_typo",
        "badargs": "chariots_test_badargs",
    },
}


#: the backends (entry-point names) of the test distributions, and the one chariots-core ships
TEST_BACKENDS = {name for entry_points in TEST_DISTRIBUTIONS.values() for name in entry_points}
EXPECTED_BACKENDS = TEST_BACKENDS | {"embedded"}


#: the backends chariots publishes: backend → its distribution, the class chariots_core.workers
#: exports for it
PUBLISHED_BACKENDS = {
    "rq": ("chariots-rq", "RQWorkerPool"),
    "celery": ("chariots-celery", "CeleryWorkerPool"),
    "dramatiq": ("chariots-dramatiq", "DramatiqWorkerPool"),
}


def published_backend_not_installed() -> str:
    """A backend chariots publishes that is not installed here, ``rq`` first; skips the test
    when all are installed."""
    installed = {ep.name for ep in importlib.metadata.entry_points(group="chariots")}
    for backend in PUBLISHED_BACKENDS:
        if backend not in installed:
            return backend
    pytest.skip("chariots-rq, chariots-celery and chariots-dramatiq are all installed here")


def installed_backends_in(message: str) -> list[str]:
    """The backends an error message lists as installed (checked to be in order)."""
    found = re.search(r"installed backends: ([^)]*)\)", message)
    assert found, f"no list of installed backends in {message!r}"
    names = found[1].split(", ")
    assert names == sorted(names), names
    return names


def write_distribution(
    folder: Path, name: str, version: str, entry_points: dict[str, str], group: str = "chariots"
) -> Path:
    """Write the metadata of an installed distribution into ``folder`` (a ``sys.path`` entry)."""
    dist_info = folder / f"{name.replace('-', '_')}-{version}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    lines = [f"[{group}]"] + [f"{key} = {value}" for key, value in entry_points.items()]
    (dist_info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dist_info


def write_test_plugins(folder: Path) -> Path:
    """Write every test distribution and module into ``folder``; returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for module, source in TEST_MODULES.items():
        (folder / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    for name, entry_points in TEST_DISTRIBUTIONS.items():
        write_distribution(folder, name, "0.1", entry_points)
    return folder


@contextmanager
def installed_test_plugins(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The test distributions installed (on ``sys.path``) for the block, with a plugin registry
    of the block's own so that no load outlives it; their modules are forgotten afterwards."""
    write_test_plugins(folder)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setattr(_plugins, "_registry", _plugins.PluginRegistry())
    try:
        yield folder
    finally:
        for module in TEST_MODULES:
            sys.modules.pop(module, None)
