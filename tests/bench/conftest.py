"""Benchmarks run on purpose (`make bench`), against PostgreSQL, and print their figures."""

import time
from contextlib import contextmanager

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
def measure(label: str, results: dict):
    """Times the block and counts its SQL statements."""
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        yield
        elapsed = time.perf_counter() - started
    results[label] = (elapsed, len(queries.captured_queries))
    print(f"{label:<55} {elapsed * 1000:>10.1f} ms {len(queries.captured_queries):>6} statements")
