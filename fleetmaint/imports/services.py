"""Reading meter readings from a CSV file and storing them through the readings' own bulk path.

Parsing (delimiter, dates, numbers) and finding vehicles happen here; every
rule about a reading (a decreasing odometer, an implausible jump, engine hours
on a vehicle that does not track them) is ``vehicles.readings``' own, run by
``readings_bulk_record`` chunk by chunk. A preview runs the very same path in a
transaction that is rolled back.
"""

import csv
import io
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fleetmaint.accounts.models import Organization
from fleetmaint.errors import ValidationFailed
from fleetmaint.imports.models import ImportMapping, ReadingUpload, UploadStatus
from fleetmaint.vehicles.inputs import reading_engine_hours, reading_odometer
from fleetmaint.vehicles.models import Reading, ReadingSource, Vehicle
from fleetmaint.vehicles.readings import (
    BULK_READINGS_LIMIT,
    BulkItem,
    ReadingInput,
    readings_bulk_record,
)

log = logging.getLogger(__name__)

# The fields a column may fill, in the order the export writes them.
FIELDS = {
    "vehicle_key": "Vehicle key",
    "vin": "VIN",
    "plate": "Plate",
    "odometer": "Odometer",
    "engine_hours": "Engine hours",
    "taken_at": "Taken at",
    "note": "Note",
}
VEHICLE_FIELDS = ("vehicle_key", "vin", "plate")
EXPORT_COLUMNS = ("vehicle_key", "odometer", "engine_hours", "taken_at", "note")
# Other header names read as a field when no mapping is given.
ALIASES = {"recorded_at": "taken_at", "vehicle": "vehicle_key", "hours": "engine_hours"}
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
UPLOAD_LIFETIME = timedelta(days=1)
PREVIEW_ROWS = 50

_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- reading the file ---------------------------------------------------------------


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]  # without the header; row numbers count the header as row 1


def read_csv(data: bytes | str) -> Table:
    """A CSV file's header and rows: UTF-8 with or without BOM, comma or semicolon."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed("The file is not UTF-8 text.", field="file") from None
    else:
        text = data.removeprefix("\ufeff")
    if "\x00" in text:
        raise ValidationFailed("The file is not a CSV file.", field="file")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise ValidationFailed("The file is empty.", field="file") from None
    except csv.Error as error:
        raise ValidationFailed(f"The file cannot be read as CSV: {error}.", field="file") from None
    try:
        rows = [row for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as error:
        raise ValidationFailed(f"The file cannot be read as CSV: {error}.", field="file") from None
    return Table(header=header, rows=rows)


def guess_mapping(header: list[str], last: dict[str, str] | None = None) -> dict[str, str]:
    """Field → column: the organization's last mapping where its columns are here, else names."""
    mapping: dict[str, str] = {}
    for name, column in (last or {}).items():
        if name in FIELDS and column in header:
            mapping[name] = column
    for column in header:
        name = column.strip().lower().replace(" ", "_")
        name = ALIASES.get(name, name)
        if name in FIELDS and name not in mapping:
            mapping[name] = column
    return mapping


def parse_mapping(text: str) -> dict[str, str]:
    """A mapping sent as ``field=Column,field=Column``."""
    mapping: dict[str, str] = {}
    for pair in text.split(","):
        if not pair.strip():
            continue
        name, sep, column = pair.partition("=")
        name = name.strip()
        if not sep or name not in FIELDS:
            raise ValidationFailed(
                f"The mapping names an unknown field: {name!r}. Fields are "
                + ", ".join(FIELDS)
                + ".",
                field="mapping",
            )
        mapping[name] = column.strip()
    return mapping


def check_mapping(header: list[str], mapping: dict[str, str]) -> dict[str, int]:
    """Field → column index, or a clear refusal."""
    columns: dict[str, int] = {}
    for name, column in mapping.items():
        if not column:
            continue
        if name not in FIELDS:
            raise ValidationFailed(f"Unknown field {name!r}.", field="mapping")
        if column not in header:
            raise ValidationFailed(f"The file has no column {column!r}.", field="mapping")
        columns[name] = header.index(column)
    if sum(name in columns for name in VEHICLE_FIELDS) != 1:
        raise ValidationFailed(
            "Choose one column naming the vehicle: its key, VIN or plate.", field="mapping"
        )
    if "taken_at" not in columns:
        raise ValidationFailed(
            "Choose the column saying when a reading was taken.", field="mapping"
        )
    if "odometer" not in columns and "engine_hours" not in columns:
        raise ValidationFailed(
            "Choose a column for the odometer, the engine hours, or both.", field="mapping"
        )
    return columns


