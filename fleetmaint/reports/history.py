"""The vehicle history report: everything one vehicle went through, as PDF and XLSX.

``vehicle_history`` gathers the data into sections of typed columns (a fixed
number of queries, whatever the vehicle's history holds); ``history_pdf`` and
``history_xlsx`` only lay those sections out, so both files always say the
same thing. Datetimes are shown in the organization's time zone, money in its
currency.
"""

import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import xlsxwriter
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.text import slugify
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from fleetmaint.contracts.models import VehicleContract
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.orders.models import FoundIssue, OrderEvent, OrderItem, ServiceOrder
from fleetmaint.reports.costs import (
    PDF,
    XLSX,
    Download,
    MonthCost,
    add_months,
    money_format,
    month_range,
    monthly_costs,
    org_zone,
)
from fleetmaint.reports.sheet_text import WORKBOOK_OPTIONS, plain
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
    for reading in Reading.objects.filter(vehicle=vehicle).order_by("recorded_at", "id"):
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


def history_download(vehicle: Vehicle, kind: str) -> Download:
    """The history of ``vehicle`` as ``pdf`` or ``xlsx``."""
    report = vehicle_history(vehicle)
    if kind == "pdf":
        return Download(history_pdf(report), PDF, history_filename(report, "pdf"))
    return Download(history_xlsx(report), XLSX, history_filename(report, "xlsx"))


# --- PDF ---------------------------------------------------------------------------------


class _NumberedCanvas(pdf_canvas.Canvas):
    """Draws "Page n of m" once every page is known."""

    footer = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self):  # ReportLab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont("Helvetica", 8)
            self.setFillColor(colors.grey)
            width = self._pagesize[0]
            self.drawString(15 * mm, 8 * mm, self.footer)
            self.drawRightString(width - 15 * mm, 8 * mm, f"Page {self._pageNumber} of {total}")
            super().showPage()
        super().save()


def _pdf_text(value: object, kind: str, currency: str) -> str:
    if value is None or value == "":
        return ""
    if kind == DATETIME:
        return f"{value:%Y-%m-%d %H:%M}"
    if kind == DATE:
        return f"{value:%Y-%m-%d}"
    if kind == MONTH:
        return f"{value:%b %Y}"
    if kind == INT:
        return f"{value:,}" if isinstance(value, int) else str(value)
    if kind == MONEY:
        return f"{Decimal(value):,.2f} {currency}"
    if kind == PERCENT:
        return f"{round(value * 100)} %"
    if kind == NUMBER:
        return f"{value:,}" if isinstance(value, int | Decimal | float) else str(value)
    return str(value)


_RIGHT = {INT, NUMBER, MONEY, PERCENT}


def _pdf_table(section: Section, currency: str, styles, available: float) -> Table:
    cell = ParagraphStyle("cell", parent=styles["BodyText"], fontSize=7.5, leading=9)
    head = ParagraphStyle("head", parent=cell, fontName="Helvetica-Bold")
    data = [[Paragraph(c.title, head) for c in section.columns]]
    for row in section.rows:
        data.append(
            [
                Paragraph(_escape(_pdf_text(value, col.kind, currency)), cell)
                if col.kind == TEXT
                else _pdf_text(value, col.kind, currency)
                for value, col in zip(row, section.columns, strict=True)
            ]
        )
    weights = [max(c.width, 8) for c in section.columns]
    scale = available / sum(weights)
    table = Table(data, colWidths=[w * scale for w in weights], repeatRows=1)
    style = [
        ("FONT", (0, 1), (-1, -1), "Helvetica", 7.5),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8EEF4")),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#5B6B7B")),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#F6F8FA")]),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    for index, col in enumerate(section.columns):
        if col.kind in _RIGHT:
            style.append(("ALIGN", (index, 1), (index, -1), "RIGHT"))
    table.setStyle(TableStyle(style))
    return table


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cost_chart(costs: list[tuple[date, MonthCost]], currency: str, width: float) -> Drawing:
    recent = costs[-24:]
    drawing = Drawing(width, 150)
    chart = VerticalBarChart()
    chart.x, chart.y = 45, 30
    chart.width, chart.height = width - 60, 105
    chart.data = [
        [float(c.orders) for _, c in recent],
        [float(c.tasks) for _, c in recent],
    ]
    chart.categoryAxis.categoryNames = [f"{m:%b %y}" for m, _ in recent]
    chart.categoryAxis.labels.fontSize = 6
    chart.categoryAxis.labels.angle = 45
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 6
    chart.categoryAxis.style = "stacked"
    chart.bars[0].fillColor = colors.HexColor("#2F6FA3")
    chart.bars[1].fillColor = colors.HexColor("#E0A03A")
    chart.barSpacing = 1
    drawing.add(chart)
    return drawing


