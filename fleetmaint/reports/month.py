"""The month calendar: what falls due on each day of a month, the feed's data on a page.

The items are those of the iCalendar feed (``reports.calendar``), read with the
same querysets (``queries.coming_*``): open intervals on the day they are
expected, open tasks on the day they are predicted to end, active orders on the
day the servicer expects to finish, and active contracts on the day they end.
Days are the organization's calendar days.

One statement reads a month's items: for intervals, orders and contracts, the
rows of the month numbered per day, of which the first ``per_day`` come back,
each with the number of its kind on its day; for tasks, of which a large fleet
has thousands a day, the first ``per_day`` of each day straight from the
``task_open_due_idx`` index, one part a day, with their numbers per day from the
task tally (a second statement; on SQLite, which has no tally, tasks are
numbered like the others). The cell shows a few and says how many more there
are. A day opened on its own is the same read bounded to that day, with a
longer cut.
"""

import calendar as weekdays
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.db import connection
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DateTimeField,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    Window,
)
from django.db.models.expressions import Combinable, ExpressionWrapper, RawSQL
from django.db.models.functions import RowNumber, TruncDate
from django.urls import reverse

from fleetmaint import days
from fleetmaint.accounts.models import Organization
from fleetmaint.contracts.models import ContractType
from fleetmaint.reports import queries
from fleetmaint.tasks import tally
from fleetmaint.tasks.models import Status

CELL_ITEMS = 3  # items a day's cell shows
DAY_ITEMS = 50  # items of each kind an opened day lists
KINDS = ("interval", "task", "order", "contract")
KIND_NAMES = {"interval": "Service", "task": "Task", "order": "Order", "contract": "Contract"}
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_FIELDS = ("kind", "id", "vehicle_id", "vehicle_label", "text", "extra", "day", "flagged", "total")
_CONTRACT_TYPES = dict(ContractType.choices)


@dataclass(frozen=True)
class Item:
    """One thing due on a day, as the calendar shows it."""

    kind: str
    title: str
    vehicle: str
    url: str
    day: date
    overdue: bool
    rank: int  # its place among its kind's items of the day, from 1

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]


@dataclass
class Day:
    day: date
    in_month: bool
    is_today: bool
    items: list[Item] = field(default_factory=list)
    total: int = 0  # everything due that day, shown or not

    @property
    def more(self) -> int:
        return self.total - len(self.items)


@dataclass(frozen=True)
class Month:
    first: date  # the month's first day
    today: date
    weeks: list[list[Day]]

    @property
    def previous(self) -> date:
        return queries.add_months(self.first, -1)

    @property
    def next(self) -> date:
        return queries.add_months(self.first, 1)

    @property
    def is_current(self) -> bool:
        return self.first == self.today.replace(day=1)

    @property
    def busy_days(self) -> list[Day]:
        """The month's days with something due, for the list on narrow screens."""
        return [day for week in self.weeks for day in week if day.in_month and day.total]

    @property
    def total(self) -> int:
        return sum(day.total for day in self.busy_days)


# --- the month asked for ----------------------------------------------------------------


def parse_month(raw: str, today: date) -> tuple[date, bool]:
    """``2027-01`` as the month's first day, and whether it was understood: an empty,
    malformed or far-off month (beyond ``days.HORIZON_YEARS``) is this month."""
    this_month = today.replace(day=1)
    found = _MONTH.match(raw.strip())
    if not found:
        return this_month, not raw.strip()
    year, number = int(found.group(1)), int(found.group(2))
    if not 1 <= number <= 12 or abs(year - today.year) > days.HORIZON_YEARS:
        return this_month, False
    return date(year, number, 1), True


def parse_day(raw: str, month: date) -> date | None:
    """A day of ``month`` given as 2027-01-14; anything else is no day."""
    try:
        day = date.fromisoformat(raw.strip()[:10])
    except ValueError:
        return None
    return day if day.replace(day=1) == month else None


# --- the statement --------------------------------------------------------------------------


def _shaped(rows: QuerySet, kind: str, day: Combinable, **columns: Combinable) -> QuerySet:
    """The kind's rows with the columns every kind shares."""
    return rows.annotate(
        kind=Value(kind, output_field=CharField()),
        day=day,
        vehicle_label=F("vehicle__label"),
        **columns,
    )