# --- values -------------------------------------------------------------------------


def parse_taken_at(value: str, zone: ZoneInfo) -> datetime:
    """ISO 8601, ``YYYY-MM-DD HH:MM``, ``YYYY-MM-DD`` or ``DD.MM.YYYY [HH:MM]``.

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
    if moment is None:
        raise ValidationFailed(
            f"Cannot read the date {text!r}: use YYYY-MM-DD HH:MM, DD.MM.YYYY or ISO 8601.",
            field="taken_at",
        )
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=zone)
    return moment


def _number(value: str) -> str:
    # A decimal comma (as semicolon-separated files from spreadsheets write them).
    text = value.strip().replace("\u00a0", "").replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    return text


@dataclass
class ParsedRow:
    number: int  # as a spreadsheet numbers it: the header is row 1
    cells: list[str]
    vehicle: str
    reading: ReadingInput


@dataclass
class Outcome:
    imported: int = 0
    duplicates: int = 0
    refused: list[dict] = field(default_factory=list)  # {"row", "reason", "cells"}
    duplicate_rows: list[int] = field(default_factory=list)

    def as_dict(self, *, cells: bool = False) -> dict:
        return {
            "imported": self.imported,
            "duplicates": self.duplicates,
            "refused": [
                {"row": r["row"], "reason": r["reason"], **({"cells": r["cells"]} if cells else {})}
                for r in self.refused
            ],
        }


def _parse_row(number: int, cells: list[str], columns: dict[str, int], zone: ZoneInfo) -> ParsedRow:
    def cell(name: str) -> str:
        index = columns.get(name)
        if index is None or index >= len(cells):
            return ""
        return cells[index].strip()

    vehicle_field = next(name for name in VEHICLE_FIELDS if name in columns)
    vehicle = cell(vehicle_field)
    if not vehicle:
        raise ValidationFailed("No vehicle given.", field="vehicle")
    odometer = reading_odometer(_number(cell("odometer")))
    hours = reading_engine_hours(_number(cell("engine_hours")))
    if odometer is None and hours is None:
        raise ValidationFailed("Neither an odometer nor engine hours given.", field="odometer")
    taken = cell("taken_at")
    if not taken:
        raise ValidationFailed("No date given.", field="taken_at")
    reading = ReadingInput(
        odometer=odometer,
        engine_hours=hours,
        recorded_at=parse_taken_at(taken, zone),
        note=cell("note")[:255],
    )
    return ParsedRow(number=number, cells=cells, vehicle=vehicle, reading=reading)


# --- importing ----------------------------------------------------------------------


def _vehicle_ids(org: Organization, field_name: str, names: set[str]) -> dict[str, int]:
    """The organization's vehicles by the chosen column's values, in one query."""
    if not names:
        return {}
    lookup = {"vehicle_key": "vehicle_key__in", "vin": "vin__in", "plate": "plate__in"}
    rows = Vehicle.objects.filter(org=org).filter(Q(**{lookup[field_name]: sorted(names)}))
    return {value: pk for pk, value in rows.values_list("id", field_name)}


def _stored(org: Organization, rows: list[tuple[int, ParsedRow]]) -> set[tuple]:
    """(vehicle, time, odometer, hours) of the stored readings the rows could repeat, one query."""
    if not rows:
        return set()
    ids = {vehicle_id for vehicle_id, _ in rows}
    times = {row.reading.recorded_at for _, row in rows}
    found = Reading.objects.filter(
        org=org, voided_at=None, vehicle_id__in=sorted(ids), recorded_at__in=sorted(times)
    ).values_list("vehicle_id", "recorded_at", "odometer", "engine_hours")
    return set(found)


def _key(vehicle_id: int, reading: ReadingInput) -> tuple:
    return (vehicle_id, reading.recorded_at, reading.odometer, reading.engine_hours)


def _chunks(rows: list[list[str]], size: int) -> Iterator[tuple[int, list[list[str]]]]:
    for start in range(0, len(rows), size):
        yield start, rows[start : start + size]


def _import_chunk(
    org: Organization,
    start: int,
    chunk: list[list[str]],
    columns: dict[str, int],
    zone: ZoneInfo,
    seen: set[tuple],
    outcome: Outcome,
) -> None:
    parsed: list[ParsedRow] = []
    for offset, cells in enumerate(chunk):
        number = start + offset + 2
        try:
            parsed.append(_parse_row(number, cells, columns, zone))
        except ValidationFailed as error:
            outcome.refused.append({"row": number, "reason": error.message, "cells": cells})
    vehicle_field = next(name for name in VEHICLE_FIELDS if name in columns)
    ids = _vehicle_ids(org, vehicle_field, {row.vehicle for row in parsed})
    known: list[tuple[int, ParsedRow]] = []
    for row in parsed:
        vehicle_id = ids.get(row.vehicle)
        if vehicle_id is None:
            words = FIELDS[vehicle_field].lower() if vehicle_field != "vin" else "VIN"
            outcome.refused.append(
                {
                    "row": row.number,
                    "reason": f"No vehicle of this fleet has the {words} {row.vehicle!r}.",
                    "cells": row.cells,
                }
            )
        else:
            known.append((vehicle_id, row))
    stored = _stored(org, known)
    items: list[BulkItem] = []
    by_index: dict[int, ParsedRow] = {}
    for vehicle_id, row in known:
        key = _key(vehicle_id, row.reading)
        if key in stored or key in seen:
            outcome.duplicates += 1
            outcome.duplicate_rows.append(row.number)
            continue
        seen.add(key)
        by_index[row.number] = row
        items.append(
            BulkItem(index=row.number, vehicle_id=vehicle_id, vehicle_key=None, reading=row.reading)
        )
    if not items:
        return
    result = readings_bulk_record(org=org, items=items, source=ReadingSource.IMPORT)
    outcome.imported += result.created
    for error in result.errors:
        row = by_index[error["index"]]
        outcome.refused.append({"row": row.number, "reason": error["message"], "cells": row.cells})


def readings_import(
    *,
    org: Organization,
    table: Table,
    mapping: dict[str, str],
    limit: int | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> Outcome:
    """Stores the table's good rows and reports each bad one with its row number and reason.

    Rows go through ``readings_bulk_record`` in chunks of its limit: a fixed
    number of statements per chunk, whatever the rows hold. A row repeating a
    stored reading (same vehicle, time, odometer and engine hours), or an
    earlier row of the file, is skipped and counted as a duplicate.
    """
    columns = check_mapping(table.header, mapping)
    zone = ZoneInfo(org.time_zone)
    rows = table.rows if limit is None else table.rows[:limit]
    outcome = Outcome()
    seen: set[tuple] = set()
    for start, chunk in _chunks(rows, BULK_READINGS_LIMIT):
        _import_chunk(org, start, chunk, columns, zone, seen, outcome)
        if on_chunk is not None:
            on_chunk(start + len(chunk))
    outcome.refused.sort(key=lambda r: r["row"])
    return outcome


class _DryRun(Exception):
    pass


def readings_import_preview(
    *, org: Organization, table: Table, mapping: dict[str, str], rows: int = PREVIEW_ROWS
) -> Outcome:
    """What importing the first rows would do, by importing them and rolling back.

    The reading rules run exactly as they will on import; nothing stays stored
    and nothing is told.
    """
    outcome = Outcome()
    try:
        with transaction.atomic():
            outcome = readings_import(org=org, table=table, mapping=mapping, limit=rows)
            raise _DryRun
    except _DryRun:
        pass
    return outcome


def rejected_csv(header: list[str], refused: Iterable[dict]) -> str:
    """The refused rows as they came, with the row number and the reason added."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", *header, "reason"])
    for item in refused:
        cells = list(item["cells"]) + [""] * (len(header) - len(item["cells"]))
        writer.writerow([item["row"], *cells[: len(header)], item["reason"]])
    return out.getvalue()


