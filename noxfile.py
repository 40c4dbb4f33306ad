"""Sessions: tests, lint, types, quickstart, dist. ``nox`` alone runs lint, types and tests.

Every session installs the workspace from ``uv.lock`` into its own virtual environment.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "types", "tests"]
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


@nox.session
def tests(session: nox.Session) -> None:
    """Every test of the workspace (PostgreSQL and broker tests skip with a reason when absent)."""
    sync(session, "test")
    session.run("pytest", *(session.posargs or ["-q"]))


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    sync(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def types(session: nox.Session) -> None:
    """mypy, strict, on every distribution's package."""
    sync(session, "types")
    session.run("mypy")


@nox.session
def quickstart(session: nox.Session) -> None:
    """The README's quickstart: train and serve the iris pipelines on SQLite and a folder."""
    sync(session)
    session.run("python", "examples/quickstart.py", *session.posargs)


@nox.session
def dist(session: nox.Session) -> None:
    """Build the four wheels, install chariots-core[sklearn] from them in a clean venv, run
    the quickstart there."""
    out = ROOT / "dist"
    shutil.rmtree(out, ignore_errors=True)
    for package in PACKAGES:
        session.run("uv", "build", "--package", package, "--out-dir", str(out), external=True)
    session.install("--find-links", str(out), "chariots-core[sklearn,testing]")
    session.run("python", "examples/quickstart.py")


#: the conformance suite's runs per backend: the pytest arguments of each run (each backend's
#: owner adds its lines; a run needing a broker skips with a reason when none answers)
CONFORMANCE: dict[str, list[list[str]]] = {
    "embedded": [
        ["chariots_core/tests/conformance/test_embedded_conformance.py"],  # threads and processes
        ["--chariots-worker-pool", "embedded"],  # the same suite, named on the command line
    ],
    "example": [["tests/third_party_plugin"]],  # the third-party pool written from the docs
}


@nox.session
@nox.parametrize("backend", list(CONFORMANCE))
def conformance(session: nox.Session, backend: str) -> None:
    """The worker-pool conformance suite on one backend (``nox -s conformance`` runs them all)."""
    sync(session, "test")
    for arguments in CONFORMANCE[backend]:
        session.run("pytest", "-q", "-rs", *arguments, *session.posargs)


@nox.session
def dist_conformance(session: nox.Session) -> None:
    """Build chariots-core's wheel (and the example pool's), install them alone in a clean
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
