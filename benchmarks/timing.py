"""The one way the benchmarks time an action: wall-clock milliseconds of each of ``runs`` runs."""

from __future__ import annotations

import time


def samples_ms(action, runs: int, *, warm_up: bool = True) -> list[float]:
    """The milliseconds of each of ``runs`` calls of ``action``, sorted; after one untimed call
    (caches, compiled statements, a first connection) unless ``warm_up`` is False."""
    if warm_up:
        action()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        samples.append((time.perf_counter() - began) * 1000)
    return sorted(samples)


def p95(samples: list[float]) -> float:
    """The 95th percentile of sorted ``samples`` (the largest below it, for few samples)."""
    return samples[max(0, int(len(samples) * 0.95) - 1)]
