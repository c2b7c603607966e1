"""The vehicle history as PDF: the sections of ``history_data`` laid out on landscape pages."""

import io
from datetime import date
from decimal import Decimal

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

from fleetmaint.reports.cost_queries import MonthCost
from fleetmaint.reports.history_data import (
    DATE,
    DATETIME,
    INT,
    MONEY,
    MONTH,
    NUMBER,
    PERCENT,
    TEXT,
    Section,
    VehicleHistory,
)


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
        # No amount is a dash: "0.00 EUR" beside a task reads as a price (the sheets keep 0).
        return f"{Decimal(value):,.2f} {currency}" if value else "—"
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
