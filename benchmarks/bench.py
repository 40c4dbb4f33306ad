"""The job path's benchmark: chariots beside the raw backend it wraps, in one interleaved run.

    python benchmarks/bench.py [--quick] [--chart bench.png] [--postgres URL]

(``nox -s bench`` runs it.) Every row runs chariots and the raw library on the same machine, the
same private Redis, one worker each, in repeats whose order alternates (chariots first, then raw
first); each figure is the median of the repeats. It prints the table of ratios, the sync path
beside a bare Flask route, listing and lookup at 10³/10⁴/10⁵ records, and the cost of one job
(SQL statements, write transactions, broker commands), and writes a chart.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

HERE = Path(__file__).resolve().parent
warnings.filterwarnings("ignore", message=".*superuser privileges.*")
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from bench_app import REDIS_ENV  # noqa: E402
from measures import Sample, median_sample, sample  # noqa: E402

#: the inputs of a row: none, and a 100 KB string
PAYLOADS: dict[str, Any] = {"no payload": None, "100 KB": "x" * 100_000}


class Runnable(Protocol):
    def running(self) -> AbstractContextManager[None]: ...

    def submit(self, payload: Any) -> Any: ...

    def wait(self, handle: Any) -> None: ...


@dataclass
class Row:
    label: str
    raw_label: str
    chariots: Callable[[], Runnable]
    raw: Callable[[], Runnable]
    results: dict[str, dict[str, Sample]] = field(default_factory=dict)
    skipped: str | None = None


def rows() -> list[Row]:
    import chariots_backends as cb
    import raw_backends as rb

    def chariots(pool: Callable[[], Any]) -> Callable[[], Runnable]:
        return lambda: cb.ChariotsSystem(pool(), cb.new_home())

    return [
        Row("RQ pool (forking)", "rq Worker", chariots(lambda: cb.rq_pool(True)),
            lambda: rb.RawRQ(simple=False)),
        Row("RQ pool fork=false", "rq SimpleWorker", chariots(lambda: cb.rq_pool(False)),
            lambda: rb.RawRQ(simple=True)),
        Row("Celery pool", "Celery prefork c1", chariots(cb.celery_pool), rb.RawCelery),
        Row("Dramatiq pool (threads=1)", "Dramatiq 1 thread", chariots(cb.dramatiq_pool),
            rb.RawDramatiq),
        Row("embedded, thread mode", "Celery prefork c1",
            chariots(lambda: cb.embedded_pool("thread")), rb.RawCelery),
        Row("embedded, process mode", "rq Worker",
            chariots(lambda: cb.embedded_pool("process")), lambda: rb.RawRQ(simple=False)),
    ]  # fmt: skip


def run_rows(selected: list[Row], repeats: int, n_throughput: int, n_latency: int) -> None:
    for row in selected:
        print(f"-- {row.label} vs {row.raw_label}", flush=True)
        try:
            systems = {"chariots": row.chariots(), "raw": row.raw()}
        except Exception as error:  # a backend that cannot be built here: say why
            row.skipped = f"{type(error).__name__}: {error}"
            print(f"   skipped: {row.skipped}", flush=True)
            continue
        collected: dict[str, dict[str, list[Sample]]] = {
            side: {name: [] for name in PAYLOADS} for side in systems
        }
        try:
            for repeat in range(repeats):
                order = ["chariots", "raw"] if repeat % 2 == 0 else ["raw", "chariots"]
                for side in order:
                    _measure(side, systems[side], collected[side], n_throughput, n_latency)
        except Exception as error:  # one row's failure is reported, the others still run
            row.skipped = f"failed: {type(error).__name__}: {error}"
            print(f"   {row.skipped}", flush=True)
            continue
        row.results = {
            side: {name: median_sample(samples) for name, samples in per.items()}
            for side, per in collected.items()
        }
        pool = getattr(systems["chariots"], "pool", None)
        if pool is not None:
            pool.close()


def _measure(
    side: str,
    system: Runnable,
    collected: dict[str, list[Sample]],
    n_throughput: int,
    n_latency: int,
) -> None:
    with system.running():
        for name, payload in PAYLOADS.items():
            got = sample(system, payload, n_throughput, n_latency)
            collected[name].append(got)
            print(
                f"   {side:8} {name:10} {got.throughput:8.1f} jobs/s p50 {got.p50:7.1f} ms",
                flush=True,
            )


# -- the sync path ----------------------------------------------------------------------------


def sync_path(n: int) -> dict[str, float]:
    """ms per request (median) of ``POST /pipelines/work/main`` and of a bare Flask route doing
    the same work, both on werkzeug's threaded server, one keep-alive client."""
    import statistics
    import threading
    from http.client import HTTPConnection

    from bench_app import build_app, work
    from chariots_backends import new_home
    from flask import Flask, jsonify, request
    from werkzeug.serving import make_server

    bare = Flask("bench_bare")

    @bare.post("/pipelines/work/main")
    def main() -> Any:
        body = request.get_json()
        return jsonify({"pipeline_output": work(body.get("pipeline_input"))})

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    out = {}
    for name, app in (("chariots", build_app(new_home(), None)), ("bare Flask", bare)):
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            connection = HTTPConnection("127.0.0.1", server.server_port)
            body = json.dumps({"pipeline_input": "x" * 100})
            headers = {"Content-Type": "application/json"}
            times = []
            for _ in range(n + 5):
                start = time.perf_counter()
                connection.request("POST", "/pipelines/work/main", body, headers)
                response = connection.getresponse()
                response.read()
                assert response.status == 200, response.status
                times.append((time.perf_counter() - start) * 1000)
            out[name] = statistics.median(times[5:])
            connection.close()
        finally:
            server.shutdown()
    return out


