"""Exact counts of tasks without counting a million rows per page view.

On PostgreSQL the triggers of migration 0003 keep ``tasks_tasktally``: signed
deltas per (organization, status, unplanned, the vehicle's archived flag,
the local day of the predicted end), written by the same statement that
changes the tasks, so the counts are as current as the tasks themselves. A
count sums the organization's deltas: a few thousand small rows at most,
since ``compact`` folds them together every few minutes.

SQLite has no statement triggers with transition tables; there the same
answers come from the tasks themselves, which is fine at the sizes SQLite
serves. ``tests/tasks/test_tally.py`` holds both ways equal.
"""

import zoneinfo
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count, Sum

from fleetmaint.accounts.models import Organization
from fleetmaint.tasks.models import OPEN_STATUSES, ServiceTask, Status, TaskTally


def kept_by_triggers() -> bool:
    return connection.vendor == "postgresql"


def status_counts(org: Organization) -> dict[str, int]:
    """How many of the organization's tasks are in each status."""
    counts = dict.fromkeys(Status.values, 0)
    if kept_by_triggers():
        rows = TaskTally.objects.filter(org_id=org.pk).values("status").annotate(n=Sum("n"))
    else:
        rows = ServiceTask.objects.filter(org=org).values("status").annotate(n=Count("id"))
    counts.update({row["status"]: row["n"] for row in rows if row["status"] in counts})
    return counts


def task_count(org: Organization, statuses: Iterable[str], unplanned: bool | None) -> int:
    """How many tasks have one of ``statuses`` (and the given planned flag, if any)."""
    rows = TaskTally.objects if kept_by_triggers() else ServiceTask.objects
    rows = rows.filter(org_id=org.pk, status__in=list(statuses))
    if unplanned is not None:
        rows = rows.filter(unplanned=unplanned)
    if kept_by_triggers():
        return rows.aggregate(n=Sum("n"))["n"] or 0
    return rows.count()


def open_tasks_by_day(org: Organization, first: date, last: date) -> dict[date, int]:
    """Open tasks of vehicles in use, per local day of their predicted end, first to last."""
    if not kept_by_triggers():
        by_day: Counter[date] = Counter()
        for (_, day), n in _open_by_status_and_day(org, first, last).items():
            by_day[day] += n
        return dict(by_day)
    rows = (
        TaskTally.objects.filter(
            org_id=org.pk,
            status__in=OPEN_STATUSES,
            archived=False,
            day__gte=first,
            day__lte=last,
        )
        .values("day")
        .annotate(n=Sum("n"))
        .order_by()
    )
    return {row["day"]: row["n"] for row in rows if row["n"]}


def _open_by_status_and_day(
    org: Organization, first: date, last: date
) -> Counter[tuple[str, date]]:
    """Without the tally (SQLite): open tasks of vehicles in use per status and local day
    of their predicted end, from the tasks themselves."""
    zone = zoneinfo.ZoneInfo(org.time_zone)
    since = datetime.combine(first, time.min, tzinfo=zone)
    until = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    ends = (
        ServiceTask.objects.for_org(org)
        .open()
        .filter(
            vehicle__archived=False,
            predicted_end_date__gte=since,
            predicted_end_date__lt=until,
        )
        .values_list("status", "predicted_end_date")
    )
    return Counter((status, end.astimezone(zone).date()) for status, end in ends)


def compact() -> int:
    """Folds each key's deltas into one row (dropping keys that net to zero).

    Days are compared through COALESCE because NULL (no predicted end) never
    equals itself in a row comparison.

    Rows written while this runs are not in its snapshot and stay as they are,
    so counts stay exact however writers and compactions interleave. Returns
    how many rows were folded away.
    """
    if not kept_by_triggers():
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH folded AS (
                DELETE FROM tasks_tasktally
                WHERE (org_id, status, unplanned, archived, COALESCE(day, 'infinity')) IN (
                    SELECT org_id, status, unplanned, archived, COALESCE(day, 'infinity')
                    FROM tasks_tasktally GROUP BY 1, 2, 3, 4, 5
                    HAVING count(*) > 1 OR sum(n) = 0)
                RETURNING org_id, status, unplanned, archived, day, n
            ), kept AS (
                INSERT INTO tasks_tasktally (org_id, status, unplanned, archived, day, n)
                SELECT org_id, status, unplanned, archived, day, sum(n) FROM folded
                GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM folded) - (SELECT count(*) FROM kept)
            """
        )
        return cursor.fetchone()[0]


# Open tasks still ahead of their limits: what can still fall due, unlike an expired task,
# which is overdue whatever its predicted day says.
UPCOMING_STATUSES = (Status.CREATED, Status.NOTIFIED)


@dataclass
class Summary:
    statuses: dict[str, int]
    open_by_day: dict[date, int]
    upcoming_by_day: dict[date, int]  # the same days, without the expired tasks


def summary(org: Organization, first: date, last: date) -> Summary:
    """``status_counts``, ``open_tasks_by_day`` and the upcoming part of those days together:
    one query on PostgreSQL."""
    if kept_by_triggers():
        statuses, by_status_and_day = _tally_summary(org, first, last)
    else:
        statuses = status_counts(org)
        by_status_and_day = _open_by_status_and_day(org, first, last)
    open_by_day: Counter[date] = Counter()
    upcoming_by_day: Counter[date] = Counter()
    for (status, day), n in by_status_and_day.items():
        open_by_day[day] += n
        if status in UPCOMING_STATUSES:
            upcoming_by_day[day] += n
    return Summary(statuses, _positive(open_by_day), _positive(upcoming_by_day))


def _positive(counts: Counter[date]) -> dict[date, int]:
    return {day: n for day, n in counts.items() if n}


def _tally_summary(
    org: Organization, first: date, last: date
) -> tuple[dict[str, int], Counter[tuple[str, date]]]:
    """Counts per status, and open tasks of vehicles in use per status and day, from the
    tally: the first part's rows have no day, the second's always one."""
    statuses = dict.fromkeys(Status.values, 0)
    by_status_and_day: Counter[tuple[str, date]] = Counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT status, NULL::date, sum(n) FROM tasks_tasktally
            WHERE org_id = %(org)s GROUP BY status
            UNION ALL
            SELECT status, day, sum(n) FROM tasks_tasktally
            WHERE org_id = %(org)s AND status = ANY(%(open)s) AND NOT archived
                AND day BETWEEN %(first)s AND %(last)s
            GROUP BY status, day
            """,
            {"org": org.pk, "open": list(OPEN_STATUSES), "first": first, "last": last},
        )
        for status, day, n in cursor.fetchall():
            if day is None:
                if status in statuses:
                    statuses[status] = int(n)
            elif n:
                by_status_and_day[(status, day)] += int(n)
    return statuses, by_status_and_day