# --- what an import keeps between its steps --------------------------------------------


def mapping_last(org: Organization) -> dict[str, str]:
    row = ImportMapping.objects.filter(org=org).first()
    return dict(row.mapping) if row else {}


def mapping_remember(*, org: Organization, mapping: dict[str, str]) -> None:
    ImportMapping.objects.update_or_create(org=org, defaults={"mapping": mapping})


def upload_create(*, org: Organization, actor, name: str, data: bytes) -> ReadingUpload:
    """Keeps an uploaded file for the next steps, after checking it reads as CSV."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationFailed("The file is larger than 50 MB.", field="file")
    if name.lower().endswith((".xlsx", ".xls")):
        raise ValidationFailed(
            "Spreadsheets are imported as CSV: save the sheet as CSV (UTF-8) and upload that.",
            field="file",
        )
    table = read_csv(data)
    text = data.decode("utf-8-sig")
    if not table.rows:
        raise ValidationFailed("The file has a header but no rows.", field="file")
    uploads_purge()
    return ReadingUpload.objects.create(org=org, created_by=actor, name=name[:255], content=text)


def uploads_purge() -> int:
    """Drops uploads older than a day, imported or not."""
    deleted, _ = ReadingUpload.objects.filter(
        created_at__lt=timezone.now() - UPLOAD_LIFETIME
    ).delete()
    return deleted


def upload_queue(*, upload: ReadingUpload, mapping: dict[str, str]) -> ReadingUpload:
    """Checks the mapping, remembers it for the organization, and queues the import.

    A worker imports the file (``upload_run``) once this commits; the page
    shows its progress meanwhile.
    """
    table = read_csv(upload.content)
    check_mapping(table.header, mapping)
    with transaction.atomic():
        claimed = ReadingUpload.objects.filter(pk=upload.pk, status=UploadStatus.UPLOADED).update(
            status=UploadStatus.QUEUED, mapping=mapping, rows_total=len(table.rows), rows_done=0
        )
        if claimed:
            mapping_remember(org=upload.org, mapping=mapping)
            upload_id = upload.pk
            transaction.on_commit(lambda: enqueue_upload(upload_id))
    upload.refresh_from_db()
    return upload


def enqueue_upload(upload_id: int) -> None:
    """Hands an import to a worker; imports it here if none can be asked."""
    from django_q.tasks import async_task

    try:
        async_task("fleetmaint.imports.jobs.import_readings", upload_id, group="imports")
    except Exception:
        log.exception("Could not queue the import of upload %s; importing it now", upload_id)
        upload_run(upload_id)


def upload_run(upload_id: int) -> None:
    """Imports a queued upload chunk by chunk, telling its progress; keeps the refused rows."""
    if not ReadingUpload.objects.filter(pk=upload_id, status=UploadStatus.QUEUED).update(
        status=UploadStatus.RUNNING
    ):
        return  # imported already, or by another worker
    upload = ReadingUpload.objects.select_related("org").get(pk=upload_id)

    def progress(done: int) -> None:
        ReadingUpload.objects.filter(pk=upload_id).update(rows_done=done)

    try:
        table = read_csv(upload.content)
        outcome = readings_import(
            org=upload.org, table=table, mapping=upload.mapping, on_chunk=progress
        )
    except ValidationFailed as error:
        ReadingUpload.objects.filter(pk=upload_id).update(
            status=UploadStatus.FAILED, error=error.message
        )
        return
    except Exception:
        log.exception("The import of upload %s failed", upload_id)
        ReadingUpload.objects.filter(pk=upload_id).update(
            status=UploadStatus.FAILED,
            error="The import stopped on an unexpected error. Rows stored before it stay "
            "stored; importing the file again skips them as duplicates.",
        )
        raise
    ReadingUpload.objects.filter(pk=upload_id).update(
        status=UploadStatus.DONE,
        content="",
        rejected=rejected_csv(table.header, outcome.refused),
        result=outcome.as_dict(),
        rows_done=len(table.rows),
    )


# --- export -------------------------------------------------------------------------


def readings_export_rows(org: Organization) -> Iterator[list[str]]:
    """The fleet's counted readings in the import's columns, oldest first per vehicle."""
    zone = ZoneInfo(org.time_zone)
    yield list(EXPORT_COLUMNS)
    rows = (
        Reading.objects.filter(org=org, voided_at=None)
        .order_by("vehicle_id", "recorded_at", "id")
        .values_list("vehicle__vehicle_key", "odometer", "engine_hours", "recorded_at", "note")
    )
    for key, odometer, hours, taken, note in rows.iterator(chunk_size=5000):
        yield [
            key,
            "" if odometer is None else str(odometer),
            "" if hours is None else str(hours),
            taken.astimezone(zone).isoformat(),
            note,
        ]
