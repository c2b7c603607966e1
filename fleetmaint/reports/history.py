"""The vehicle history report, as PDF or XLSX: what the pages and the API download.

Three parts: ``history_data`` gathers what one vehicle went through,
``history_pdf`` and ``history_xlsx`` lay it out.
"""

from fleetmaint.reports.costs import PDF, XLSX, Download
from fleetmaint.reports.history_data import VehicleHistory, history_filename, vehicle_history
from fleetmaint.reports.history_pdf import history_pdf
from fleetmaint.reports.history_xlsx import history_xlsx
from fleetmaint.vehicles.models import Vehicle

__all__ = ["VehicleHistory", "history_download", "history_pdf", "history_xlsx", "vehicle_history"]


def history_download(vehicle: Vehicle, kind: str) -> Download:
    """The history of ``vehicle`` as ``pdf`` or ``xlsx``."""
    report = vehicle_history(vehicle)
    if kind == "pdf":
        return Download(history_pdf(report), PDF, history_filename(report, "pdf"))
    return Download(history_xlsx(report), XLSX, history_filename(report, "xlsx"))
