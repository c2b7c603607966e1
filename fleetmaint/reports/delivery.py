"""How a report reaches its reader: streamed, written now, or built by a background job,
and the row limit of an XLS sheet. Every face asks here, so the rule is written once.

- CSV is streamed at any size: the database writes it as fast as it can be sent.
- An XLS sheet holds 65,536 rows, one of them the header: a larger XLS is
  refused with a message that offers XLSX or CSV, before anything is built.
- Other reports up to ``REPORT_SYNC_LIMIT`` rows (default 5,000) are written
  during the request; larger ones by a background job, where the caller can
  wait for one (the pages). The API and the vendor-compatible endpoint answer
  with the file itself, so they write it now at any size.
"""

import enum
from collections.abc import Callable

from django.conf import settings

from fleetmaint.errors import ValidationFailed

# The last row an XLS sheet has (65,536 rows, one of them the header).
XLS_MAX_ROWS = 65_535
DEFAULT_SYNC_LIMIT = 5000


class Delivery(enum.Enum):
    STREAM = "stream"
    FILE = "file"
    JOB = "job"


def sync_limit() -> int:
    """Reports with more rows than this are built by a background job (CSV excepted)."""
    return getattr(settings, "REPORT_SYNC_LIMIT", DEFAULT_SYNC_LIMIT)


def xls_too_many(rows: int) -> str:
    return (
        f"An XLS sheet holds at most {XLS_MAX_ROWS:,} rows and this report needs {rows:,}. "
        "Choose XLSX (or CSV) for a report this large, or narrow the filters."
    )


def limited(format: str) -> bool:
    """Whether files of ``format`` hold a limited number of rows: only an XLS sheet does."""
    return format == "xls"


def fits(format: str, rows: int) -> bool:
    """Whether ``rows`` rows fit a file of ``format``."""
    return not limited(format) or rows <= XLS_MAX_ROWS


def check_rows(format: str, rows: int) -> None:
    """Refuses a report whose rows do not fit its format."""
    if not fits(format, rows):
        raise ValidationFailed(xls_too_many(rows), field="format")


def needs_count(format: str) -> bool:
    """Whether the rows must be counted before the first is written: to choose between
    a file and a job, and to refuse an XLS too large for its sheet."""
    return format != "csv"


def choose(format: str, count: Callable[[], int], *, can_wait: bool) -> tuple[Delivery, int | None]:
    """How a report in ``format`` is delivered, and its rows when they had to be counted.

    ``count`` is called only when the answer depends on it (not for CSV);
    ``can_wait`` says whether the caller can send the reader to a job's page.
    Raises ``ValidationFailed`` for an XLS too large for its sheet.
    """
    if not needs_count(format):
        return Delivery.STREAM, None
    rows = count()
    check_rows(format, rows)
    if can_wait and rows > sync_limit():
        return Delivery.JOB, rows
    return Delivery.FILE, rows
