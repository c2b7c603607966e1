"""The vehicle history as XLSX: one sheet per section of ``history_data``, with a cost chart."""

import io
from datetime import date, datetime

import xlsxwriter

from fleetmaint.reports.costs import money_format
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
from fleetmaint.reports.sheet_text import WORKBOOK_OPTIONS, plain


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
