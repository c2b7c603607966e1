"""Shared set-up for the report tests."""

import gc

import pytest


@pytest.fixture(autouse=True)
def reports_close_their_cursors():
    """Reports read through server-side cursors; one a test leaves half-read must close now.

    Left to the garbage collector, its CLOSE would run inside a later test's
    transaction, after this test's rollback removed the cursor, and fail there.
    """
    yield
    gc.collect()