# -- per-job cost ------------------------------------------------------------------------------


def job_cost(redis_url: str) -> dict[str, dict[str, float]]:
    """What one job costs, submit and run counted apart: SQL statements, write transactions,
    and (RQ) Redis commands; the worker side runs in this process (``run_job``), as a forked
    work horse or a worker thread would run it."""
    import chariots_backends as cb
    import raw_backends as rb
    from redis import Redis

    from chariots_core.jobs import JobMessage
    from chariots_core.testing.sql_count import StatementCount, count_statements
    from chariots_core.workers import run_job

    out: dict[str, dict[str, float]] = {}
    redis = Redis.from_url(redis_url)
    pools = (("rq", cb.rq_pool(True)), ("embedded", cb.embedded_pool("thread", autostart=0)))
    for name, pool in pools:
        system = cb.ChariotsSystem(pool, cb.new_home())
        engine = system.store.database.engine
        system.submit(None)  # the first job creates the schema: not counted
        # a server with a worker listening counts its workers once per 30 s, not per submit
        system.app._listeners._seen_at = time.monotonic() + 3600
        n = 20
        submit, runs = StatementCount(), StatementCount()
        before = _commands(redis)
        with count_statements(engine, submit):
            handles = [system.submit(None) for _ in range(n)]
        submit_commands = _commands(redis) - before
        with count_statements(engine, runs):  # the embedded worker's take and delete are its own
            for message in _take_messages(name, pool, handles):
                outcome = run_job(JobMessage.from_json(message))
                assert outcome.status is not None, outcome
                assert outcome.status.value == "done", outcome
        out[name] = {
            "submit statements": submit.statements / n,
            "submit writes": submit.writes / n,
            "run statements": runs.statements / n,
            "run writes": runs.writes / n,
            "submit broker commands": submit_commands / n if name == "rq" else 0.0,
        }
        pool.close()
    raw = rb.RawRQ(simple=True)
    before = _commands(redis)
    for _ in range(20):
        raw.submit(None)
    out["raw rq"] = {"submit broker commands": (_commands(redis) - before) / 20}
    raw.queue.empty()
    return out


def _take_messages(name: str, pool: Any, handles: list[str]) -> Iterator[str]:
    if name == "rq":
        from rq.job import Job
        from rq.serializers import JSONSerializer

        jobs = [Job.fetch(h, connection=pool.redis, serializer=JSONSerializer) for h in handles]
        for queue in pool.queues:
            queue.empty()
        yield from (str(job.args[0]) for job in jobs)
        return
    queue = pool.message_queue
    for _ in handles:
        taken = queue.take("bench-taker", datetime.now(timezone.utc))
        assert taken is not None
        yield taken.text
        queue.delete(taken.row_id, "bench-taker")


def _commands(redis: Any) -> int:
    stats = redis.info("commandstats")
    return sum(int(v["calls"]) for k, v in stats.items() if not k.endswith("_info"))


