"""The ``chariots`` command: list the installed plugins, serve an app, run a worker, list jobs,
make a new project.

Errors a user can fix (an app that does not import, an unknown pool) print one line and exit
with status 2, as click's own usage errors do.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import timezone
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from chariots_core._cli_checks import (
    Unreachable,
    check_reachable,
    listening_socket,
    public_path,
)
from chariots_core.errors import ChariotsError, WorkerPoolError
from chariots_core.jobs import Job, JobStatus
from chariots_core.workers import (
    BackendInfo,
    BaseWorkerPool,
    JobRecovery,
    available_backends,
    get_worker_pool,
    lifecycle_hooks,
    load_app,
)

if TYPE_CHECKING:
    from chariots_core.pipelines import PipelinesServer

#: the environment variable ``--app`` falls back on
APP_ENV = "CHARIOTS_APP"


class CommandError(click.ClickException):
    """A mistake in what the command was given: ``Error: <message>``, exit status 2."""

    exit_code = 2


class WorkerFailed(click.ClickException):
    """A worker that cannot go on (its processes keep dying, its broker is gone): ``Error:
    <message>``, exit status 1, so that a service manager restarts it."""

    exit_code = 1


app_option = click.option(
    "--app",
    "app_spec",
    metavar="PACKAGE.MODULE:APP",
    envvar=APP_ENV,
    help=f"The PipelinesServer to use, as 'package.module:attribute' (default: ${APP_ENV}).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="chariots-core", prog_name="chariots")
def main() -> None:
    """Serve chariots apps, run their workers, and inspect plugins and jobs."""
    # A console script's sys.path starts with its own folder, not the current one: put the
    # current folder first, as `python -m` would, so that `--app myapp:app` imports.
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())


# -- plugins ------------------------------------------------------------------------------------


@main.command(short_help="List the installed backends, their pools and capabilities.")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def plugins(as_json: bool) -> None:
    """List the installed backends, their pools and capabilities, and load errors."""
    infos = available_backends()
    if as_json:
        click.echo(json.dumps([info.to_json() for info in infos], indent=2))
        return
    if not infos:
        click.echo("no chariots plugins are installed (entry-point group 'chariots')")
        return
    for info in infos:
        _echo_backend(info)
    failed = [info.name for info in infos if not info.loaded]
    if failed:
        click.echo(
            f"{len(failed)} of {len(infos)} plugins failed to load: {', '.join(failed)}", err=True
        )


def _echo_backend(info: BackendInfo) -> None:
    source = f"{info.distribution} {info.version}" if info.distribution else "unknown distribution"
    click.echo(f"{info.name}  ({source}; entry point {info.entry_point})")
    if info.failure is not None:
        click.echo(f"    FAILED TO LOAD: {info.failure}")
        return
    if not info.pools:
        click.echo("    no worker pool (lifecycle hooks only)")
    for pool in info.pools:
        capabilities = ", ".join(sorted(c.value for c in pool.capabilities)) or "none"
        click.echo(f"    pool {public_path(pool)} (backend {pool.backend!r})")
        click.echo(f"        capabilities: {capabilities}")
        for transport, by_transport in sorted(pool.capabilities_by_transport.items()):
            names = ", ".join(sorted(c.value for c in by_transport)) or "none"
            click.echo(f"        on {pool.backend}+{transport}: {names}")


# -- serve --------------------------------------------------------------------------------------


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve anywhere
        return False


@main.command()
@app_option
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=5000, show_default=True, help="0: any free."
)
@click.option(
    "--threads/--no-threads",
    default=True,
    show_default=True,
    help="Answer each request in a thread of its own.",
)
def serve(app_spec: str | None, host: str, port: int, threads: bool) -> None:
    """Serve an app over HTTP.

    This is werkzeug's server, threaded; in production, run the app under a WSGI server.
    """
    from werkzeug.serving import make_server

    app = _load_app(app_spec)
    try:
        sock = listening_socket(host, port)
    except Unreachable as error:
        raise CommandError(str(error)) from None
    with sock:  # werkzeug serves on a copy of it
        server = make_server(host, port, app, threaded=threads, fd=sock.fileno())
    tokens = getattr(app, "api_tokens", None)
    if not _is_loopback(host) and not (tokens is not None and tokens.enabled):
        click.echo(
            f"warning: serving on {host} without tokens: whoever reaches this port may load, save "
            "and cancel; set CHARIOTS_API_TOKENS (see docs/security.md)",
            err=True,
        )
    try:
        with _sigterm_as_keyboard_interrupt():
            click.echo(f"serving app {app.name!r} on http://{host}:{server.port}/ (Ctrl-C to stop)")
            server.serve_forever()  # returns on Ctrl-C or SIGTERM
    except KeyboardInterrupt:
        pass  # stopped before serving began
    finally:
        server.server_close()
    click.echo("server stopped")


# -- worker -------------------------------------------------------------------------------------


@main.command()
@app_option
@click.option(
    "--pool",
    "pool_spec",
    metavar="URL_OR_NAME",
    help=(
        "The worker pool: a backend name, a URL such as rq://localhost:6379/0, or "
        "'package.module:Class' (default: the app's worker_pool)."
    ),
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="How many jobs this worker runs at a time.",
)
def worker(app_spec: str | None, pool_spec: str | None, concurrency: int) -> None:
    """Run a worker for an app's jobs, until Ctrl-C or SIGTERM."""
    app = _load_app(app_spec)
    _log_jobs()
    # the plugins' hooks, loaded now: loaded by the first job, they took seconds between its
    # claim and its first heartbeat (long enough for a short heartbeat timeout to lose it)
    lifecycle_hooks()
    pool = _worker_pool(app, pool_spec)
    spec = pool_spec if pool_spec is not None else app.worker_pool_spec
    if isinstance(spec, str):
        try:
            check_reachable(spec)
        except Unreachable as error:
            pool.close()
            raise CommandError(f"{pool.describe()}: {error}") from None
    try:
        with _sigterm_as_keyboard_interrupt():
            click.echo(
                f"worker for app {app.name!r} on {pool.describe()}, concurrency {concurrency} "
                "(Ctrl-C to stop)"
            )
            store = app.job_store
            with JobRecovery(store, pool).in_background() if store else nullcontext():
                pool.run_worker(concurrency=concurrency)
    except KeyboardInterrupt:
        pass  # the pool had its chance to stop gracefully; stopping is what was asked
    except WorkerPoolError as error:  # its workers cannot go on: say so, exit non-zero
        raise WorkerFailed(str(error)) from None
    finally:
        pool.close()
    click.echo("worker stopped")


