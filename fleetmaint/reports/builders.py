"""Report files: one small builder per format, each streaming the rows it is handed.

A builder takes a :class:`fleetmaint.reports.task_report.Report` (what the
report is about, and its groups as an iterator of rows) and a binary file,
reads every group once, in order, and writes the file. It keeps no more than
a chunk of rows in memory where the format allows it: XlsxWriter in
``constant_memory`` mode, xlwt with its rows flushed, CSV row by row, and
ReportLab fed its tables one chunk at a time. Group and grand totals are
added up by the report as its rows are read; the builders only lay them out.
"""

import csv
import io
import os
from collections.abc import Callable, Iterator
from datetime import datetime

import xlsxwriter
import xlwt
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape, letter
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    CondPageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from fleetmaint.errors import ValidationFailed
from fleetmaint.reports.csv_cells import csv_cell

# The last row an XLS sheet has (65,536 rows, one of them the header).
XLS_MAX_ROWS = 65_535
COLUMN_WIDTHS = (8, 22, 40, 11, 10, 8, 14, 12, 14)
DATE_FORMAT = "yyyy-mm-dd"
PDF_CHUNK_ROWS = 500
STATUS_COLOURS = {
    "created": colors.HexColor("#64748b"),
    "notified": colors.HexColor("#b45309"),
    "expired": colors.HexColor("#b91c1c"),
    "done": colors.HexColor("#15803d"),
}


def xls_too_many(rows: int) -> str:
    return (
        f"An XLS sheet holds at most {XLS_MAX_ROWS:,} rows and this report needs {rows:,}. "
        "Choose XLSX (or CSV) for a report this large, or narrow the filters."
    )


def currency_format(currency: str) -> str:
    return f'#,##0.00 "{currency}"'


def _values(row) -> list:
    return [
        row.id,
        row.vehicle,
        row.description,
        row.status_label,
        "Yes" if row.unplanned else "No",
        row.wear,
        row.predicted_date,
        row.completion_date,
        row.cost,
    ]


# --- XLSX -------------------------------------------------------------------------------


def build_xlsx(report, out) -> None:
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True})
    workbook.set_properties(
        {
            "title": f"{report.title} · {report.org.name}",
            "company": report.org.name,
            "created": report.generated_at.replace(tzinfo=None),
            "comments": "; ".join(f"{k}: {v}" for k, v in report.filters_text),
        }
    )
    header = workbook.add_format({"bold": True, "bg_color": "#e2e8f0", "bottom": 1})
    date = workbook.add_format({"num_format": DATE_FORMAT})
    money = workbook.add_format({"num_format": currency_format(report.currency)})
    heading = workbook.add_format({"bold": True, "bg_color": "#f1f5f9"})
    subtotal = workbook.add_format({"bold": True, "top": 1})
    subtotal_money = workbook.add_format(
        {"bold": True, "top": 1, "num_format": currency_format(report.currency)}
    )
    sheet = workbook.add_worksheet("Service works")
    for col, width in enumerate(COLUMN_WIDTHS):
        sheet.set_column(col, col, width)
    sheet.write_row(0, 0, report.columns, header)
    sheet.freeze_panes(1, 0)
    last_col = len(report.columns) - 1
    r = 1
    for group in report.groups():
        if group.title is not None:
            sheet.write_string(r, 0, group.title, heading)
            for col in range(1, last_col + 1):
                sheet.write_blank(r, col, None, heading)
            r += 1
        for row in group:
            sheet.write_number(r, 0, row.id)
            sheet.write_string(r, 1, row.vehicle)
            sheet.write_string(r, 2, row.description)
            sheet.write_string(r, 3, row.status_label)
            sheet.write_string(r, 4, "Yes" if row.unplanned else "No")
            sheet.write_number(r, 5, row.wear)
            if row.predicted_date:
                sheet.write_datetime(r, 6, row.predicted_date, date)
            if row.completion_date:
                sheet.write_datetime(r, 7, row.completion_date, date)
            sheet.write_number(r, 8, float(row.cost), money)
            r += 1
        if group.title is not None:
            sheet.write_string(r, 2, f"Subtotal {group.title} ({group.count} tasks)", subtotal)
            sheet.write_number(r, 8, float(group.cost), subtotal_money)
            r += 1
    sheet.write_string(r, 2, f"Total ({report.count} tasks)", subtotal)
    sheet.write_number(r, 8, float(report.cost), subtotal_money)
    sheet.autofilter(0, 0, max(r - 1, 1), last_col)
    _about_sheet(workbook, report, header)
    workbook.close()