def idle_broker_commands(seconds: float) -> dict[str, float]:
    """Redis commands per second with one idle worker: chariots' RQ pool (its 21 priority queues,
    its scheduler on) and a raw ``rq Worker`` in the same configuration (its scheduler on:
    ``with_scheduler=True``), on one queue. INFO, the measure's own command, is not counted."""
    import chariots_backends as cb
    import raw_backends as rb
    from redis import Redis

    redis = Redis.from_url(os.environ[REDIS_ENV])
    out = {}
    systems: dict[str, Runnable] = {
        "chariots RQ pool": cb.ChariotsSystem(cb.rq_pool(True), cb.new_home()),
        "rq Worker with_scheduler": rb.RawRQ(simple=False, scheduler=True),
    }
    for name, system in systems.items():
        with system.running():
            time.sleep(1.5)  # the start's own commands are over
            before = _commands(redis)
            time.sleep(seconds)
            out[name] = (_commands(redis) - before) / seconds  # INFO is left out
    return out


def worker_memory(first: int, last: int) -> dict[str, float]:
    """The resident memory of a process running jobs (the embedded pool in thread mode: the
    server, its job store and its worker in one process), in MB after ``first`` and after
    ``last`` jobs."""
    import chariots_backends as cb

    def rss_mb() -> float:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    system = cb.ChariotsSystem(cb.embedded_pool("thread"), cb.new_home())
    out: dict[str, float] = {}
    with system.running():
        done = 0
        for mark in (first, last):
            while done < mark:
                batch = min(100, mark - done)
                for handle in [system.submit(None) for _ in range(batch)]:
                    system.wait(handle)
                done += batch
            out[f"RSS after {mark} jobs (MB)"] = rss_mb()
    system.pool.close()
    return out


# -- the report --------------------------------------------------------------------------------


def machine() -> str:
    return f"{platform.node()}, {platform.system()} {platform.machine()}, {os.cpu_count()} cores"


def print_report(report: dict[str, Any]) -> str:
    lines = [
        f"chariots job-path benchmark, {report['date']}, {report['machine']}",
        f"(medians of {report['repeats']} interleaved repeats; one worker; private Redis)",
        "",
        "| chariots | raw | input | throughput (chariots / raw) | ratio | p50 ms | p95 ms "
        "| p99 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in report["rows"]:
        if row["skipped"]:
            lines.append(f"| {row['label']} | {row['raw_label']} | skipped: {row['skipped']} |")
            continue
        for name in PAYLOADS:
            c, r = row["results"]["chariots"][name], row["results"]["raw"][name]
            lines.append(
                f"| {row['label']} | {row['raw_label']} | {name} "
                f"| {c['throughput']:.0f} / {r['throughput']:.0f} jobs/s "
                f"| {c['throughput'] / r['throughput']:.2f}x "
                f"| {c['p50']:.1f} / {r['p50']:.1f} | {c['p95']:.1f} / {r['p95']:.1f} "
                f"| {c['p99']:.1f} / {r['p99']:.1f} |"
            )
    if report.get("sync"):
        s = report["sync"]
        lines += [
            "",
            f"Sync path, werkzeug threaded server: chariots {s['chariots']:.2f} ms, bare Flask "
            f"{s['bare Flask']:.2f} ms per request (speed ratio "
            f"{s['bare Flask'] / s['chariots']:.2f}x)",
        ]
    for backend, scales in report.get("listing", {}).items():
        lines += ["", f"Listing (`GET /jobs?limit=50&status=done`) / lookup on {backend}:"]
        for scale, (listing, lookup) in scales.items():
            lines.append(f"  {int(scale):>7} records: list {listing:7.2f} ms, get {lookup:6.2f} ms")
    for backend, cost in report.get("cost", {}).items():
        figures = ", ".join(f"{k} {v:.1f}" for k, v in cost.items())
        lines.append(f"Per job, {backend}: {figures}")
    if report.get("memory"):
        (first, at_first), (last, at_last) = report["memory"].items()
        lines.append(
            f"Worker memory (embedded, thread mode): {first} {at_first:.1f}, {last} "
            f"{at_last:.1f} (x{at_last / at_first:.3f})"
        )
    if report.get("idle"):
        idle = ", ".join(f"{k} {v:.1f}/s" for k, v in report["idle"].items())
        lines.append(f"Idle worker's Redis commands: {idle}")
    text = "\n".join(lines)
    print("\n" + text, flush=True)
    return text


def chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib  # type: ignore[import-not-found, unused-ignore]

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # type: ignore[import-not-found, unused-ignore]

    done = [row for row in report["rows"] if not row["skipped"]]
    if not done:
        return
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 0.6 * len(done) * 2 + 2))
    labels, ratios, lags = [], [], []
    for row in done:
        for name in PAYLOADS:
            c, r = row["results"]["chariots"][name], row["results"]["raw"][name]
            labels.append(f"{row['label']} vs {row['raw_label']} ({name})")
            ratios.append(c["throughput"] / r["throughput"])
            lags.append(c["p50"] - r["p50"])
    left.barh(labels, ratios, color="tab:blue")
    left.axvline(0.8, color="tab:red", linestyle="--", label="target 0.8x")
    left.set_xlabel("throughput, chariots / raw")
    left.invert_yaxis()
    left.legend()
    right.barh(labels, lags, color="tab:orange")
    right.axvline(2.0, color="tab:red", linestyle="--", label="target +2 ms")
    right.set_xlabel("p50 latency, chariots - raw (ms)")
    right.set_yticks([])
    right.invert_yaxis()
    right.legend()
    figure.suptitle(f"chariots vs raw backends — {report['date']}, {report['machine']}")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    print(f"chart: {path}")


