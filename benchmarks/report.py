"""Report formatting shared by the benchmarks: percentiles, durations and Markdown tables."""

from __future__ import annotations

import math
from collections.abc import Iterable


def percentile(values: list[float], pct: float) -> float:
    """Return the nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def ms(seconds: float) -> str:
    """Return seconds as whole milliseconds with thousands separators: '1,448 ms'."""
    return f"{seconds * 1000:,.0f} ms"


def spread(seconds: list[float]) -> str:
    """Return 'p50 …, p95 …, max …' of durations in seconds."""
    return f"p50 {ms(percentile(seconds, 50))}, p95 {ms(percentile(seconds, 95))}, max {ms(max(seconds, default=0))}"


def markdown_table(header: list[str], rows: Iterable[Iterable[object]], align: str) -> str:
    """Return a Markdown table; `align` has one letter per column, `l` (left) or `r` (right, for numbers)."""
    rule = {"l": "---", "r": "---:"}
    lines = [f"| {' | '.join(header)} |", f"|{'|'.join(rule[letter] for letter in align)}|"]
    lines += [f"| {' | '.join(str(cell) for cell in row)} |" for row in rows]
    return "\n".join(lines)