def history_pdf(history: VehicleHistory) -> bytes:
    buffer = io.BytesIO()
    vehicle = history.vehicle
    page = landscape(A4)
    doc = SimpleDocTemplate(
        buffer,
        pagesize=page,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=f"Vehicle history — {vehicle.label}",
        author=history.org.name,
        subject="Vehicle history report",
    )
    styles = getSampleStyleSheet()
    small = ParagraphStyle("small", parent=styles["BodyText"], fontSize=8, textColor=colors.grey)
    available = page[0] - doc.leftMargin - doc.rightMargin
    stamp = f"{history.generated_at:%Y-%m-%d %H:%M} ({history.org.time_zone})"

    story: list = [
        Paragraph(f"Vehicle history — {_escape(vehicle.label)}", styles["Title"]),
        Paragraph(f"{_escape(history.org.name)} · generated {stamp}", small),
        Spacer(1, 4 * mm),
    ]
    facts = [
        [Paragraph(f"<b>{label}</b>", styles["BodyText"]), _escape(str(value))]
        for label, value in history.facts
    ]
    facts_table = Table(facts, colWidths=[40 * mm, 100 * mm], hAlign="LEFT")
    facts_table.setStyle(
        TableStyle(
            [
                ("FONT", (1, 0), (1, -1), "Helvetica", 9),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#D0D7DE")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story += [facts_table, Spacer(1, 4 * mm)]
    total = history.costs_total
    story.append(
        Paragraph(
            f"Maintenance costs to date: <b>{total.total:,.2f} {history.currency}</b> "
            f"(orders {total.orders:,.2f}, tasks {total.tasks:,.2f})",
            styles["BodyText"],
        )
    )

    for section in history.sections:
        heading = Paragraph(
            f"{section.title} ({len(section.rows)})" if section.rows else section.title,
            styles["Heading2"],
        )
        if not section.rows:
            story.append(KeepTogether([heading, Paragraph(section.empty, small)]))
            continue
        if section.key == "costs":
            story.append(
                KeepTogether(
                    [
                        heading,
                        _cost_chart(history.costs, history.currency, available * 0.6),
                        Paragraph("Blue: orders · orange: tasks", small),
                    ]
                )
            )
            story.append(_pdf_table(section, history.currency, styles, available * 0.6))
            continue
        story += [heading, _pdf_table(section, history.currency, styles, available)]

    footer = f"{history.org.name} · {vehicle.label} ({vehicle.vehicle_key}) · {stamp}"

    class _Canvas(_NumberedCanvas):
        pass

    _Canvas.footer = footer
    doc.build(story, canvasmaker=_Canvas)
    return buffer.getvalue()


# --- XLSX --------------------------------------------------------------------------------


def _sheet_name(section: Section) -> str:
    return (section.sheet or section.title)[:31]


def history_xlsx(history: VehicleHistory) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, **WORKBOOK_OPTIONS})
    currency = history.currency
    formats = {
        TEXT: None,
        DATE: book.add_format({"num_format": "yyyy-mm-dd"}),
        DATETIME: book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        MONTH: book.add_format({"num_format": "mmm yyyy"}),
        INT: book.add_format({"num_format": "#,##0"}),
        NUMBER: book.add_format({"num_format": "#,##0.0#"}),
        MONEY: book.add_format({"num_format": money_format(currency)}),
        PERCENT: book.add_format({"num_format": "0%"}),
    }
    header = book.add_format({"bold": True, "bg_color": "#E8EEF4", "bottom": 1, "text_wrap": True})
    bold = book.add_format({"bold": True})
    title = book.add_format({"bold": True, "font_size": 14})
    total_money = book.add_format({"num_format": money_format(currency), "bold": True, "top": 1})
    total_label = book.add_format({"bold": True, "top": 1})

    vehicle = history.vehicle
    summary = book.add_worksheet("Vehicle")
    summary.write(0, 0, f"Vehicle history — {vehicle.label}", title)
    summary.write_string(1, 0, "Generated")
    summary.write_datetime(1, 1, history.generated_at.replace(tzinfo=None), formats[DATETIME])
    summary.write_string(1, 2, history.org.time_zone)
    for row, (label, value) in enumerate(history.facts, start=3):
        summary.write_string(row, 0, label, bold)
        if isinstance(value, int):
            summary.write_number(row, 1, value)
        else:
            summary.write_string(row, 1, plain(str(value)))
    summary.set_column(0, 0, 18)
    summary.set_column(1, 1, 40)

    for section in history.sections:
        sheet = book.add_worksheet(_sheet_name(section))
        for col, column in enumerate(section.columns):
            sheet.write_string(0, col, column.title, header)
            sheet.set_column(col, col, _width(section, col))
        for row, values in enumerate(section.rows, start=1):
            for col, (value, column) in enumerate(zip(values, section.columns, strict=True)):
                _write(sheet, row, col, value, column.kind, formats)
        sheet.freeze_panes(1, 0)
        last_col = len(section.columns) - 1
        sheet.autofilter(0, 0, max(len(section.rows), 1), last_col)
        if not section.rows:
            sheet.write_string(1, 0, section.empty)
        if section.key == "costs" and section.rows:
            end = len(section.rows)
            sheet.write_string(end + 1, 0, "Total", total_label)
            for col in (1, 2, 3):
                letter = "ABCD"[col]
                sheet.write_formula(
                    end + 1,
                    col,
                    f"=SUM({letter}2:{letter}{end + 1})",
                    total_money,
                    float(
                        [history.costs_total.orders, history.costs_total.tasks][col - 1]
                        if col < 3
                        else history.costs_total.total
                    ),
                )
            sheet.autofilter(0, 0, end, last_col)
            _costs_chart(book, sheet, section, currency)
    book.close()
    return buffer.getvalue()


def _width(section: Section, col: int) -> int:
    column = section.columns[col]
    longest = max([len(column.title), *(len(str(r[col] or "")) for r in section.rows[:500])])
    if column.kind in (DATE, DATETIME, MONTH, MONEY, INT, NUMBER, PERCENT):
        return max(column.width, min(len(column.title) + 2, 24))
    return max(8, min(max(column.width, longest + 2), 60))


def _write(sheet, row: int, col: int, value, kind: str, formats: dict) -> None:
    if value is None or value == "":
        sheet.write_blank(row, col, None, formats[kind])
    elif kind in (DATE, MONTH) and isinstance(value, date):
        sheet.write_datetime(row, col, datetime(value.year, value.month, value.day), formats[kind])
    elif kind == DATETIME and isinstance(value, datetime):
        sheet.write_datetime(row, col, value.replace(tzinfo=None), formats[kind])
    elif kind in (INT, NUMBER, MONEY, PERCENT):
        sheet.write_number(row, col, float(value), formats[kind])
    else:
        sheet.write_string(row, col, plain(str(value)))


def _costs_chart(book, sheet, section: Section, currency: str) -> None:
    end = len(section.rows)
    name = _sheet_name(section)
    chart = book.add_chart({"type": "column", "subtype": "stacked"})
    for col, series in ((1, "Orders"), (2, "Tasks")):
        chart.add_series(
            {
                "name": series,
                "categories": [name, 1, 0, end, 0],
                "values": [name, 1, col, end, col],
            }
        )
    chart.set_title({"name": "Maintenance cost per month"})
    chart.set_y_axis({"name": currency, "num_format": "#,##0"})
    chart.set_x_axis({"num_format": "mmm yy", "date_axis": False})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 720, "height": 320})
    sheet.insert_chart(1, len(section.columns) + 1, chart)