def _log_jobs() -> None:
    """Log chariots' line for each job (INFO) and the warnings of everything else, unless the
    app configured logging itself."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.WARNING,
            format="%(asctime)s %(levelname)s %(message)s",
            datefmt="%H:%M:%S",
        )
    chariots = logging.getLogger("chariots_core")
    if chariots.level == logging.NOTSET:
        chariots.setLevel(logging.INFO)


def _worker_pool(app: PipelinesServer, pool_spec: str | None) -> BaseWorkerPool:
    try:
        if pool_spec is None:
            return app.worker_pool
        pool = get_worker_pool(pool_spec)
    except ChariotsError as error:
        raise CommandError(str(error)) from None
    pool.attach(app.pool_context())
    return pool


@contextmanager
def _sigterm_as_keyboard_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises ``KeyboardInterrupt`` as Ctrl-C does."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# -- jobs ---------------------------------------------------------------------------------------


@main.command(short_help="List an app's jobs, newest first.")
@app_option
@click.option("--pipeline", help="Only the jobs of this pipeline.")
@click.option(
    "--status",
    type=click.Choice([status.value for status in JobStatus]),
    help="Only the jobs in this state.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="How many jobs to list at most.",
)
@click.option(
    "--offset",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="How many of the newest jobs to skip first (to page through them).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the jobs as JSON.")
def jobs(
    app_spec: str | None,
    pipeline: str | None,
    status: str | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """List an app's jobs, newest first, from its job store (times in UTC).

    The count of matching jobs stops a thousand past the page ("at least N"), so that a listing
    costs the same however many jobs there are; the JSON's ``total_exact`` says which.
    """
    app = _load_app(app_spec)
    if app.job_store is None:
        raise CommandError(f"app {app.name!r} has no job store, so it has no jobs to list")
    page = app.job_store.list_jobs(
        app=app.name,
        pipeline=pipeline,
        status=None if status is None else JobStatus(status),
        limit=limit,
        offset=offset,
    )
    if as_json:
        click.echo(json.dumps(page.to_json(), indent=2))
        return
    if page.jobs:
        click.echo(_jobs_table(page.jobs))
    total = f"{page.total}" if page.total_exact else f"at least {page.total}"
    click.echo(f"{len(page.jobs)} of {total} jobs" + (f" (from {offset})" if offset else ""))


_JOB_COLUMNS = ("ID", "PIPELINE", "STATUS", "ATTEMPTS", "SUBMITTED", "FINISHED")


def _jobs_table(found: Sequence[Job]) -> str:
    rows = [_JOB_COLUMNS] + [
        (
            job.id,
            job.pipeline,
            job.status.value,
            str(job.attempts),
            _when(job.submitted_at),
            _when(job.finished_at),
        )
        for job in found
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(_JOB_COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _when(moment: Any) -> str:
    """A time with its zone: UTC, as the job store keeps it (a naive time is taken as UTC)."""
    if moment is None:
        return "-"
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return str(moment.strftime("%Y-%m-%d %H:%M:%SZ"))


# -- new --------------------------------------------------------------------------------------


@main.command(short_help="Make a new chariots project: app, ops, pipelines and tests.")
@click.option("--project-name", help="The project's name, also its package's (asked if not given).")
@click.option(
    "--worker-backend",
    metavar="BACKEND",
    help="The worker pool backend of the project's app: embedded, rq, celery, dramatiq or any "
    "installed backend (asked if not given).",
)
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The folder to make the project's folder in.",
)
@click.option(
    "-c",
    "--config-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A JSON file of answers, as the original chariots took: project_name, "
    "worker_backend, author, project_short_description.",
)
def new(
    project_name: str | None,
    worker_backend: str | None,
    output_dir: Path,
    config_file: Path | None,
) -> None:
    """Make a new chariots project: an app, ops, pipelines, tests and a command line."""
    from chariots_core._new_command import project_spec
    from chariots_core.new_project import ProjectError, generate_project

    try:
        spec = project_spec(project_name, worker_backend, config_file)
        target = generate_project(spec, output_dir)
    except ProjectError as error:
        raise CommandError(str(error)) from None
    click.echo(
        f"made project {spec.project_name!r} in {target} (worker backend: "
        f"{spec.worker_backend}); next: cd {target} && pip install -e '.[test]' && pytest"
    )


# -- shared -------------------------------------------------------------------------------------


def _load_app(app_spec: str | None) -> PipelinesServer:
    if not app_spec:
        raise CommandError(f"no app given: pass --app package.module:app or set ${APP_ENV}")
    from chariots_core.pipelines import PipelinesServer  # the app's module imports it anyway

    try:
        app = load_app(app_spec)
    except ImportError as error:
        raise CommandError(
            f"cannot import app {app_spec!r}: {type(error).__name__}: {error}"
        ) from None
    except ValueError as error:
        raise CommandError(f"cannot load app {app_spec!r}: {error}") from None
    if not isinstance(app, PipelinesServer):
        raise CommandError(
            f"cannot load app {app_spec!r}: it is a {type(app).__name__}, not a PipelinesServer"
        )
    return app


if __name__ == "__main__":
    main(prog_name="chariots")
