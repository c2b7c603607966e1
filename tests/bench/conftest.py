"""Benchmarks run on purpose (`make bench`), against PostgreSQL, and print their figures."""

import json
import os
import time
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext


@pytest.fixture(autouse=True)
def jobs_go_to_the_broker():
    """The test settings run queued jobs in-process; a benchmark measures the request only."""
    from django_q.conf import Conf

    previous, Conf.SYNC = Conf.SYNC, False
    yield
    Conf.SYNC = previous


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.bench)


@contextmanager
def measure(label: str, results: dict, *, size: int | None = None):
    """Times the block and counts its SQL statements; the figure also goes to bench.json."""
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        yield
        elapsed = time.perf_counter() - started
    results[label] = (elapsed, len(queries.captured_queries))
    print(f"{label:<55} {elapsed * 1000:>10.1f} ms {len(queries.captured_queries):>6} statements")
    record(label, size=size, product_s=elapsed, statements=len(queries.captured_queries))


# --- bench.json ---------------------------------------------------------------------

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
BENCH_JSON = ARTIFACTS / "bench.json"
RECORDED: list[dict] = []
FIELDS = ("name", "size", "product_s", "floor_s", "ratio", "statements", "bytes", "peak_rss_mb")


def record(name: str, **figures) -> dict:
    """Adds one measurement to test-artifacts/bench.json (rewritten after every call).

    The common fields are always present (null where they do not apply);
    a benchmark may add its own (rows per second, targets, floor statements).
    """
    entry = {key: None for key in FIELDS}
    entry["name"] = name
    entry.update(figures)
    if entry["ratio"] is None and entry["product_s"] and entry["floor_s"]:
        entry["ratio"] = entry["product_s"] / entry["floor_s"]
    RECORDED.append(entry)
    ARTIFACTS.mkdir(exist_ok=True)
    BENCH_JSON.write_text(json.dumps(RECORDED, indent=2, default=str) + "\n")
    return entry


def amend_last(**figures) -> None:
    """Adds figures to the measurement recorded last (a file size, a memory peak)."""
    RECORDED[-1].update(figures)
    BENCH_JSON.write_text(json.dumps(RECORDED, indent=2, default=str) + "\n")


# --- memory -------------------------------------------------------------------------


def reset_peak_rss() -> None:
    """Starts a new peak of this process's resident memory (Linux; ignored elsewhere)."""
    with suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float | None:
    """The process's peak resident memory since the last ``reset_peak_rss``, in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def env_sizes(name: str, default: str) -> list[int]:
    return [int(part) for part in os.environ.get(name, default).replace("_", "").split(",") if part]
