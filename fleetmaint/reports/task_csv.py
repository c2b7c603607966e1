"""The service works report as CSV, written by the database itself where it can.

On PostgreSQL the rows come from ``COPY (SELECT ...) TO STDOUT WITH (FORMAT
csv)`` through psycopg's ``cursor.copy``: every cell is already text made by
the query (``task_rows.csv_select``: dates, wear, labels, formula-like text
neutralised), so Python only passes bytes along, in chunks of
:data:`CHUNK_BYTES`. On SQLite the same query's rows go through Python's
``csv`` module. Both give the same file, byte for byte: one header row, then
one row per task, records ending in CRLF as Python's ``csv`` (and RFC 4180)
ends them; PostgreSQL ends them in LF, which :class:`RecordEnds` turns into CRLF
outside quoted cells (a line break inside a description stays as it was).
"""

import csv
import io
from collections.abc import Iterator
from contextlib import nullcontext

from django.db import connection

from fleetmaint import sql
from fleetmaint.reports import task_rows

CHUNK_BYTES = 64 * 1024


def header(report) -> bytes:
    columns = list(report.columns)
    if report.grouped:
        columns.insert(0, "Group")
    return _csv_line(columns)


def _csv_line(values: list) -> bytes:
    text = io.StringIO()
    csv.writer(text).writerow(values)
    return text.getvalue().encode("utf-8")


def chunks(report) -> Iterator[bytes]:
    """The file in chunks; the report counts the rows, and tells its progress, at the end.

    While ``COPY`` runs the connection can do nothing else, so a progress
    callback that records its progress in the database waits until the last
    chunk is out: at the database's speed that is a moment later.
    """
    yield header(report)
    statement, params = task_rows.csv_select(report.org, report.request, report.now)
    rows = _copied(statement, params) if sql.on_postgres() else _written(statement, params)
    written = 0
    for data, count in rows:
        written += count
        yield data
    report.advance(written)


def write(report, out) -> None:
    for data in chunks(report):
        out.write(data)


def _copied(statement: str, params) -> Iterator[tuple[bytes, int]]:
    """PostgreSQL's CSV of the statement, as (chunk, records in it)."""
    copy_sql = f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)"
    ends = RecordEnds()
    with connection.cursor() as cursor:
        # psycopg's own cursor binds the parameters (Django's copy() takes none); the
        # statement goes to the query log here, so it is counted like any query.
        logged = getattr(cursor, "debug_sql", None)
        with (
            logged(copy_sql, params) if logged else nullcontext(),
            cursor.cursor.copy(copy_sql, params) as copy,
        ):
            # PostgreSQL sends one message per record: gathered into larger chunks.
            pending: list[bytes] = []
            size = 0
            for block in copy:
                pending.append(bytes(block))
                size += len(block)
                if size >= CHUNK_BYTES:
                    yield ends.convert(b"".join(pending))
                    pending, size = [], 0
            if pending:
                yield ends.convert(b"".join(pending))


def _written(statement: str, params) -> Iterator[tuple[bytes, int]]:
    """The statement's rows through Python's csv module (SQLite), as (chunk, records)."""
    text = io.StringIO()
    writer = csv.writer(text)
    for chunk in task_rows.read(statement, params):
        writer.writerows(chunk)
        yield text.getvalue().encode("utf-8"), len(chunk)
        text.seek(0)
        text.truncate()


class RecordEnds:
    """Turns PostgreSQL's LF record ends into CRLF, and counts the records.

    A line break inside a quoted cell is data, not a record end: the state
    (inside quotes or not) carries from one chunk to the next. A doubled
    quote inside a cell toggles twice, so it leaves the state as it was.
    """

    def __init__(self) -> None:
        self.quoted = False

    def convert(self, data: bytes) -> tuple[bytes, int]:
        if not self.quoted and b'"' not in data:
            return data.replace(b"\n", b"\r\n"), data.count(b"\n")
        parts = data.split(b'"')
        records = 0
        quoted = self.quoted
        for index, part in enumerate(parts):
            if index:
                quoted = not quoted
            if not quoted and b"\n" in part:
                records += part.count(b"\n")
                parts[index] = part.replace(b"\n", b"\r\n")
        self.quoted = quoted
        return b'"'.join(parts), records
