"""The vehicle history report's content: everything one vehicle went through.

``vehicle_history`` gathers the data into sections of typed columns (a fixed
number of queries, whatever the vehicle's history holds); ``history_pdf`` and
``history_xlsx`` only lay those sections out, so both files always say the
same thing. Datetimes are shown in the organization's time zone, money in its
currency.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.text import slugify

from fleetmaint.contracts.models import VehicleContract
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.orders.models import FoundIssue, OrderEvent, OrderItem, ServiceOrder
from fleetmaint.reports.cost_queries import MonthCost, monthly_costs
from fleetmaint.reports.queries import add_months, month_range, org_zone
from fleetmaint.tasks import services as task_services
from fleetmaint.tasks.models import ServiceTask
from fleetmaint.vehicles.models import Reading, Vehicle

# Column kinds: how a value is written to a cell and shown on paper.
TEXT, DATE, DATETIME, INT, NUMBER, MONEY, PERCENT, MONTH = (
    "text",
    "date",
    "datetime",
    "int",
    "number",
    "money",
    "percent",
    "month",
)


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = TEXT
    width: int = 14  # characters, for the spreadsheet


@dataclass
class Section:
    key: str
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    empty: str = "Nothing recorded."
    sheet: str = ""  # the worksheet's name, when not the title


@dataclass
class VehicleHistory:
    vehicle: Vehicle
    generated_at: datetime  # in the organization's time zone
    currency: str
    facts: list[tuple[str, object]]
    sections: list[Section]
    costs: list[tuple[date, MonthCost]]

    @property
    def org(self):
        return self.vehicle.org

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    @property
    def costs_total(self) -> MonthCost:
        return sum((cost for _, cost in self.costs), MonthCost())


# --- gathering ---------------------------------------------------------------------------


def _local(value: datetime | None, zone) -> datetime | None:
    return timezone.localtime(value, zone) if value is not None else None


def _local_date(value: datetime | None, zone) -> date | None:
    return _local(value, zone).date() if value is not None else None


def _yes(flag: bool) -> str:
    return "Yes" if flag else ""


def _readings(vehicle: Vehicle, zone) -> Section:
    section = Section(
        "readings",
        "Readings",
        [
            Column("Recorded at", DATETIME, 18),
            Column(f"Odometer ({vehicle.distance_unit})", INT),
            Column("Engine hours", NUMBER),
            Column("Source", TEXT, 10),
            Column("Correction", TEXT, 11),
            Column("Note", TEXT, 40),
        ],
        empty="No readings recorded.",
    )
    for reading in Reading.objects.counted().filter(vehicle=vehicle).order_by("recorded_at", "id"):
        section.rows.append(
            [
                _local(reading.recorded_at, zone),
                reading.odometer,
                reading.engine_hours,
                reading.get_source_display(),
                _yes(reading.is_correction),
                reading.note,
            ]
        )
    return section


def _intervals(vehicle: Vehicle, zone) -> Section:
    section = Section(
        "intervals",
        "Service intervals",
        [
            Column("Interval", TEXT, 28),
            Column("Status", TEXT, 10),
            Column(f"Due at ({vehicle.distance_unit})", INT),
            Column("Due date", DATE, 12),
            Column("Predicted due", DATE, 14),
            Column("Serviced on", DATE, 12),
            Column(f"Serviced at ({vehicle.distance_unit})", INT, 16),
            Column("Notes", TEXT, 40),
        ],
        empty="No service intervals.",
    )
    intervals = ServiceInterval.objects.filter(vehicle=vehicle).order_by(
        "serviced_at", "predicted_due_at", "id"
    )
    # Open ones first (by when they fall due), then the serviced ones, oldest first.
    rows = sorted(intervals, key=lambda i: (i.serviced_at is not None,))
    for interval in rows:
        if interval.serviced_at is not None:
            status = "Serviced"
        elif interval.due_at is not None:
            status = "Due"
        else:
            status = "Open"
        section.rows.append(
            [
                interval.name,
                status,
                interval.service_at_mileage,
                _local_date(interval.service_at_date, zone),
                _local_date(interval.predicted_due_at, zone),
                _local_date(interval.serviced_at, zone),
                interval.serviced_odometer,
                interval.notes,
            ]
        )
    return section


def _conditions(task: ServiceTask, unit: str) -> str:
    parts = []
    if task.mileage_limit is not None:
        parts.append(f"{task.mileage_limit:,} {unit}")
    if task.date_end is not None:
        parts.append("until date")
    if task.hours_limit is not None:
        parts.append(f"{task.hours_limit} h")
    return ", ".join(parts)


def _tasks(vehicle: Vehicle, zone) -> Section:
    section = Section(
        "tasks",
        "Service tasks",
        [
            Column("Task", TEXT, 30),
            Column("Status", TEXT, 10),
            Column("Wear", PERCENT, 8),
            Column("Limits", TEXT, 20),
            Column("Ends on", DATE, 12),
            Column("Started", DATE, 12),
            Column("Completed", DATE, 12),
            Column(f"Completed at ({vehicle.distance_unit})", INT, 18),
            Column("Cost", MONEY, 14),
            Column("Comment", TEXT, 30),
        ],
        empty="No service tasks.",
    )
    tasks = ServiceTask.objects.filter(vehicle=vehicle).order_by("start_date", "id")
    for task in tasks:
        task.vehicle = vehicle  # the wear reads the vehicle's meters; no query per task
        section.rows.append(
            [
                task.description,
                task.get_status_display(),
                task_services.wear(task) / 100,
                _conditions(task, vehicle.distance_unit),
                _local_date(task.date_end, zone),
                _local_date(task.start_date, zone),
                _local_date(task.completion_date, zone),
                task.completion_mileage,
                task.cost,
                task.comment,
            ]
        )
    return section


def _orders(vehicle: Vehicle, zone) -> tuple[Section, Section, Section, Section]:
    orders = list(
        ServiceOrder.objects.filter(vehicle=vehicle)
        .select_related("servicer")
        .prefetch_related(
            Prefetch("items", queryset=OrderItem.objects.select_related("covered_by")),
            Prefetch("events", queryset=OrderEvent.objects.order_by("created_at", "id")),
            Prefetch("issues", queryset=FoundIssue.objects.order_by("reported_at", "id")),
        )
        .order_by("created_at", "id")
    )
    summary = Section(
        "orders",
        "Service orders",
        [
            Column("Order", INT, 8),
            Column("Created", DATE, 12),
            Column("Servicer", TEXT, 22),
            Column("Service", TEXT, 20),
            Column("Status", TEXT, 12),
            Column("Completed", DATE, 12),
            Column("Items total", MONEY, 14),
            Column("Covered", MONEY, 14),
            Column("Payable", MONEY, 14),
        ],
        empty="No service orders.",
    )
    items = Section(
        "items",
        "Order items",
        [
            Column("Order", INT, 8),
            Column("Code", TEXT, 16),
            Column("Item", TEXT, 30),
            Column("Quantity", INT, 9),
            Column("Unit price", MONEY, 14),
            Column("Total", MONEY, 14),
            Column("Source", TEXT, 12),
            Column("Covered by", TEXT, 20),
        ],
        empty="No order items.",
    )
    events = Section(
        "events",
        "Order timeline",
        [
            Column("Order", INT, 8),
            Column("When", DATETIME, 18),
            Column("Event", TEXT, 24),
            Column("Kind", TEXT, 10),
            Column("Status after", TEXT, 12),
            Column("Notes", TEXT, 40),
        ],
        empty="No order events.",
    )
    issues = Section(
        "issues",
        "Found issues",
        [
            Column("Order", INT, 8),
            Column("Reported", DATE, 12),
            Column("Issue", TEXT, 40),
            Column("Cost", MONEY, 14),
            Column("Decision", TEXT, 22),
        ],
        empty="No issues found during service.",
    )
    for order in orders:
        summary.rows.append(
            [
                order.pk,
                _local_date(order.created_at, zone),
                order.servicer.name,
                order.get_service_type_display(),
                order.get_status_display(),
                _local_date(order.completed_at, zone),
                order.items_total,
                order.covered_total,
                order.payable_total,
            ]
        )
        for item in order.items.all():
            items.rows.append(
                [
                    order.pk,
                    item.code,
                    item.name,
                    item.quantity,
                    item.unit_price,
                    item.total,
                    item.get_source_display(),
                    item.covered_by.number if item.covered_by else "",
                ]
            )
        for event in order.events.all():
            events.rows.append(
                [
                    order.pk,
                    _local(event.event_date or event.created_at, zone),
                    event.label,
                    event.kind,
                    event.status_after,
                    event.notes,
                ]
            )
        for issue in order.issues.all():
            issues.rows.append(
                [
                    order.pk,
                    _local_date(issue.reported_at, zone),
                    issue.description,
                    issue.cost,
                    issue.get_status_display(),
                ]
            )
    return summary, items, events, issues


def _contracts(vehicle: Vehicle, zone) -> Section:
    unit = vehicle.distance_unit
    section = Section(
        "contracts",
        "Contracts",
        [
            Column("Number", TEXT, 16),
            Column("Type", TEXT, 22),
            Column("Provider", TEXT, 20),
            Column("Status", TEXT, 10),
            Column("Starts", DATE, 12),
            Column("Ends", DATE, 12),
            Column(f"Distance limit ({unit})", INT, 18),
            Column(f"Ends at ({unit})", INT, 14),
            Column("Price", NUMBER, 12),
            Column("Currency", TEXT, 9),
        ],
        empty="No contracts.",
    )
    for contract in VehicleContract.objects.filter(vehicle=vehicle).order_by("start_date", "id"):
        section.rows.append(
            [
                contract.number,
                contract.get_contract_type_display(),
                contract.provider,
                contract.get_status_display(),
                contract.start_date,
                contract.end_date,
                contract.distance_limit,
                contract.ends_at_odometer,
                contract.price,
                contract.currency,
            ]
        )
    return section


def _cost_months(vehicle: Vehicle, now: datetime) -> list[tuple[date, MonthCost]]:
    """Every month from the first with a cost to now (gaps shown as zero), at most 10 years."""
    found = {
        month: cost for (_, month), cost in monthly_costs(vehicle.org, vehicle=vehicle).items()
    }
    if not found:
        return []
    last = max(now.date().replace(day=1), max(found))
    first = max(min(found), add_months(last, -119))
    return [(month, found.get(month, MonthCost())) for month in month_range(first, last)]


def _costs_section(costs: list[tuple[date, MonthCost]]) -> Section:
    section = Section(
        "costs",
        "Costs by month",
        [
            Column("Month", MONTH, 12),
            Column("Orders", MONEY, 14),
            Column("Tasks", MONEY, 14),
            Column("Total", MONEY, 14),
        ],
        empty="No costs yet: no completed orders or done tasks.",
        sheet="Costs",
    )
    section.rows = [[month, cost.orders, cost.tasks, cost.total] for month, cost in costs]
    return section


def _facts(vehicle: Vehicle, zone) -> list[tuple[str, object]]:
    unit = vehicle.distance_unit
    odometer = f"{vehicle.odometer:,} {unit}" if vehicle.odometer is not None else "—"
    read_on = _local(vehicle.odometer_at, zone)
    return [
        ("Vehicle", vehicle.label),
        ("Key", vehicle.vehicle_key),
        ("Make and model", " ".join(p for p in [vehicle.make, vehicle.model] if p) or "—"),
        ("Year", vehicle.year or "—"),
        ("VIN", vehicle.vin or "—"),
        ("Plate", vehicle.plate or "—"),
        ("Odometer", odometer + (f" (read {read_on:%Y-%m-%d})" if read_on else "")),
        (
            "Engine hours",
            f"{vehicle.engine_hours} h" if vehicle.engine_hours is not None else "—",
        ),
        ("Status", "Archived" if vehicle.archived else "In use"),
        ("Organization", vehicle.org.name),
    ]


def vehicle_history(vehicle: Vehicle) -> VehicleHistory:
    """Everything the report shows about ``vehicle`` (whose ``org`` is loaded)."""
    org = vehicle.org
    zone = org_zone(org)
    now = timezone.localtime(timezone.now(), zone)
    orders, items, events, issues = _orders(vehicle, zone)
    costs = _cost_months(vehicle, now)
    return VehicleHistory(
        vehicle=vehicle,
        generated_at=now,
        currency=org.currency,
        facts=_facts(vehicle, zone),
        sections=[
            _readings(vehicle, zone),
            _intervals(vehicle, zone),
            _tasks(vehicle, zone),
            orders,
            items,
            events,
            issues,
            _contracts(vehicle, zone),
            _costs_section(costs),
        ],
        costs=costs,
    )


def history_filename(history: VehicleHistory, extension: str) -> str:
    key = slugify(history.vehicle.vehicle_key) or f"vehicle-{history.vehicle.pk}"
    return f"vehicle-history-{key}-{history.generated_at:%Y-%m-%d}.{extension}"
