"""The month calendar: what falls due on each day of a month, the feed's data on a page.

The items are those of the iCalendar feed (``reports.calendar``), read with the
same querysets (``queries.coming_*``): open intervals on the day they are
expected, open tasks on the day they are predicted to end, active orders on the
day the servicer expects to finish, and active contracts on the day they end.
Days are the organization's calendar days.

One statement reads a month: for each kind, the rows of the month numbered
per day, of which the first ``per_day`` come back, each with the number of
its kind on its day. A fleet with a thousand tasks a day thus sends a few per
day, and the cell says how many more there are. A day opened on its own is the
same statement bounded to that day, with a longer cut.
"""

import calendar as weekdays
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.db.models import BooleanField, CharField, Count, F, Q, QuerySet, Value, Window
from django.db.models.expressions import ExpressionWrapper
from django.db.models.functions import RowNumber, TruncDate
from django.urls import reverse

from fleetmaint import days
from fleetmaint.accounts.models import Organization
from fleetmaint.contracts.models import ContractType
from fleetmaint.reports import queries
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


def _numbered(rows: QuerySet, kind: str, day, per_day: int, **columns) -> QuerySet:
    """The kind's rows numbered per day, the first ``per_day`` of each day kept, each
    with its day's count, as the columns every kind shares."""
    return (
        rows.annotate(
            kind=Value(kind, output_field=CharField()),
            day=day,
            vehicle_label=F("vehicle__label"),
            **columns,
            place=Window(RowNumber(), partition_by=[day], order_by=[F("when").asc(), "id"]),
            total=Window(Count("id"), partition_by=[day]),
        )
        .filter(place__lte=per_day)
        .order_by()
        .values(*_FIELDS, "place")
    )


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def _no_text() -> Value:
    return Value("", output_field=CharField())


def _rows(org: Organization, first: date, last: date, per_day: int) -> list[dict]:
    """The items due from ``first`` to ``last`` (local days, both included): one
    statement, at most ``per_day`` of each kind on each day."""
    zone = days.zone_of(org)
    since = datetime.combine(first, time.min, tzinfo=zone)
    until = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    moment_day = TruncDate("when", tzinfo=zone)
    in_range = {"when__gte": since, "when__lt": until}
    intervals = _numbered(
        queries.coming_intervals(org).filter(**in_range),
        "interval",
        moment_day,
        per_day,
        text=F("name"),
        extra=_no_text(),
        flagged=_flag(Q(due_at__isnull=False)),
    )
    tasks = _numbered(
        queries.coming_tasks(org).filter(**in_range),
        "task",
        moment_day,
        per_day,
        text=F("description"),
        extra=_no_text(),
        flagged=_flag(Q(status=Status.EXPIRED)),
    )
    orders = _numbered(
        queries.coming_orders(org).filter(**in_range),
        "order",
        moment_day,
        per_day,
        text=_no_text(),
        extra=F("servicer__name"),
        flagged=Value(False, output_field=BooleanField()),
    )
    contracts = _numbered(
        queries.coming_contracts(org).filter(when__gte=first, when__lte=last),
        "contract",
        F("end_date"),
        per_day,
        text=F("number"),
        extra=F("contract_type"),
        flagged=Value(False, output_field=BooleanField()),
    )
    return list(intervals.union(tasks, orders, contracts, all=True))


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