def _about_sheet(workbook, report, bold) -> None:
    about = workbook.add_worksheet("About")
    about.set_column(0, 0, 18)
    about.set_column(1, 1, 60)
    lines = [
        ("Report", report.title),
        ("Organization", report.org.name),
        ("Generated", _when(report.generated_at)),
        *report.filters_text,
    ]
    for r, (name, value) in enumerate(lines):
        about.write_string(r, 0, name, bold)
        about.write_string(r, 1, str(value))


# --- XLS --------------------------------------------------------------------------------


def build_xls(report, out) -> None:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Service works")
    header = xlwt.easyxf("font: bold on; pattern: pattern solid, fore_colour gray25")
    date = xlwt.easyxf(num_format_str=DATE_FORMAT)
    money = xlwt.easyxf(num_format_str=currency_format(report.currency))
    bold = xlwt.easyxf("font: bold on")
    bold_money = xlwt.easyxf("font: bold on", num_format_str=currency_format(report.currency))
    for col, width in enumerate(COLUMN_WIDTHS):
        sheet.col(col).width = 256 * width
    for col, name in enumerate(report.columns):
        sheet.write(0, col, name, header)
    sheet.set_panes_frozen(True)
    sheet.set_horz_split_pos(1)
    sheet.set_remove_splits(True)
    r = 1

    def next_row() -> int:
        nonlocal r
        if r > XLS_MAX_ROWS:
            raise ValidationFailed(xls_too_many(r), field="format")
        r += 1
        if r % 1000 == 0:
            sheet.flush_row_data()
        return r - 1

    for group in report.groups():
        if group.title is not None:
            sheet.write(next_row(), 0, group.title, bold)
        for row in group:
            at = next_row()
            for col, value in enumerate(_values(row)):
                if value is None:
                    continue
                if col in (6, 7):
                    sheet.write(at, col, value, date)
                elif col == 8:
                    sheet.write(at, col, float(value), money)
                else:
                    sheet.write(at, col, value)
        if group.title is not None:
            at = next_row()
            sheet.write(at, 2, f"Subtotal {group.title} ({group.count} tasks)", bold)
            sheet.write(at, 8, float(group.cost), bold_money)
    at = next_row()
    sheet.write(at, 2, f"Total ({report.count} tasks)", bold)
    sheet.write(at, 8, float(report.cost), bold_money)
    book.save(out)


# --- CSV --------------------------------------------------------------------------------


