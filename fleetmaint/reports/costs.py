"""Maintenance costs by vehicle and month, and the files that carry them.

What a month costs is one rule, used here and by the vehicle history report:
the payable part (what no contract covers) of the service orders completed in
that month, plus the cost of the tasks done in that month. An order counts
once it is completed (a closed order was completed first); canceled and open
orders cost nothing yet. Months are calendar months in the organization's
time zone.

Each source is one aggregate query grouped by vehicle and month, whatever
the number of vehicles, plus one query for the vehicles themselves; those
reads live in ``reports.cost_queries`` (``monthly_costs``), which the vehicle
history report shares.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

import xlsxwriter
from django.db.models import Q
from django.http import HttpResponse
from django.utils import timezone

from fleetmaint.accounts.models import Organization
from fleetmaint.errors import ValidationFailed
from fleetmaint.reports.cost_queries import MonthCost, monthly_costs
from fleetmaint.reports.queries import add_months, month_range, org_zone
from fleetmaint.reports.sheet_text import WORKBOOK_OPTIONS, plain
from fleetmaint.vehicles.models import Vehicle

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"

DEFAULT_MONTHS = 12
MAX_MONTHS = 36


@dataclass(frozen=True)
class Download:
    """A report file, ready to send; the pages and the API answer with the same one."""

    content: bytes | str
    content_type: str
    filename: str

    def response(self) -> HttpResponse:
        response = HttpResponse(self.content, content_type=self.content_type)
        response["Content-Disposition"] = f'attachment; filename="{self.filename}"'
        response["Cache-Control"] = "private, no-store"
        return response


def parse_months(raw: object) -> int:
    """The ``months`` parameter: a whole number from 1 to 36, 12 when not given."""
    if raw is None or raw == "":
        return DEFAULT_MONTHS
    try:
        months = int(str(raw).strip())
    except ValueError:
        raise ValidationFailed(
            f"months must be a whole number from 1 to {MAX_MONTHS}.", field="months"
        ) from None
    if not 1 <= months <= MAX_MONTHS:
        raise ValidationFailed(f"months must be from 1 to {MAX_MONTHS}.", field="months")
    return months


@dataclass
class CostReport:
    org: Organization
    months: list[date]
    vehicles: list[Vehicle]
    cells: dict[tuple[int, date], MonthCost] = field(default_factory=dict)
    generated_at: datetime | None = None

    def cell(self, vehicle: Vehicle, month: date) -> MonthCost:
        return self.cells.get((vehicle.pk, month), MonthCost())

    def vehicle_total(self, vehicle: Vehicle) -> MonthCost:
        return sum((self.cell(vehicle, m) for m in self.months), MonthCost())

    def month_total(self, month: date) -> MonthCost:
        return sum((self.cell(v, month) for v in self.vehicles), MonthCost())

    @property
    def grand_total(self) -> MonthCost:
        return sum((self.month_total(m) for m in self.months), MonthCost())

    @property
    def period(self) -> str:
        return f"{self.months[0]:%Y-%m}_{self.months[-1]:%Y-%m}"


def cost_report(org: Organization, *, months: int = DEFAULT_MONTHS) -> CostReport:
    """The last ``months`` calendar months (this one included) for every vehicle.

    Vehicles in use are listed even without costs; an archived vehicle only
    when it cost something in the period.
    """
    zone = org_zone(org)
    now = timezone.now().astimezone(zone)
    last = now.date().replace(day=1)
    first = add_months(last, -(months - 1))
    since = datetime(first.year, first.month, 1, tzinfo=zone)
    cells = monthly_costs(org, since=since)
    costed = {vehicle_id for vehicle_id, _ in cells}
    vehicles = list(
        Vehicle.objects.for_org(org)
        .filter(Q(archived=False) | Q(pk__in=costed))
        .only("pk", "org_id", "label", "vehicle_key", "archived")
        .order_by("label", "id")
    )
    return CostReport(
        org=org,
        months=month_range(first, last),
        vehicles=vehicles,
        cells=cells,
        generated_at=now,
    )


# --- files -------------------------------------------------------------------------------


def money_format(currency: str) -> str:
    return f'#,##0.00 "{currency}";-#,##0.00 "{currency}"'


def costs_xlsx(report: CostReport) -> bytes:
    """Vehicles down, months across, totals in the last row and column."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, **WORKBOOK_OPTIONS})
    currency = report.org.currency
    title = book.add_format({"bold": True, "font_size": 14})
    header = book.add_format({"bold": True, "bg_color": "#E8EEF4", "bottom": 1})
    month_header = book.add_format(
        {"bold": True, "bg_color": "#E8EEF4", "bottom": 1, "num_format": "mmm yyyy"}
    )
    money = book.add_format({"num_format": money_format(currency)})
    money_total = book.add_format({"num_format": money_format(currency), "bold": True, "top": 1})
    total_label = book.add_format({"bold": True, "top": 1})

    sheet = book.add_worksheet("Costs by month")
    sheet.write(0, 0, f"Maintenance costs — {report.org.name}", title)
    stamp = report.generated_at
    sheet.write(
        1,
        0,
        f"{report.months[0]:%B %Y} to {report.months[-1]:%B %Y}, in {currency}; "
        f"generated {stamp:%Y-%m-%d %H:%M} ({report.org.time_zone})",
    )
    top = 3
    sheet.write(top, 0, "Vehicle key", header)
    sheet.write(top, 1, "Vehicle", header)
    for col, month in enumerate(report.months, start=2):
        sheet.write_datetime(top, col, datetime(month.year, month.month, 1), month_header)
    total_col = 2 + len(report.months)
    sheet.write(top, total_col, "Total", header)

    row = top
    for row, vehicle in enumerate(report.vehicles, start=top + 1):
        sheet.write_string(row, 0, plain(vehicle.vehicle_key))
        sheet.write_string(row, 1, plain(vehicle.label))
        for col, month in enumerate(report.months, start=2):
            sheet.write_number(row, col, float(report.cell(vehicle, month).total), money)
        sheet.write_number(row, total_col, float(report.vehicle_total(vehicle).total), money_total)
    totals_row = row + 1
    sheet.write(totals_row, 0, "Total", total_label)
    sheet.write(totals_row, 1, "", total_label)
    for col, month in enumerate(report.months, start=2):
        sheet.write_number(totals_row, col, float(report.month_total(month).total), money_total)
    sheet.write_number(totals_row, total_col, float(report.grand_total.total), money_total)

    sheet.freeze_panes(top + 1, 2)
    if report.vehicles:
        sheet.autofilter(top, 0, top + len(report.vehicles), total_col)
    sheet.set_column(0, 0, max([12, *(len(v.vehicle_key) + 2 for v in report.vehicles)]))
    sheet.set_column(1, 1, min(40, max([14, *(len(v.label) + 2 for v in report.vehicles)])))
    sheet.set_column(2, total_col, 14)
    book.close()
    return buffer.getvalue()


CSV_COLUMNS = ["vehicle_key", "vehicle", "month", "orders_cost", "tasks_cost", "total"]


def costs_csv(report: CostReport) -> str:
    """One row per vehicle and month (long format), amounts with two decimals."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for vehicle in report.vehicles:
        for month in report.months:
            cost = report.cell(vehicle, month)
            writer.writerow(
                [
                    plain(vehicle.vehicle_key),
                    plain(vehicle.label),
                    f"{month:%Y-%m}",
                    f"{cost.orders:.2f}",
                    f"{cost.tasks:.2f}",
                    f"{cost.total:.2f}",
                ]
            )
    return out.getvalue()


def costs_filename(report: CostReport, extension: str) -> str:
    return f"maintenance-costs-{report.org.slug}-{report.period}.{extension}"


def costs_download(org: Organization, kind: str, months: int = DEFAULT_MONTHS) -> Download:
    """The costs of the last ``months`` months as ``xlsx`` or ``csv``."""
    report = cost_report(org, months=months)
    if kind == "csv":
        return Download(costs_csv(report), CSV, costs_filename(report, "csv"))
    return Download(costs_xlsx(report), XLSX, costs_filename(report, "xlsx"))
