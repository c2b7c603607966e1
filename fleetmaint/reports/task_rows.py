"""The service works report's rows: the Tasks list's query with the report's columns, as SQL.

The filters and the order stay the Tasks list's own (``tasks.queries.task_list``):
its queryset is given the report's columns (wear, local dates, labels, all
computed by the database) and turned into one SQL statement. The report then
reads plain tuples from a server-side cursor, in chunks, instead of building a
task and its vehicle per row; the CSV report hands the same statement to
PostgreSQL's ``COPY``.

Two shapes of row:

- :data:`ROW` for the spreadsheets and the PDF: typed values (dates, a
  Decimal cost) that the builders write as cells;
- :data:`CSV_COLUMNS` for the CSV file: every cell already text as the file
  shows it, formula-like text neutralised (``sheet_text.plain_sql``).
"""

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

from django.db import connection
from django.db.models import F, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower

from fleetmaint import sql
from fleetmaint.accounts.models import Organization
from fleetmaint.reports.sheet_text import plain_sql
from fleetmaint.tasks import queries, wear_sql
from fleetmaint.tasks.models import ServiceTask, Status
from fleetmaint.vehicles.models import Vehicle

CHUNK_SIZE = 2000

# The spreadsheet and PDF row, in this order.
ROW = (
    "id",
    "vehicle",
    "description",
    "status",
    "status_label",
    "unplanned",
    "wear",
    "predicted_date",
    "completion_date",
    "cost",
    "vehicle_id",
)
ID, VEHICLE, DESCRIPTION, STATUS, STATUS_LABEL, UNPLANNED, WEAR = range(7)
PREDICTED, COMPLETED, COST, VEHICLE_ID = range(7, 11)
# The CSV row: the report's columns, with the group's title first when grouped.
CSV_COLUMNS = (
    "csv_id",
    "csv_vehicle",
    "csv_description",
    "csv_status",
    "csv_unplanned",
    "csv_wear",
    "csv_predicted",
    "csv_completed",
    "csv_cost",
)


def _tables() -> tuple[str, str]:
    """The names the Tasks list's SQL gives the task and its vehicle (their tables)."""
    quote = connection.ops.quote_name
    return quote(ServiceTask._meta.db_table), quote(Vehicle._meta.db_table)


def report_queryset(org: Organization, request, **columns) -> QuerySet[ServiceTask]:
    """The Tasks list's query, group key first, with ``columns`` added, sliced to the page.

    The vehicle is joined through its organization, which is also what makes
    its table available to the columns written in SQL under its own name.
    """
    tasks = queries.task_list(org, request.filters).prefetch_related(None).filter(vehicle__org=org)
    if request.group_by == "vehicle":
        tasks = tasks.order_by(
            Lower("vehicle__label").asc(), F("vehicle_id").asc(), *tasks.query.order_by
        )
    elif request.group_by == "status":
        tasks = tasks.order_by(queries.SORT_FIELDS["status"][0].asc(), *tasks.query.order_by)
    if columns:
        tasks = tasks.annotate(**columns)
    start = request.offset
    stop = None if request.limit is None else start + request.limit
    if stop == start:
        # A page of no rows: an empty slice compiles to no statement at all, and the
        # report reads (or COPYs) a statement; this one finds nothing, from the index.
        return tasks.filter(pk__isnull=True)
    if start or stop is not None:
        tasks = tasks[start:stop]
    return tasks


def _wear(t: str, v: str, now: datetime) -> RawSQL:
    # The moment is written into the statement as a whole number: the wear
    # expression uses it more than once, and an integer is safe as a literal.
    return RawSQL(wear_sql.task_wear(t, v, str(int(wear_sql.micros_of(now)))), [])


def _local_date(column: str, zone: str) -> RawSQL:
    return RawSQL(sql.local_date(column, "%s"), [zone])


