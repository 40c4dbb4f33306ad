"""Throughput and latency of a system (chariots on a pool, or a raw library): the same calls
on both sides of a row."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any, Protocol


class System(Protocol):
    def submit(self, payload: Any) -> Any: ...

    def wait(self, handle: Any) -> None: ...


@dataclass
class Sample:
    """One measure of one system: jobs per second, and round-trip latencies in ms."""

    throughput: float
    p50: float
    p95: float
    p99: float


def throughput(system: System, payload: Any, n: int) -> float:
    """Jobs per second: ``n`` jobs submitted, then all awaited."""
    start = time.perf_counter()
    handles = [system.submit(payload) for _ in range(n)]
    for handle in handles:
        system.wait(handle)
    return n / (time.perf_counter() - start)


def latencies(system: System, payload: Any, n: int) -> list[float]:
    """Milliseconds of ``n`` sequential round trips (submit, then wait for the end)."""
    out = []
    for _ in range(n):
        start = time.perf_counter()
        system.wait(system.submit(payload))
        out.append((time.perf_counter() - start) * 1000)
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def sample(system: System, payload: Any, n_throughput: int, n_latency: int) -> Sample:
    system.wait(system.submit(payload))  # warm: the first job loads what later ones reuse
    rate = throughput(system, payload, n_throughput)
    times = latencies(system, payload, n_latency)
    return Sample(rate, percentile(times, 50), percentile(times, 95), percentile(times, 99))


def median_sample(samples: list[Sample]) -> Sample:
    return Sample(
        statistics.median(s.throughput for s in samples),
        statistics.median(s.p50 for s in samples),
        statistics.median(s.p95 for s in samples),
        statistics.median(s.p99 for s in samples),
    )