def _numbered(rows: QuerySet, day: Combinable, per_day: int) -> QuerySet:
    """Shaped rows numbered per day, the first ``per_day`` of each day kept, each with
    its day's count."""
    return (
        rows.annotate(
            place=Window(RowNumber(), partition_by=[day], order_by=[F("when").asc(), "id"]),
            total=Window(Count("id"), partition_by=[day]),
        )
        .filter(place__lte=per_day)
        .order_by()
        .values(*_FIELDS, "place")
    )


def _first_of_day(rows: QuerySet, per_day: int) -> QuerySet:
    """The first ``per_day`` shaped rows of one day, straight from an index in ``when``
    order; their day's count comes from elsewhere (``total`` is 0)."""
    return (
        rows.annotate(
            place=Window(RowNumber(), order_by=[F("when").asc(), "id"]),
            total=Value(0, output_field=IntegerField()),
        )
        .order_by("when", "id")
        .values(*_FIELDS, "place")[:per_day]
    )


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def _no_text() -> Value:
    return Value("", output_field=CharField())


def _no_flag() -> Value:
    return Value(False, output_field=BooleanField())


def _tasks(
    org: Organization, since: datetime | RawSQL, until: datetime | RawSQL, day: Combinable
) -> QuerySet:
    return _shaped(
        queries.coming_tasks(org).filter(when__gte=since, when__lt=until),
        "task",
        day,
        text=F("description"),
        extra=_no_text(),
        flagged=_flag(Q(status=Status.EXPIRED)),
    )


def _day_column(name: str) -> RawSQL:
    return RawSQL(f"days.{name}", (), output_field=DateTimeField())


def _tasks_of_each_day(
    org: Organization, first: date, last: date, per_day: int
) -> tuple[str, list]:
    """SQL for the first ``per_day`` open tasks of each day (PostgreSQL): the day's part
    of ``coming_tasks`` once per day, as a LATERAL subquery over the days' bounds,
    each read from the ``task_open_due_idx`` index in order and cut after a few rows.
    A month can hold a hundred thousand open tasks, which numbering them all per
    day, as the other kinds are, would read."""
    zone = days.zone_of(org)
    count = (last - first).days + 1
    starts = [
        datetime.combine(first + timedelta(days=n), time.min, tzinfo=zone) for n in range(count + 1)
    ]
    one_day = _first_of_day(
        _tasks(org, _day_column("since"), _day_column("until"), TruncDate("when", tzinfo=zone)),
        per_day,
    )
    query, params = one_day.query.sql_with_params()
    columns = ", ".join(f'firsts."{name}"' for name in (*_FIELDS, "place"))
    return (
        f"SELECT {columns} FROM unnest(%s::timestamptz[], %s::timestamptz[]) AS days(since, until) "
        f"CROSS JOIN LATERAL ({query}) AS firsts",
        [starts[:-1], starts[1:], *params],
    )


def _others(org: Organization, first: date, last: date, per_day: int) -> list[QuerySet]:
    """Open intervals, active orders and active contracts from ``first`` to ``last``,
    numbered per day."""
    zone = days.zone_of(org)
    since = datetime.combine(first, time.min, tzinfo=zone)
    until = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    moment_day = TruncDate("when", tzinfo=zone)
    intervals = _shaped(
        queries.coming_intervals(org).filter(when__gte=since, when__lt=until),
        "interval",
        moment_day,
        text=F("name"),
        extra=_no_text(),
        flagged=_flag(Q(due_at__isnull=False)),
    )
    orders = _shaped(
        queries.coming_orders(org).filter(when__gte=since, when__lt=until),
        "order",
        moment_day,
        text=_no_text(),
        extra=F("servicer__name"),
        flagged=_no_flag(),
    )
    contracts = _shaped(
        queries.coming_contracts(org).filter(when__gte=first, when__lte=last),
        "contract",
        F("end_date"),
        text=F("number"),
        extra=F("contract_type"),
        flagged=_no_flag(),
    )
    return [
        _numbered(intervals, moment_day, per_day),
        _numbered(orders, moment_day, per_day),
        _numbered(contracts, F("end_date"), per_day),
    ]


