"""Reading an uploaded file into rows of text, and the values in its cells.

A CSV file (UTF-8 with or without a byte-order mark, comma or semicolon) or
the first sheet of an XLSX workbook becomes the same ``Table`` of strings, so
every kind of import reads its cells one way. A workbook's date cells become
ISO dates here; a date that reached a CSV file as Excel's day number is read
by ``parse_moment``.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fleetmaint.errors import ValidationFailed
from fleetmaint.reports.sheet_text import FORMULA_STARTS, WORKBOOK_OPTIONS

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_UNPACKED_BYTES = 500 * 1024 * 1024
MAX_ROWS = 1_000_000
MAX_COLUMNS = 200
XLSX_TYPES = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",)

_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Excel counts days from 1899-12-30; 20000 to 80000 is 1954 to 2119, so a plain
# odometer-like number is never taken for a date by accident in a date column.
_EXCEL_SERIAL = re.compile(r"^\d{5}(\.\d+)?$")
_EXCEL_EPOCH = datetime(1899, 12, 30)


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]  # without the header; row numbers count the header as row 1

    @property
    def filled(self) -> int:
        """The rows that hold anything: blank ones are skipped, their numbers kept."""
        return sum(not is_blank(row) for row in self.rows)


# --- files ----------------------------------------------------------------------------


def is_xlsx(name: str, data: bytes) -> bool:
    """A workbook by its name or, sent without one, by its ZIP signature."""
    return name.lower().endswith(".xlsx") or (not name and data[:4] == b"PK\x03\x04")


def check_upload_size(size: int) -> None:
    """Refuses a file over the limit; the page asks before it reads the file at all."""
    if size > MAX_UPLOAD_BYTES:
        raise ValidationFailed(
            "The file is larger than 50 MB: split it into several files.", field="file"
        )


def read_upload(name: str, data: bytes) -> Table:
    """The file's table: an XLSX workbook by its name, else CSV text."""
    check_upload_size(len(data))
    if name.lower().endswith(".xls"):
        raise ValidationFailed(
            "Old Excel workbooks (.xls) cannot be read: save the sheet as .xlsx or CSV.",
            field="file",
        )
    table = read_xlsx(data) if is_xlsx(name, data) else read_csv(data)
    if all(is_blank(row) for row in table.rows):
        raise ValidationFailed("The file has a header but no rows.", field="file")
    return table


def read_csv(data: bytes | str, *, delimiter: str | None = None) -> Table:
    """A CSV file's header and rows: UTF-8 with or without BOM, comma or semicolon.

    Without ``delimiter``, the header line says which: whichever of the two it
    holds more of. Blank lines stay in place, so that row numbers are the
    file's own; the import skips them.
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed(
                "The file is not UTF-8 text: save it as CSV (UTF-8).", field="file"
            ) from None
    else:
        text = data.removeprefix("\ufeff")
    if "\x00" in text:
        raise ValidationFailed("The file is not a CSV file.", field="file")
    if delimiter is None:
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
        rows = list(reader)
    except StopIteration:
        raise ValidationFailed("The file is empty.", field="file") from None
    except csv.Error as error:
        raise ValidationFailed(f"The file cannot be read as CSV: {error}.", field="file") from None
    return _table(header, rows)


def _table(header: list[str], rows: list[list[str]]) -> Table:
    """The header's names checked (each column named once), trailing blank rows dropped."""
    names = [name.strip() for name in header]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise ValidationFailed("The first row must name the columns.", field="file")
    for position, name in enumerate(names, start=1):
        if not name:
            raise ValidationFailed(
                f"Column {position} has no name in the first row: name it, or delete it.",
                field="file",
            )
        if names.count(name) > 1:
            raise ValidationFailed(
                f"Two columns are named {name!r}: rename one, so that each can be chosen.",
                field="file",
            )
    while rows and is_blank(rows[-1]):
        rows.pop()
    return Table(header=names, rows=rows)