def build_csv(report, out) -> None:
    """One header row, then one row per task; grouped reports say the group in a first column."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text)
    columns = list(report.columns)
    if report.grouped:
        columns.insert(0, "Group")
    writer.writerow(columns)
    for group in report.groups():
        for row in group:
            values = [
                ""
                if value is None
                else value.isoformat()
                if hasattr(value, "isoformat")
                else csv_cell(value)
                for value in _values(row)
            ]
            if report.grouped:
                values.insert(0, csv_cell(group.title))
            writer.writerow(values)
    text.flush()
    text.detach()


# --- PDF --------------------------------------------------------------------------------

_FONTS = ("Helvetica", "Helvetica-Bold")
_DEJAVU = "/usr/share/fonts/truetype/dejavu"


def _fonts() -> tuple[str, str]:
    """DejaVu Sans where the system has it (every script), else the built-in Helvetica."""
    global _FONTS
    if _FONTS[0] == "Helvetica" and os.path.exists(f"{_DEJAVU}/DejaVuSans.ttf"):
        try:
            pdfmetrics.registerFont(TTFont("DejaVuSans", f"{_DEJAVU}/DejaVuSans.ttf"))
            pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", f"{_DEJAVU}/DejaVuSans-Bold.ttf"))
            _FONTS = ("DejaVuSans", "DejaVuSans-Bold")
        except Exception:  # a broken font file: the built-in one will do
            pass
    return _FONTS


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzname()} ({moment.tzinfo})"


def _money(value, currency: str) -> str:
    return f"{value:,.2f} {currency}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Flowables(list):
    """A list ReportLab's build loop pulls from, topped up lazily from a generator.

    ``doc.build`` takes flowables off the front of a list; feeding it this way
    keeps only the next few tables in memory instead of the whole report.
    """

    def __init__(self, source: Iterator):
        super().__init__()
        self._source = source

    def __len__(self) -> int:
        while super().__len__() < 3 and self._source is not None:
            try:
                self.append(next(self._source))
            except StopIteration:
                self._source = None
        return super().__len__()


def build_pdf(report, out) -> None:
    regular, bold = _fonts()
    size = landscape(letter if report.request.paper == "letter" else A4)
    styles = getSampleStyleSheet()
    title = ParagraphStyle("title", parent=styles["Title"], fontName=bold, alignment=0)
    body = ParagraphStyle("body", parent=styles["BodyText"], fontName=regular, fontSize=9)
    heading = ParagraphStyle("heading", parent=styles["Heading2"], fontName=bold, spaceBefore=10)
    width = size[0] - 30 * mm
    col_widths = [w / sum(COLUMN_WIDTHS) * width for w in COLUMN_WIDTHS]
    base_style = [
        ("FONTNAME", (0, 0), (-1, -1), regular),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("FONTNAME", (0, 0), (-1, 0), bold),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e2e8f0")),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
        ("ALIGN", (0, 0), (0, -1), "RIGHT"),
        ("ALIGN", (5, 0), (5, -1), "RIGHT"),
        ("ALIGN", (8, 0), (8, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    currency = report.currency

    def table(rows: list, total: tuple[str, object] | None) -> Table:
        data = [list(report.columns)]
        style = list(base_style)
        for n, row in enumerate(rows, start=1):
            data.append(
                [
                    str(row.id),
                    _clip(row.vehicle, 24),
                    _clip(row.description, 48),
                    row.status_label,
                    "Yes" if row.unplanned else "",
                    f"{row.wear}%",
                    row.predicted_date.isoformat() if row.predicted_date else "—",
                    row.completion_date.isoformat() if row.completion_date else "",
                    _money(row.cost, currency),
                ]
            )
            style += [
                ("BACKGROUND", (3, n), (3, n), STATUS_COLOURS.get(row.status, colors.grey)),
                ("TEXTCOLOR", (3, n), (3, n), colors.white),
            ]
            if n % 2 == 0:
                style.append(("BACKGROUND", (4, n), (-1, n), colors.HexColor("#f8fafc")))
        if total is not None:
            label, amount = total
            data.append(["", "", label, "", "", "", "", "", _money(amount, currency)])
            style += [
                ("FONTNAME", (0, -1), (-1, -1), bold),
                ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.black),
            ]
        return Table(data, colWidths=col_widths, repeatRows=1, style=TableStyle(style))

    def flowables() -> Iterator:
        yield Paragraph(f"{report.title} — {_escape(report.org.name)}", title)
        yield Paragraph(f"Generated {_when(report.generated_at)}", body)
        for name, value in report.filters_text:
            yield Paragraph(f"<b>{_escape(name)}:</b> {_escape(str(value))}", body)
        yield Spacer(1, 4 * mm)
        for group in report.groups():
            if group.title is not None:
                # A heading never ends a page: it starts the next one when little room is left.
                yield CondPageBreak(40 * mm)
                yield Paragraph(_escape(group.title), heading)
            chunk: list = []
            for row in group:
                chunk.append(row)
                if len(chunk) == PDF_CHUNK_ROWS:
                    yield table(chunk, None)
                    chunk = []
            if group.title is not None:
                yield table(chunk, (f"Subtotal {group.title} ({group.count} tasks)", group.cost))
            elif chunk:
                yield table(chunk, None)
        yield Spacer(1, 4 * mm)
        total = f"Total ({report.count} tasks)"
        yield Table(
            [["", "", total, "", "", "", "", "", _money(report.cost, currency)]],
            colWidths=col_widths,
            style=TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), bold),
                    ("FONTSIZE", (0, 0), (-1, -1), 9),
                    ("ALIGN", (8, 0), (8, 0), "RIGHT"),
                    ("LINEABOVE", (0, 0), (-1, 0), 1, colors.black),
                ]
            ),
        )

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(regular, 8)
        canvas.drawString(15 * mm, 8 * mm, f"{report.org.name} · {report.title}")
        canvas.drawRightString(size[0] - 15 * mm, 8 * mm, f"Page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        out,
        pagesize=size,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=12 * mm,
        bottomMargin=15 * mm,
        title=f"{report.title} · {report.org.name}",
        author=report.org.name,
    )
    doc.build(_Flowables(flowables()), onFirstPage=footer, onLaterPages=footer)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


BUILDERS: dict[str, Callable] = {
    "pdf": build_pdf,
    "xlsx": build_xlsx,
    "xls": build_xls,
    "csv": build_csv,
}
