"""Shared set-up for the report tests."""

import gc

import pytest


@pytest.fixture(autouse=True)
def reports_close_their_cursors():
    """Reports read through server-side cursors; one a test leaves half-read is closed here.

    Left to the garbage collector, its CLOSE would run inside a later test's
    transaction, after the rollback removed the cursor, and abort it. Before
    this test's transaction begins and after it ends, a failed CLOSE harms nothing.
    """
    gc.collect()
    yield
    gc.collect()