def row_select(org: Organization, request, now: datetime) -> tuple[str, list]:
    """The statement of the spreadsheet and PDF rows (:data:`ROW`) and its parameters."""
    t, v = _tables()
    columns = {
        "r_status_label": RawSQL(sql.choice_label(f"{t}.status", Status.choices), []),
        "r_wear": _wear(t, v, now),
        "r_predicted": _local_date(f"{t}.predicted_end_date", org.time_zone),
        "r_completed": _local_date(f"{t}.completion_date", org.time_zone),
        # PostgreSQL answers a Decimal; SQLite's double is read as its text (see _typed).
        "r_cost": RawSQL(f"{t}.cost" if sql.on_postgres() else _decimal_text(f"{t}.cost", 2), []),
    }
    rows = report_queryset(org, request, **columns).values_list(
        "id",
        "vehicle__label",
        "description",
        "status",
        "r_status_label",
        "unplanned",
        "r_wear",
        "r_predicted",
        "r_completed",
        "r_cost",
        "vehicle_id",
    )
    return rows.query.sql_with_params()


def csv_select(org: Organization, request, now: datetime) -> tuple[str, list]:
    """The statement of the CSV rows (:data:`CSV_COLUMNS`, the group first when grouped).

    Every cell is the text the file holds: empty text is written as NULL,
    which PostgreSQL's CSV writes as an empty field, as Python's does; it
    would quote an empty string.
    """
    t, v = _tables()

    def text(expression: str) -> str:
        return f"NULLIF({plain_sql(expression)}, '')"

    status_label = sql.choice_label(f"{t}.status", Status.choices)
    columns = {
        "csv_id": RawSQL(f"{t}.id", []),
        "csv_vehicle": RawSQL(text(f"{v}.label"), []),
        "csv_description": RawSQL(text(f"{t}.description"), []),
        "csv_status": RawSQL(text(status_label), []),
        "csv_unplanned": RawSQL(f"CASE WHEN {t}.unplanned THEN 'Yes' ELSE 'No' END", []),
        "csv_wear": _wear(t, v, now),
        "csv_predicted": _csv_date(f"{t}.predicted_end_date", org.time_zone),
        "csv_completed": _csv_date(f"{t}.completion_date", org.time_zone),
        "csv_cost": RawSQL(_decimal_text(f"{t}.cost", 2), []),
    }
    names = list(CSV_COLUMNS)
    if request.group_by == "vehicle":
        columns["csv_group"] = RawSQL(text(f"{v}.label"), [])
    elif request.group_by == "status":
        columns["csv_group"] = RawSQL(text(status_label), [])
    if request.group_by:
        names.insert(0, "csv_group")
    return report_queryset(org, request, **columns).values_list(*names).query.sql_with_params()


def _csv_date(column: str, zone: str) -> RawSQL:
    return RawSQL(sql.date_text(sql.local_date(column, "%s")), [zone])


def _decimal_text(column: str, places: int) -> str:
    """A decimal as ``str(Decimal)`` writes it with its places (SQLite holds a double)."""
    if sql.on_postgres():
        return f"CAST({column} AS TEXT)"
    return f"printf('%%.{places}f', {column})"


# --- reading ----------------------------------------------------------------------------


def read(statement: str, params: list) -> Iterator[list[tuple]]:
    """The statement's rows in chunks, from a server-side cursor on PostgreSQL.

    The cursor is closed when the rows are read or the reader stops early.
    """
    cursor = connection.chunked_cursor()
    try:
        cursor.execute(statement, params)
        while chunk := cursor.fetchmany(CHUNK_SIZE):
            yield chunk
    finally:
        cursor.close()


def report_rows(org: Organization, request, now: datetime) -> Iterator[tuple]:
    """The spreadsheet and PDF rows, one by one, with the same types on every database."""
    statement, params = row_select(org, request, now)
    retype = not sql.on_postgres()
    for chunk in read(statement, params):
        if retype:
            chunk = [_typed(row) for row in chunk]
        yield from chunk


def _typed(row: tuple) -> tuple:
    """A SQLite row as PostgreSQL answers it: dates and Decimals, not their text."""
    values = list(row)
    for index in (PREDICTED, COMPLETED):
        if values[index] is not None:
            values[index] = date.fromisoformat(values[index])
    values[UNPLANNED] = bool(values[UNPLANNED])
    values[COST] = Decimal(values[COST])
    return tuple(values)