def is_blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def read_xlsx(data: bytes) -> Table:
    """The first sheet of a workbook, each cell as the text a CSV export would hold.

    A workbook is a zip of XML: its unpacked size, its columns and its rows are
    bounded before and while it is read, so a small file cannot claim gigabytes.
    """
    from openpyxl import load_workbook

    _check_unpacked_size(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises whatever its zip and XML readers raise
        raise ValidationFailed("The file is not an XLSX workbook.", field="file") from None
    try:
        if not book.worksheets:
            raise ValidationFailed("The workbook has no sheet.", field="file")
        sheet = book.worksheets[0]
        # The size a sheet claims for itself is not trusted: it could claim 16,384 columns.
        sheet.reset_dimensions()
        lines = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
        header = [cell_text(value) for value in next(lines, ())]
        rows: list[list[str]] = []
        for values in lines:
            if len(rows) >= MAX_ROWS:
                raise ValidationFailed(
                    f"The sheet has more than {MAX_ROWS:,} rows: split it into several files.",
                    field="file",
                )
            rows.append([cell_text(value) for value in values])
    except ValidationFailed:
        raise
    except Exception:
        raise ValidationFailed(
            "The workbook cannot be read: it may be damaged. Save it again, or as CSV.",
            field="file",
        ) from None
    finally:
        book.close()
    if any("\x00" in cell for row in [header, *rows] for cell in row):
        raise ValidationFailed(
            "The workbook holds characters that cannot be imported.", field="file"
        )
    table = _table(header, rows)
    table.rows = _trimmed(table.rows, len(table.header))
    return table


def _check_unpacked_size(data: bytes) -> None:
    """Refuses a workbook whose parts unpack to more than a few times the upload limit."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ValidationFailed("The file is not an XLSX workbook.", field="file") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise ValidationFailed(
            "The workbook unpacks to more than 500 MB: split it into several files.",
            field="file",
        )


def _trimmed(rows: list[list[str]], width: int) -> list[list[str]]:
    """Rows cut to the header's width, keeping cells beyond it only where they hold text."""
    return [row if any(row[width:]) else row[:width] for row in rows]


def cell_text(value: object) -> str:
    """A workbook cell as text: dates in ISO 8601, whole numbers without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def table_csv(table: Table) -> str:
    """The table as CSV text: how an upload keeps a workbook between its steps."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.header)
    writer.writerows(table.rows)
    return out.getvalue()


# --- cells a spreadsheet will not run ---------------------------------------------------


def _formula_like(text: str) -> bool:
    """Text a spreadsheet would run, behind any number of leading apostrophes."""
    return text.lstrip("'").startswith(FORMULA_STARTS)


def sheet_cell(text: str) -> str:
    """A cell for an export: text a spreadsheet would run as a formula gets an apostrophe.

    The reports' rule (``reports.sheet_text``), extended to text that starts
    with apostrophes before such a sign, so that ``file_cell`` undoes it exactly
    and an export imported again gives the same values.
    """
    return "'" + text if _formula_like(text) and text else text


def file_cell(text: str) -> str:
    """A cell as imported: the apostrophe an export (or a spreadsheet) put before a formula sign
    is taken off again."""
    return text[1:] if text.startswith("'") and _formula_like(text) else text


def xlsx_file(rows: Iterable[list[str]]):
    """The rows as an XLSX workbook in a temporary file, every cell a text cell.

    Text cells keep every value exactly as the CSV export does (times with
    their offset to the microsecond, keys with leading zeros), so the workbook
    imports again without change. Rows are flushed as they are written.
    """
    import tempfile

    import xlsxwriter

    # Handed to the response, which closes it once sent: no ``with`` here.
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    book = xlsxwriter.Workbook(out, {"constant_memory": True, **WORKBOOK_OPTIONS})
    sheet = book.add_worksheet("Export")
    bold = book.add_format({"bold": True})
    try:
        for number, row in enumerate(rows):
            for column, text in enumerate(row):
                # XlsxWriter answers past a sheet's limits instead of raising.
                if sheet.write_string(number, column, text, bold if number == 0 else None):
                    raise ValidationFailed(_too_big_for_a_sheet(number, text), field="format")
    finally:
        book.close()
    out.seek(0)
    return out


def _too_big_for_a_sheet(number: int, text: str) -> str:
    if len(text) > 32_767:
        return (
            f"Row {number + 1} holds a text longer than a spreadsheet cell takes "
            "(32,767 characters): export as CSV."
        )
    return "There are more rows than a spreadsheet takes (1,048,576): export as CSV."


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list[str]]) -> Iterator[str]:
    """Rows as CSV lines, one at a time: what an export streams."""
    writer = csv.writer(_Echo())
    return (writer.writerow(row) for row in rows)


