"""The chariots pytest plugin (entry point ``pytest11``: ``chariots``).

- ``--chariots-worker-pool URL`` runs the worker-pool conformance suite on the pool that ``URL``
  names (a backend name such as ``embedded``, a URL such as ``rq://localhost:6379/0``, or a
  ``package.module:Class`` path), without a test file; the report header names the backend, its
  distribution's version and the pool's capabilities. ``--chariots-known-gap TEST=REASON``
  declares a known gap of that pool (a strict xfail).
- Registers the ``chariots_requires`` marker of capability-gated tests, turns the ``known_gaps``
  of conformance test classes into strict xfails at collection, and adds to the report of a
  failed capability test which capability the pool declared (over-claimed).
- Offers the session fixtures ``chariots_redis_url`` (``$CHARIOTS_TEST_REDIS_URL``, else a private
  ``redis-server``), ``chariots_rabbitmq_url`` and ``chariots_postgres_url`` (skipped with the
  reason when absent; failed instead when ``$CHARIOTS_TEST_REQUIRE_SERVICES`` is set): see
  :mod:`chariots_core.testing.services`.
- Offers the fixtures of a pool's own tests: ``chariots_queue`` (a queue of the test's own on a
  shared broker, :mod:`chariots_core.testing.queues`), ``chariots_processes`` (commands started
  and killed at the end, :mod:`chariots_core.testing.processes`), ``chariots_pool_apps`` (the test
  app and its ``chariots worker`` processes) and ``chariots_pools`` (pools closed at the end), both
  in :mod:`chariots_core.testing.pool_app`.
- Imports a distribution's installed package before pytest imports tests from the folder named
  like it (``<repo>/chariots_rq/tests`` under ``--import-mode=importlib``): see
  :mod:`chariots_core.testing._package_imports`.
- Marks ``chariots_core.testing.conformance`` for assertion rewriting, so that a third party's run
  shows the suite's failed assertions in full.

The module imports nothing of chariots until a hook needs it: it is loaded by every pytest run
in an environment where chariots-core is installed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Generator

    from chariots_core.testing.pool_app import OpenPools, PoolApps
    from chariots_core.testing.processes import Processes
    from chariots_core.testing.queues import TestQueue

pytest.register_assert_rewrite("chariots_core.testing.conformance")

#: the marker of tests that need a capability (``chariots_core.testing.conformance.requires``)
REQUIRES_MARKER = "chariots_requires"
#: the package holding the test file that ``--chariots-worker-pool`` runs
SUITE_PACKAGE = "chariots_core.testing.conformance.command_line"

_POOL_INFO = pytest.StashKey[list[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chariots", "chariots worker-pool conformance suite")
    group.addoption(
        "--chariots-worker-pool",
        dest="chariots_worker_pool",
        metavar="URL",
        default=None,
        help=(
            "run the worker-pool conformance suite on this pool: a backend name (embedded), a "
            "URL (rq://localhost:6379/0) or a package.module:Class path"
        ),
    )
    group.addoption(
        "--chariots-known-gap",
        dest="chariots_known_gaps",
        metavar="TEST=REASON",
        action="append",
        default=[],
        help="a known gap of the pool given by --chariots-worker-pool (a strict xfail); repeatable",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> None:
    """The installed packages named like the folders of the tests to run, imported first."""
    from chariots_core.testing._package_imports import import_installed_packages_over

    paths = [*args, *early_config.getini("testpaths")]
    import_installed_packages_over(paths, early_config.rootpath)


@pytest.hookimpl(tryfirst=True)
def pytest_collect_directory(path: Path, parent: pytest.Collector) -> None:
    """The same for a folder met while collecting."""
    from chariots_core.testing._package_imports import import_installed_packages_over

    import_installed_packages_over([path], parent.config.rootpath)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{REQUIRES_MARKER}(*capabilities): a conformance test of worker-pool capabilities; "
        "skipped on pools that do not declare them",
    )
    spec = config.getoption("chariots_worker_pool")
    if not spec:
        return
    _known_gaps_from_command_line(config)
    config.stash[_POOL_INFO] = _describe_pool(spec)
    suite = _suite_folder()
    if config.args_source is pytest.Config.ArgsSource.ARGS:
        config.args = [*config.args, suite]
    else:  # no paths given: run the suite alone, not the project's own tests
        config.args = [suite]


def pytest_report_header(config: pytest.Config) -> list[str]:
    return config.stash.get(_POOL_INFO, [])


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Known gaps become strict xfails, visible at collection (``--collect-only``, ``-rx``)."""
    in_suite: list[pytest.Item] = []
    if config.getoption("chariots_worker_pool"):
        suite = Path(_suite_folder())
        in_suite = [item for item in items if Path(item.path).parent == suite]
        if not in_suite:
            raise pytest.UsageError(
                "--chariots-worker-pool: the conformance suite was not collected; does the "
                "python_files setting leave out test_*.py files?"
            )
    if "chariots_core.testing.conformance" not in sys.modules:
        return
    from chariots_core.testing.conformance import ConformanceFixtures
    from chariots_core.testing.conformance._markers import known_gap_marker

    command_line = _known_gaps_from_command_line(config)
    for item in items:
        cls = getattr(item, "cls", None)
        if cls is None or not issubclass(cls, ConformanceFixtures):
            continue
        name = getattr(item, "originalname", item.name)
        reason = cls.known_gaps.get(name)
        if reason is None and item in in_suite:
            reason = command_line.get(name)
        if reason is not None:
            item.add_marker(known_gap_marker(reason))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Name the capability a pool over-claimed in the report of a failed capability test."""
    report = yield
    # a failed call, not the strict XPASS of a known gap (that failure has no exception)
    if report.when == "call" and report.failed and call.excinfo is not None:
        needed = [
            getattr(capability, "value", str(capability))
            for marker in item.iter_markers(REQUIRES_MARKER)
            for capability in marker.args
        ]
        if needed:
            report.sections.append(
                (
                    "chariots capability",
                    f"this test proves the capability {', '.join(needed)}, which the pool "
                    "declares: the pool over-claims it (fix the pool, or stop declaring the "
                    "capability, or declare the test a known gap with a reason)",
                )
            )
    return report


@pytest.fixture(scope="session")
def chariots_redis_url() -> Generator[str, None, None]:
    """``redis://…`` of a Redis for the tests: ``$CHARIOTS_TEST_REDIS_URL``, else a private
    ``redis-server`` on a free loopback port for the session."""
    from chariots_core.testing.services import ServiceUnavailable, redis_for_tests

    try:
        with redis_for_tests() as url:
            yield url
    except ServiceUnavailable as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def chariots_rabbitmq_url() -> str:
    """``amqp://…`` of a RabbitMQ that answers; the test skips (or fails, where services are
    required) when there is none."""
    from chariots_core.testing.services import find_rabbitmq

    return _service(find_rabbitmq)


@pytest.fixture(scope="session")
def chariots_postgres_url() -> str:
    """A SQLAlchemy URL of a PostgreSQL database that answers; the test skips (or fails, where
    services are required) when there is none."""
    from chariots_core.testing.services import find_postgres

    return _service(find_postgres)


def _service(find: Any) -> str:
    from chariots_core.testing.services import skip_or_fail

    return str(skip_or_fail(find))


@pytest.fixture
def chariots_queue() -> Generator[TestQueue, None, None]:
    """A queue of this test's own (``.name``, ``.url(base, **query)``); the clean-ups registered
    on it (``.on_cleanup``, ``.forget_redis_keys``) run at the end."""
    from chariots_core.testing.queues import TestQueue

    queue = TestQueue()
    yield queue
    queue.cleanup()


@pytest.fixture
def chariots_processes(tmp_path: Path) -> Generator[Processes, None, None]:
    """``.start(script, args, env)``: commands of this environment, their logs in ``tmp_path``;
    killed (with the processes below them) at the end if they still run."""
    from chariots_core.testing.processes import Processes

    processes = Processes(tmp_path)
    yield processes
    processes.kill_all()


@pytest.fixture
def chariots_pool_apps(tmp_path: Path, chariots_processes: Processes) -> PoolApps:
    """``.make(pool)``: the pool tests' app (``chariots_core.testing.pool_app``) under a name of
    its own, its stores in ``tmp_path``; ``.worker(app, pool_url)``: ``chariots worker`` on it.
    Override it to give the app pipelines of your own (``PoolApps(..., pipelines=...)``)."""
    from chariots_core.testing.pool_app import PoolApps

    return PoolApps(tmp_path, chariots_processes)


@pytest.fixture
def chariots_pools() -> Generator[OpenPools, None, None]:
    """``chariots_pools(pool_or_url)``: a pool, closed (its workers stopped) at the end."""
    from chariots_core.testing.pool_app import OpenPools

    pools = OpenPools()
    yield pools
    pools.close_all()


def _suite_folder() -> str:
    """The folder of the suite's test file (a folder, so that test ids read
    ``test_worker_pool.py::TestWorkerPoolConformance::test_…``)."""
    import importlib.util

    spec = importlib.util.find_spec(SUITE_PACKAGE)
    if spec is None or spec.origin is None:  # pragma: no cover - an incomplete installation
        raise pytest.UsageError(f"cannot find {SUITE_PACKAGE}: reinstall chariots-core[testing]")
    return str(Path(spec.origin).parent)


def _known_gaps_from_command_line(config: pytest.Config) -> dict[str, str]:
    gaps: dict[str, str] = {}
    for text in config.getoption("chariots_known_gaps") or []:
        name, separator, reason = text.partition("=")
        if not separator or not name.strip() or not reason.strip():
            raise pytest.UsageError(f"--chariots-known-gap takes TEST_NAME=REASON, not {text!r}")
        gaps[name.strip()] = reason.strip()
    if gaps:
        from chariots_core.testing.conformance import WorkerPoolConformance

        tests = sorted(name for name in dir(WorkerPoolConformance) if name.startswith("test_"))
        for name in gaps:
            if name not in tests:
                raise pytest.UsageError(
                    f"--chariots-known-gap names {name!r}, which is not a test of the "
                    f"conformance suite (its tests: {', '.join(tests)})"
                )
    return gaps


def _describe_pool(spec: str) -> list[str]:
    """The report header's lines for the pool ``spec`` names; a usage error if it cannot be
    built (the message lists the installed backends and says what to install)."""
    from chariots_core.errors import ChariotsError
    from chariots_core.workers import available_backends, get_worker_pool

    try:
        pool = get_worker_pool(spec)
    except (ChariotsError, ImportError, TypeError, ValueError) as error:
        raise pytest.UsageError(
            f"--chariots-worker-pool {spec}: {type(error).__name__}: {error}"
        ) from None
    try:
        backend = pool.backend or type(pool).__name__
        distribution = _distribution_of(backend, available_backends())
        capabilities = ", ".join(sorted(c.value for c in pool.capabilities)) or "none"
        return [
            f"chariots worker pool: {spec} -> {type(pool).__module__}.{type(pool).__qualname__}",
            f"  backend {backend!r} from {distribution}; {pool.describe()}",
            f"  capabilities: {capabilities}",
        ]
    finally:
        pool.close()


def _distribution_of(backend: str, infos: list[Any]) -> str:
    for info in infos:
        if info.name == backend and info.distribution:
            return f"{info.distribution} {info.version}"
    return "an unknown distribution (no 'chariots' entry point of that name)"