@contextmanager
def private_redis() -> Iterator[str]:
    from chariots_core.testing.services import RedisServer

    with RedisServer() as server:
        yield server.url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: few jobs, 1 repeat")
    parser.add_argument("--rows", default="", help="comma-separated row numbers (1-6) to run")
    parser.add_argument(
        "--skip", default="", help="parts to skip: rows,sync,listing,cost,idle,memory"
    )
    parser.add_argument("--chart", type=Path, default=Path("bench.png"))
    parser.add_argument("--json", type=Path, default=Path("bench.json"))
    parser.add_argument("--postgres", default=None, help="PostgreSQL URL for listing/lookup")
    args = parser.parse_args(argv)
    quick = args.quick
    repeats, n_throughput, n_latency = (1, 20, 10) if quick else (3, 100, 50)
    skip = set(filter(None, args.skip.split(",")))
    report: dict[str, Any] = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "machine": machine(),
        "repeats": repeats,
        "rows": [],
    }
    started = time.monotonic()
    with ExitStack() as stack:
        url = stack.enter_context(private_redis())
        os.environ[REDIS_ENV] = url
        if "rows" not in skip:
            selected = rows()
            if args.rows:
                selected = [selected[int(i) - 1] for i in args.rows.split(",")]
            run_rows(selected, repeats, n_throughput, n_latency)
            report["rows"] = [
                {
                    "label": row.label,
                    "raw_label": row.raw_label,
                    "skipped": row.skipped,
                    "results": {
                        side: {name: asdict(s) for name, s in per.items()}
                        for side, per in row.results.items()
                    },
                }
                for row in selected
            ]
        if "sync" not in skip:
            report["sync"] = sync_path(50 if quick else 300)
        if "cost" not in skip:
            report["cost"] = job_cost(url)
        if "idle" not in skip:
            report["idle"] = idle_broker_commands(3.0 if quick else 10.0)
        if "listing" not in skip:
            report["listing"] = listing(args.postgres, quick)
        if "memory" not in skip:
            report["memory"] = worker_memory(*((200, 2_000) if quick else (1_000, 10_000)))
    report["seconds"] = round(time.monotonic() - started)
    args.json.write_text(json.dumps(report, indent=1))
    print_report(report)
    print(f"\n(the whole run took {report['seconds']} s)")
    try:
        chart(report, args.chart)
    except ImportError:
        print("no chart: matplotlib is not installed (nox -s bench installs it)")
    return 0


def listing(postgres: str | None, quick: bool) -> dict[str, dict[int, tuple[float, float]]]:
    import tempfile
    import uuid

    from storage import listing_and_lookup

    from chariots_core.testing.services import ServiceUnavailable, find_postgres

    scales = [1_000, 10_000] if quick else [1_000, 10_000, 100_000]
    out = {}
    folder = tempfile.mkdtemp(prefix="chariots-bench-sqlite-")
    out["SQLite"] = listing_and_lookup(f"sqlite:///{folder}/jobs.db", scales)
    try:
        base = find_postgres(postgres)
    except ServiceUnavailable as error:
        print(f"listing on PostgreSQL skipped: {error}")
        return out
    from sqlalchemy import create_engine, text

    name = f"chariots_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        url = base.rsplit("/", 1)[0] + f"/{name}"
        out["PostgreSQL"] = listing_and_lookup(url, scales)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
    return out


if __name__ == "__main__":
    raise SystemExit(main())
