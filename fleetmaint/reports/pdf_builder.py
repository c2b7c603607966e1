"""The service works report as a PDF, in memory that does not grow with its length.

ReportLab lays the report out as usual (a title, the filters, tables of rows
with a header repeated on every page, group headings and subtotals), but in
parts: a part is a document that stops at the end of its
:data:`PART_PAGES`-th page, and the next part takes up the flow where it
stopped (the rest of a table that was split at that page end included), so
the pages read exactly as one document would. Each finished part is copied
into the output by :class:`fleetmaint.reports.pdf_join.PdfJoin` and
forgotten; page numbers run on across parts.
"""

import os
import tempfile
from collections.abc import Iterator
from datetime import datetime

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

from fleetmaint.reports.task_rows import (
    COMPLETED,
    COST,
    DESCRIPTION,
    ID,
    PREDICTED,
    STATUS,
    STATUS_LABEL,
    UNPLANNED,
    VEHICLE,
    WEAR,
)

COLUMN_WIDTHS = (8, 22, 40, 11, 10, 8, 14, 12, 14)
CHUNK_ROWS = 500
PART_PAGES = 100
STATUS_COLOURS = {
    "created": colors.HexColor("#64748b"),
    "notified": colors.HexColor("#b45309"),
    "expired": colors.HexColor("#b91c1c"),
    "done": colors.HexColor("#15803d"),
}

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


def when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzname()} ({moment.tzinfo})"


def _money(value, currency: str) -> str:
    return f"{value:,.2f} {currency}"


def _cost(value, currency: str) -> str:
    """A task's cost, or a dash when it has none: "0.00 EUR" reads as a price."""
    return _money(value, currency) if value else "—"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Flowables(list):
    """A list ReportLab's build loop pulls from, topped up lazily from a generator.

    ``doc.build`` takes flowables off the front of a list; feeding it this way
    keeps only the next few tables in memory instead of the whole report.
    While paused (a part has its pages) it looks empty, so the build ends
    there; what is left (a table's unfinished rest) stays for the next part.
    """

    def __init__(self, source: Iterator):
        super().__init__()
        self._source = source
        self.paused = False

    def __len__(self) -> int:
        if self.paused:
            return 0
        while super().__len__() < 3 and self._source is not None:
            try:
                self.append(next(self._source))
            except StopIteration:
                self._source = None
        return super().__len__()


class _Part(SimpleDocTemplate):
    """One part of the report: pauses the flow once its last page has ended."""

    def __init__(self, out, *, flow: _Flowables, first_page: int, **options):
        super().__init__(out, **options)
        self.flow = flow
        self.first_page = first_page

    @property
    def page_number(self) -> int:
        """The page's number in the whole report."""
        return self.first_page + self.page

    def handle_pageEnd(self) -> None:
        super().handle_pageEnd()
        if self.page >= PART_PAGES:
            self.flow.paused = True


