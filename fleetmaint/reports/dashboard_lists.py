"""The dashboard's two lists, "Needs attention" and "Coming up": the first rows of each
kind, in one plain SQL statement.

Each part reads the first rows of an index (its ``ORDER BY ... LIMIT``) and the
parts are joined by ``UNION ALL``; the statement's text is the same for every
request with the same parts, so building it costs nothing (an ORM UNION of six
querysets spent more time compiling than PostgreSQL spent answering).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fleetmaint import sql
from fleetmaint.accounts.models import Organization
from fleetmaint.orders import queries as order_queries
from fleetmaint.tasks.models import OPEN_STATUSES, Status
from fleetmaint.vehicles import meters_sql
from fleetmaint.web import RowUrls

ATTENTION_ROWS = 8
COMING_ROWS = 8
HORIZON_DAYS = 30


@dataclass
class Entry:
    """One line of the dashboard's lists: a task, a service interval or an order."""

    section: str  # "attention" or "coming"
    kind: str  # "task", "interval" or "order"
    title: str
    vehicle: str
    url: str
    when: datetime | None
    status: str = ""
    mileage: int | None = None
    unit: str = ""


def _task_part(section: str, where: str, rows: int) -> str:
    return (
        f"SELECT '{section}' AS section, 'task' AS kind, t.id AS row_id, t.description AS title, "
        "t.vehicle_id AS vehicle_id, v.label AS vehicle_label, t.predicted_end_date AS moment, "
        "t.status AS status, CAST(NULL AS integer) AS mileage, v.distance_unit AS unit "
        "FROM tasks_servicetask t JOIN vehicles_vehicle v ON v.id = t.vehicle_id "
        f"WHERE t.org_id = %(org)s AND {where} "
        f"ORDER BY t.predicted_end_date, t.id LIMIT {rows}"
    )


def _interval_part(section: str, moment: str, mileage: str, where: str, order: str) -> str:
    rows = ATTENTION_ROWS if section == "attention" else COMING_ROWS
    return (
        f"SELECT '{section}', 'interval', i.id, i.name, i.vehicle_id, v.label, {moment}, '', "
        f"{mileage}, v.distance_unit "
        "FROM intervals_serviceinterval i JOIN vehicles_vehicle v ON v.id = i.vehicle_id "
        f"WHERE i.org_id = %(org)s AND i.serviced_at IS NULL AND NOT v.archived AND {where} "
        f"ORDER BY {order}, i.id LIMIT {rows}"
    )


_EXPECTED = "COALESCE(i.predicted_due_at, i.service_at_date)"
_OPEN = ", ".join(f"'{status}'" for status in OPEN_STATUSES)
_ACTIVE = ", ".join(f"'{status}'" for status in order_queries.ACTIVE)

# The parts by the name ``_wanted`` gives them, in the order of the statement.
PARTS = {
    "expired": _task_part("attention", f"t.status = '{Status.EXPIRED}'", ATTENTION_ROWS),
    "notified": _task_part("attention", f"t.status = '{Status.NOTIFIED}'", ATTENTION_ROWS),
    # Required by mileage means flagged by the evaluation (``due_at``/``near_at``), by date
    # means a date passed: both from an index, then ``intervals.queries.open_intervals``'s
    # rule and order (expected first, without a prediction last).
    "required": _interval_part(
        "attention",
        "i.service_at_date",
        "i.service_at_mileage",
        "(i.due_at IS NOT NULL OR i.near_at IS NOT NULL OR i.service_at_date <= %(now)s) "
        f"AND {meters_sql.INTERVAL_REQUIRED}",
        "(i.predicted_due_at IS NULL), i.predicted_due_at",
    ),
    "coming tasks": _task_part(
        "coming",
        f"t.status IN ({_OPEN}) AND NOT v.archived "
        "AND t.predicted_end_date >= %(now)s AND t.predicted_end_date <= %(horizon)s",
        COMING_ROWS,
    ),
    "coming intervals": _interval_part(
        "coming",
        _EXPECTED,
        "CAST(NULL AS integer)",
        f"{_EXPECTED} >= %(now)s AND {_EXPECTED} <= %(horizon)s",  # interval_open_expected_idx
        _EXPECTED,
    ),
    "coming orders": (
        "SELECT 'coming', 'order', o.id, 'Order ' || CAST(o.id AS text) || ' at ' || s.name, "
        "o.vehicle_id, v.label, o.estimated_completion, '', CAST(NULL AS integer), "
        "v.distance_unit "
        "FROM orders_serviceorder o JOIN vehicles_vehicle v ON v.id = o.vehicle_id "
        "JOIN orders_servicer s ON s.id = o.servicer_id "
        f"WHERE o.org_id = %(org)s AND o.status IN ({_ACTIVE}) "
        "AND o.estimated_completion >= %(now)s AND o.estimated_completion <= %(horizon)s "
        f"ORDER BY o.estimated_completion, o.id LIMIT {COMING_ROWS}"
    ),
}


def statement(wanted: set[str]) -> str:
    """The UNION of the wanted parts; each is a subquery so it may keep its own LIMIT
    (SQLite allows ``ORDER BY``/``LIMIT`` in a compound only there)."""
    parts = [part for name, part in PARTS.items() if name in wanted]
    return " UNION ALL ".join(
        f"SELECT * FROM ({part}) AS part{index}" for index, part in enumerate(parts)
    )


def entries(org: Organization, wanted: set[str]) -> list[Entry]:
    """The wanted lists' first rows: attention first (expired, due soon, required), then
    what is coming, soonest first."""
    if not wanted:
        return []
    now = timezone.now()
    params = {"org": org.pk, "now": now, "horizon": now + timedelta(days=HORIZON_DAYS)}
    urls = RowUrls(task="tasks:vehicle", interval="intervals:schedule", order="orders:detail")
    found = [_entry(row, urls) for row in sql.run(statement(wanted), params)]
    order = {"attention": 0, "coming": 1}
    rank = {Status.EXPIRED: 0, Status.NOTIFIED: 1, "": 2}
    far = datetime.max.replace(tzinfo=UTC)
    found.sort(
        key=lambda e: (
            order[e.section],
            rank.get(e.status, 2) if e.section == "attention" else 0,
            e.when or far,
            e.kind,
            e.title,
        )
    )
    return found


def _moment(value: object) -> datetime | None:
    """A moment as PostgreSQL gives it, or as SQLite's text in UTC."""
    if value is None or (isinstance(value, datetime) and value.tzinfo is not None):
        return value
    moment = value if isinstance(value, datetime) else parse_datetime(str(value))
    return moment.replace(tzinfo=UTC)


def _entry(row: tuple, urls: RowUrls) -> Entry:
    """A list line; an order links to itself, a task or a service to its vehicle's tab."""
    section, kind, row_id, title, vehicle_id, vehicle, when, status, mileage, unit = row
    url = urls.for_row(row_id if kind == "order" else vehicle_id)[kind]
    return Entry(section, kind, title, vehicle, url, _moment(when), status or "", mileage, unit)
