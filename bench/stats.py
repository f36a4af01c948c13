"""Percentiles and summaries shared by the benchmarks."""

from __future__ import annotations

import statistics


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank ``share`` quantile (0.95 for p95) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def latency_summary(values: list[float]) -> dict[str, float]:
    """n, p50, p95 and max of timings in milliseconds, rounded to 0.1 ms."""
    return {
        "n": len(values),
        "p50_ms": round(statistics.median(values), 1),
        "p95_ms": round(percentile(values, 0.95), 1),
        "max_ms": round(max(values), 1),
    }