class _Layout:
    """Page size, styles and table builders shared by every part."""

    def __init__(self, report):
        self.report = report
        self.regular, self.bold = _fonts()
        self.size = landscape(letter if report.request.paper == "letter" else A4)
        styles = getSampleStyleSheet()
        self.title = ParagraphStyle(
            "title", parent=styles["Title"], fontName=self.bold, alignment=0
        )
        self.body = ParagraphStyle(
            "body", parent=styles["BodyText"], fontName=self.regular, fontSize=9
        )
        self.heading = ParagraphStyle(
            "heading", parent=styles["Heading2"], fontName=self.bold, spaceBefore=10
        )
        width = self.size[0] - 30 * mm
        self.col_widths = [w / sum(COLUMN_WIDTHS) * width for w in COLUMN_WIDTHS]
        self.base_style = [
            ("FONTNAME", (0, 0), (-1, -1), self.regular),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("FONTNAME", (0, 0), (-1, 0), self.bold),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e2e8f0")),
            ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
            ("ALIGN", (0, 0), (0, -1), "RIGHT"),
            ("ALIGN", (5, 0), (5, -1), "RIGHT"),
            ("ALIGN", (8, 0), (8, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]

    def table(self, rows: list[tuple], total: tuple[str, object] | None) -> Table:
        currency = self.report.currency
        data = [list(self.report.columns)]
        style = list(self.base_style)
        for n, row in enumerate(rows, start=1):
            data.append(
                [
                    str(row[ID]),
                    _clip(row[VEHICLE], 24),
                    _clip(row[DESCRIPTION], 48),
                    row[STATUS_LABEL],
                    "Yes" if row[UNPLANNED] else "",
                    f"{row[WEAR]}%",
                    row[PREDICTED].isoformat() if row[PREDICTED] else "—",
                    row[COMPLETED].isoformat() if row[COMPLETED] else "",
                    _cost(row[COST], currency),
                ]
            )
            style += [
                ("BACKGROUND", (3, n), (3, n), STATUS_COLOURS.get(row[STATUS], colors.grey)),
                ("TEXTCOLOR", (3, n), (3, n), colors.white),
            ]
            if n % 2 == 0:
                style.append(("BACKGROUND", (4, n), (-1, n), colors.HexColor("#f8fafc")))
        if total is not None:
            label, amount = total
            data.append(["", "", label, "", "", "", "", "", _money(amount, currency)])
            style += [
                ("FONTNAME", (0, -1), (-1, -1), self.bold),
                ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.black),
            ]
        return Table(data, colWidths=self.col_widths, repeatRows=1, style=TableStyle(style))

    def grand_total(self) -> Table:
        report = self.report
        total = f"Total ({report.count} tasks)"
        return Table(
            [["", "", total, "", "", "", "", "", _money(report.cost, report.currency)]],
            colWidths=self.col_widths,
            style=TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), self.bold),
                    ("FONTSIZE", (0, 0), (-1, -1), 9),
                    ("ALIGN", (8, 0), (8, 0), "RIGHT"),
                    ("LINEABOVE", (0, 0), (-1, 0), 1, colors.black),
                ]
            ),
        )

    def flowables(self) -> Iterator:
        report = self.report
        yield Paragraph(f"{report.title} — {_escape(report.org.name)}", self.title)
        yield Paragraph(f"Generated {when(report.generated_at)}", self.body)
        for name, value in report.filters_text:
            # "Sorted by predicted date, earliest first" reads as a sentence; "Status: All" not.
            colon = "" if name.endswith(" by") else ":"
            yield Paragraph(f"<b>{_escape(name)}{colon}</b> {_escape(str(value))}", self.body)
        yield Spacer(1, 4 * mm)
        for group in report.groups():
            if group.title is not None:
                # A heading never ends a page: it starts the next one when little room is left.
                yield CondPageBreak(40 * mm)
                yield Paragraph(_escape(group.title), self.heading)
            chunk: list = []
            for row in group:
                chunk.append(row)
                if len(chunk) == CHUNK_ROWS:
                    yield self.table(chunk, None)
                    chunk = []
            if group.title is not None:
                subtotal = f"Subtotal {group.title} ({group.count} tasks)"
                yield self.table(chunk, (subtotal, group.cost))
            elif chunk:
                yield self.table(chunk, None)
        yield Spacer(1, 4 * mm)
        yield self.grand_total()

    def footer(self, canvas, doc: _Part) -> None:
        canvas.saveState()
        canvas.setFont(self.regular, 8)
        canvas.drawString(15 * mm, 8 * mm, f"{self.report.org.name} · {self.report.title}")
        canvas.drawRightString(self.size[0] - 15 * mm, 8 * mm, f"Page {doc.page_number}")
        canvas.restoreState()


def build_pdf(report, out) -> None:
    """Writes the report to ``out`` part by part; see the module's description."""
    from fleetmaint.reports.pdf_join import PdfJoin  # pypdf is only needed here

    layout = _Layout(report)
    flow = _Flowables(layout.flowables())
    join = PdfJoin(out)
    pages = 0
    while True:
        flow.paused = False
        if pages and not len(flow):
            break
        with tempfile.TemporaryFile() as part:
            doc = _Part(
                part,
                flow=flow,
                first_page=pages,
                pagesize=layout.size,
                leftMargin=15 * mm,
                rightMargin=15 * mm,
                topMargin=12 * mm,
                bottomMargin=15 * mm,
                title=f"{report.title} · {report.org.name}",
                author=report.org.name,
            )
            doc.build(flow, onFirstPage=layout.footer, onLaterPages=layout.footer)
            part.seek(0)
            pages += join.add(part)
    join.close()
