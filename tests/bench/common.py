"""What every benchmark beside a floor shares: alternating runs, medians, verdicts, docs sections.

Product and floor run alternately so that whatever else the machine does
(it is shared) weighs on both alike; the figures are medians of the runs.
"""

import os
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.bench.conftest import peak_rss_mb, reset_peak_rss

DOCS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"


def env_pairs(default: int) -> int:
    """BENCH_PAIRS: how many product/floor pairs each measurement runs (at least one)."""
    return max(int(os.environ.get("BENCH_PAIRS", str(default))), 1)


@dataclass
class Run:
    seconds: float
    statements: int
    peak_rss_mb: float | None
    result: object = None
    observed: object = None


def median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


@dataclass
class Pairs:
    product: list[Run] = field(default_factory=list)
    floor: list[Run] = field(default_factory=list)

    @property
    def product_s(self) -> float:
        return median(r.seconds for r in self.product)

    @property
    def floor_s(self) -> float:
        return median(r.seconds for r in self.floor)

    @property
    def statements(self) -> int:
        return max(r.statements for r in self.product)

    @property
    def floor_statements(self) -> int:
        return max(r.statements for r in self.floor)

    @property
    def peak_rss_mb(self) -> float | None:
        return median(r.peak_rss_mb for r in self.product)


def counts_every_statement(sql: str) -> bool:
    return True


def timed(
    work: Callable[[], object],
    observe: Callable[[], object] | None = None,
    extra_statements: int = 0,
    *,
    counts: Callable[[str], bool] = counts_every_statement,
) -> Run:
    """Runs ``work`` once: wall time, SQL statements through Django's cursor, peak RSS.

    ``observe`` runs after the clock stops, to check what the run did;
    ``counts`` says which captured statements count.
    """
    reset_peak_rss()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = work()
        elapsed = time.perf_counter() - started
    statements = sum(1 for query in queries.captured_queries if counts(query["sql"]))
    outcome = Run(elapsed, statements + extra_statements, peak_rss_mb(), result)
    if os.environ.get("BENCH_DEBUG"):
        for query in queries.captured_queries:
            print("      SQL", query["sql"][:160].replace("\n", " "))
    if observe is not None:
        outcome.observed = observe()
    return outcome


def alternate(
    product: Callable[[], object],
    floor: Callable[[], object],
    reset: Callable[[], None] | None = None,
    *,
    pairs: int,
    observe: Callable[[], object] | None = None,
    uncounted_floor: int = 0,
    counts: Callable[[str], bool] = counts_every_statement,
) -> Pairs:
    """Product, then floor, ``pairs`` times; ``reset`` (untimed) before every run.

    ``uncounted_floor``: statements of the floor that do not pass through
    Django's cursor (COPY) and so are added by hand.
    """
    reset = reset or (lambda: None)
    measured = Pairs()
    for _ in range(pairs):
        reset()
        measured.product.append(timed(product, observe, counts=counts))
        reset()
        measured.floor.append(timed(floor, observe, uncounted_floor, counts=counts))
    reset()
    return measured


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def duration(seconds: float | None) -> str:
    """Seconds as a table shows them: "1.23 s" or "45.6 ms"; empty when not measured."""
    if seconds is None:
        return ""
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1000:.1f} ms"


def write_docs_section(start: str, end: str, lines: list[str]) -> None:
    """Replaces the text between ``start`` and ``end`` in docs/benchmarks.md (or appends it).

    Each benchmark owns one marked section, so benchmarks run separately
    never overwrite each other's figures.
    """
    section = "\n".join([start, *lines, end])
    text = DOCS.read_text()
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOCS.write_text(text)
    print(f"  docs/benchmarks.md: generated section rewritten ({len(lines) + 2} lines)")
