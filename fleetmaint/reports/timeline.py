"""A vehicle's history as one timeline, newest first: work done (tasks completed,
intervals serviced), service orders with their items, readings (voided and
corrections included) and contract events (started, ended, cancelled).

A page costs what it shows, whatever the vehicle's history holds: one statement
counts the entries, one reads the page's keys (kind, id) from the ``UNION ALL`` of
the sources in time order, and one query per kind on the page (plus one per
prefetched relation: a task's files, an order's items, a contract's documents)
loads its rows by id. Every part starts from the vehicle.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from fleetmaint import sql
from fleetmaint.contracts.models import ContractStatus, VehicleContract
from fleetmaint.intervals.models import IntervalService
from fleetmaint.orders.models import OrderItem, ServiceOrder
from fleetmaint.reports.queries import org_zone
from fleetmaint.tasks.models import TaskCompletion, TaskFile
from fleetmaint.vehicles.models import Reading, Vehicle

TASK, SERVICE, ORDER, READING = "task", "service", "order", "reading"
CONTRACT_START, CONTRACT_END, CONTRACT_CANCEL = "contract_start", "contract_end", "contract_cancel"
# The readings no work recorded: a completion's own reading is on its line already.
LONE_READING = "lone_reading"

# The filters the page offers, by their value in the URL, and the parts each reads.
FILTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "": (
        "All",
        (TASK, SERVICE, ORDER, CONTRACT_START, CONTRACT_END, CONTRACT_CANCEL, LONE_READING),
    ),
    "work": ("Work done", (TASK, SERVICE)),
    "orders": ("Orders", (ORDER,)),
    "contracts": ("Contracts", (CONTRACT_START, CONTRACT_END, CONTRACT_CANCEL)),
    "readings": ("Readings", (READING,)),
}


def _day(column: str) -> str:
    """A contract's day as a moment to sort by: its start in the organization's time zone.

    SQLite cannot convert time zones; noon UTC falls on the same calendar day in
    every zone within twelve hours of it, so the day shown stays the day stored.
    """
    if sql.on_postgres():
        return f"(CAST({column} AS timestamp) AT TIME ZONE %(zone)s)"
    return f"({column} || ' 12:00:00')"


def _part(kind: str, tie: int, row_id: str, moment: str, source: str) -> str:
    """One SELECT of (kind, tie, id, moment); every part names its columns, as any of
    them may come first in the UNION."""
    return (
        f"SELECT '{kind}' AS kind, {tie} AS tie, {row_id} AS row_id, {moment} AS moment "
        f"FROM {source}"
    )


def _parts() -> dict[str, str]:
    """The SELECT of each kind; ``tie`` orders entries of the same moment: the work
    first, then the order, the contract, and the reading the work made."""
    contracts = "contracts_vehiclecontract c WHERE c.vehicle_id = %(vehicle)s"
    reading = _part(READING, 3, "r.id", "r.recorded_at", "vehicles_reading r")
    reading += " WHERE r.vehicle_id = %(vehicle)s"
    cancelled, draft = ContractStatus.CANCELLED, ContractStatus.DRAFT
    ended = f"c.status = '{ContractStatus.EXPIRED}' OR c.end_date < %(today)s"
    return {
        TASK: _part(
            TASK, 0, "c.id", "c.done_at", "tasks_taskcompletion c WHERE c.vehicle_id = %(vehicle)s"
        ),
        SERVICE: _part(
            SERVICE,
            0,
            "s.id",
            "s.serviced_at",
            "intervals_intervalservice s WHERE s.vehicle_id = %(vehicle)s",
        ),
        # An order stands where it was completed, or where it was placed until then.
        ORDER: _part(
            ORDER,
            1,
            "o.id",
            "COALESCE(o.completed_at, o.created_at)",
            "orders_serviceorder o WHERE o.vehicle_id = %(vehicle)s",
        ),
        CONTRACT_START: _part(
            CONTRACT_START,
            2,
            "c.id",
            _day("c.start_date"),
            f"{contracts} AND c.start_date <= %(today)s AND c.status <> '{draft}'",
        ),
        # Ended on its last day when the calendar ended it; by distance, when marked.
        CONTRACT_END: _part(
            CONTRACT_END,
            2,
            "c.id",
            f"CASE WHEN c.end_date < %(today)s THEN {_day('c.end_date')} ELSE c.updated_at END",
            f"{contracts} AND c.status NOT IN ('{cancelled}', '{draft}') AND ({ended})",
        ),
        CONTRACT_CANCEL: _part(
            CONTRACT_CANCEL, 2, "c.id", "c.updated_at", f"{contracts} AND c.status = '{cancelled}'"
        ),
        READING: reading,
        LONE_READING: f"{reading} "
        "AND NOT EXISTS (SELECT 1 FROM tasks_taskcompletion c WHERE c.reading_id = r.id) "
        "AND NOT EXISTS (SELECT 1 FROM intervals_intervalservice s WHERE s.reading_id = r.id)",
    }


@dataclass(frozen=True)
class Entry:
    """One line of the timeline: what happened (``kind``), when, and the row it is about."""

    kind: str
    moment: datetime
    row: Any

    @property
    def is_work(self) -> bool:
        return self.kind in (TASK, SERVICE)

    @property
    def is_contract(self) -> bool:
        return self.kind in (CONTRACT_START, CONTRACT_END, CONTRACT_CANCEL)


def _loaders(vehicle: Vehicle) -> dict[str, Any]:
    """Per kind, the query that loads its rows by id, with what each line shows."""
    files = Prefetch("task__files", queryset=TaskFile.objects.only("id", "name", "size"))
    items = Prefetch("items", queryset=OrderItem.objects.select_related("covered_by"))
    contracts = VehicleContract.objects.filter(vehicle=vehicle).prefetch_related("documents")
    return {
        TASK: TaskCompletion.objects.filter(vehicle=vehicle)
        .select_related("task", "recorded_by", "reopened_by")
        .prefetch_related(files),
        SERVICE: IntervalService.objects.filter(vehicle=vehicle).select_related(
            "interval", "recorded_by", "reopened_by"
        ),
        ORDER: ServiceOrder.objects.filter(vehicle=vehicle)
        .select_related("servicer")
        .prefetch_related(items),
        READING: Reading.objects.filter(vehicle=vehicle).select_related("created_by", "voided_by"),
        "contract": contracts,
    }


class VehicleTimeline:
    """The timeline of one vehicle, as a paginator's object list: ``count()`` and slices
    of loaded entries."""

    def __init__(self, vehicle: Vehicle, kind: str = "") -> None:
        self.vehicle = vehicle
        self.kinds = FILTERS.get(kind, FILTERS[""])[1]
        parts = _parts()
        self._union = " UNION ALL ".join(parts[k] for k in self.kinds)
        zone = org_zone(vehicle.org)
        self._params = {
            "vehicle": vehicle.pk,
            "today": timezone.localdate(timezone=zone),
            "zone": zone.key,
        }
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            [(self._count,)] = sql.run(f"SELECT COUNT(*) FROM ({self._union}) t", self._params)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[Entry]:
        start = window.start or 0
        stop = window.stop if window.stop is not None else self.count()
        keys = sql.run(
            f"{self._union} ORDER BY moment DESC, tie, row_id DESC "
            "LIMIT %(limit)s OFFSET %(offset)s",
            {**self._params, "limit": max(stop - start, 0), "offset": start},
        )
        return self._load([(kind, row_id, sql.moment(moment)) for kind, _, row_id, moment in keys])

    def _load(self, keys: list[tuple[str, int, datetime]]) -> list[Entry]:
        """The rows behind the keys, one query per kind present (contract events share one)."""
        wanted: dict[str, set[int]] = {}
        for kind, row_id, _ in keys:
            group = "contract" if kind.startswith("contract") else kind
            wanted.setdefault(group, set()).add(row_id)
        loaders = _loaders(self.vehicle)
        rows = {
            (group, row.pk): row
            for group, ids in wanted.items()
            for row in loaders[group].filter(pk__in=ids)
        }
        entries = []
        for kind, row_id, moment in keys:
            row = rows.get(("contract" if kind.startswith("contract") else kind, row_id))
            if row is not None:  # removed between the two statements
                entries.append(Entry(kind, moment, row))
        return entries