def rejected_csv(header: list[str], refused: Iterable[dict]) -> str:
    """The refused rows as they came, with the row number and the reason added."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", *(sheet_cell(name) for name in header), "reason"])
    for item in refused:
        cells = list(item["cells"]) + [""] * (len(header) - len(item["cells"]))
        cells = [sheet_cell(cell) for cell in cells[: len(header)]]
        writer.writerow([item["row"], *cells, sheet_cell(item["reason"])])
    return out.getvalue()


# --- values -------------------------------------------------------------------------


def parse_moment(value: str, zone: ZoneInfo, *, field: str) -> datetime:
    """ISO 8601, ``YYYY-MM-DD HH:MM``, ``YYYY-MM-DD``, ``DD.MM.YYYY [HH:MM]`` or an Excel day.

    A time without an offset is in the organization's time zone.
    """
    text = value.strip()
    moment: datetime | None = None
    try:
        moment = datetime.fromisoformat(text) if _DATE.match(text) else parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None and (dotted := _DOTTED.match(text)):
        day, month, year, hour, minute, second = dotted.groups()
        try:
            moment = datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
            )
        except ValueError:
            moment = None
    if moment is None and _EXCEL_SERIAL.match(text) and 20_000 <= float(text) <= 80_000:
        moment = _EXCEL_EPOCH + timedelta(days=float(text))
        moment = moment.replace(microsecond=0)
    if moment is None:
        raise ValidationFailed(
            f"Cannot read the date {text!r}: use YYYY-MM-DD HH:MM, DD.MM.YYYY or ISO 8601.",
            field=field,
        )
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=zone)
    return moment


_THOUSANDS_COMMA = re.compile(r"^[+-]?\d{1,3}(,\d{3})+$")


def number_text(value: str) -> str:
    """A number as Python reads it: spaces gone, a decimal comma made a point.

    ``1,250`` could be a thousand and more or one and a quarter; rather than
    guess, it is refused, asking for the number without a separator.
    """
    text = value.strip().replace("\u00a0", "").replace(" ", "")
    if _THOUSANDS_COMMA.match(text):
        raise ValidationFailed(
            f"Cannot tell whether the comma in {text!r} separates thousands or decimals: "
            f"write {text.replace(',', '')} or {text.replace(',', '.', 1)}.",
            field="number",
        )
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    return text


def parse_money(value: str, *, field: str) -> Decimal:
    """An amount of money: not negative, at most two decimals; empty is zero."""
    text = number_text(value)
    if not text:
        return Decimal("0.00")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationFailed(f"The {field} must be a number.", field=field) from None
    if not amount.is_finite():
        raise ValidationFailed(f"The {field} must be a number.", field=field)
    if amount < 0:
        raise ValidationFailed(f"The {field} cannot be negative.", field=field)
    if amount >= Decimal("1e12"):
        raise ValidationFailed(f"The {field} is too large.", field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed(f"The {field} has more than two decimals.", field=field)
    return amount.quantize(Decimal("0.01"))


_TRUE = {"1", "true", "yes", "y", "x", "ja", "oui", "si"}
_FALSE = {"", "0", "false", "no", "n", "nein", "non"}


def parse_flag(value: str, *, field: str) -> bool:
    """Yes or no as spreadsheets write it: yes/no, true/false, 1/0, x or empty."""
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationFailed(f"The {field} must be yes or no.", field=field)