def _rows(org: Organization, first: date, last: date, per_day: int) -> list[dict]:
    """The items due from ``first`` to ``last`` (local days, both included), at most
    ``per_day`` of each kind on each day: one statement (and on PostgreSQL a second,
    the tasks' counts per day from their tally)."""
    parts = _others(org, first, last, per_day)
    if not tally.kept_by_triggers():
        zone = days.zone_of(org)
        since = datetime.combine(first, time.min, tzinfo=zone)
        until = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
        moment_day = TruncDate("when", tzinfo=zone)
        parts.append(_numbered(_tasks(org, since, until, moment_day), moment_day, per_day))
        return list(parts[0].union(*parts[1:], all=True))
    others, params = parts[0].union(*parts[1:], all=True).query.sql_with_params()
    tasks, task_params = _tasks_of_each_day(org, first, last, per_day)
    with connection.cursor() as cursor:
        cursor.execute(f"{others} UNION ALL ({tasks})", [*params, *task_params])
        names = [*_FIELDS, "place"]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    counts = tally.open_tasks_by_day(org, first, last)
    for row in rows:
        if row["kind"] == "task":
            row["total"] = counts.get(row["day"], 0)
    return rows


def _title(row: dict) -> str:
    if row["kind"] == "order":
        return f"Order {row['id']} ready at {row['extra']}"
    if row["kind"] == "contract":
        return f"{_CONTRACT_TYPES.get(row['extra'], 'Contract')} {row['text']} ends"
    return row["text"]


def _url(row: dict) -> str:
    kind, pk = row["kind"], row["id"]
    if kind == "interval":
        return reverse("intervals:schedule", args=[row["vehicle_id"]])
    if kind == "task":
        return reverse("tasks:detail", args=[pk])
    if kind == "order":
        return reverse("orders:detail", args=[pk])
    return reverse("contracts:vehicle", args=[row["vehicle_id"]]) + f"#contract-{pk}"


def _item(row: dict, today: date) -> Item:
    day = row["day"] if isinstance(row["day"], date) else date.fromisoformat(str(row["day"]))
    return Item(
        kind=row["kind"],
        title=_title(row),
        vehicle=row["vehicle_label"],
        url=_url(row),
        day=day,
        overdue=day < today or bool(row["flagged"]),
        rank=row["place"],
    )


def _by_day(rows: list[dict], today: date) -> dict[date, tuple[list[Item], int]]:
    """Each day's items, interleaved by kind (the first of each kind, then the second),
    and how many there are of every kind together."""
    items: dict[date, list[Item]] = defaultdict(list)
    totals: dict[date, dict[str, int]] = defaultdict(dict)
    for row in rows:
        item = _item(row, today)
        items[item.day].append(item)
        totals[item.day][item.kind] = row["total"]
    return {
        day: (
            sorted(found, key=lambda item: (item.rank, KINDS.index(item.kind), item.title)),
            sum(totals[day].values()),
        )
        for day, found in items.items()
    }


# --- what the pages show ------------------------------------------------------------------


def month_of(org: Organization, first: date, today: date) -> Month:
    """The month's weeks (Monday first), each day with its first items and its total."""
    grid = weekdays.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    last = queries.add_months(first, 1) - timedelta(days=1)
    found = _by_day(_rows(org, first, last, CELL_ITEMS), today)
    weeks = []
    for week in grid:
        row = []
        for day in week:
            in_month = day.month == first.month
            shown, total = found.get(day, ([], 0)) if in_month else ([], 0)
            row.append(Day(day, in_month, day == today, shown[:CELL_ITEMS], total))
        weeks.append(row)
    return Month(first, today, weeks)


def day_of(org: Organization, day: date, today: date) -> tuple[list[Item], dict[str, int]]:
    """Everything due on one day, up to ``DAY_ITEMS`` of each kind, and each kind's count."""
    rows = _rows(org, day, day, DAY_ITEMS)
    totals = {row["kind"]: row["total"] for row in rows}
    items = sorted(
        (_item(row, today) for row in rows),
        key=lambda item: (KINDS.index(item.kind), item.rank),
    )
    return items, totals


def tasks_of_day_url(day: date) -> str:
    """The Tasks page's list of the open tasks predicted to end on the day."""
    query = urlencode({"due_from": day.isoformat(), "due_to": day.isoformat()})
    return f"{reverse('tasks:list')}?{query}"
