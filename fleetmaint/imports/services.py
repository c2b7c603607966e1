"""Importing rows from a file, every kind alike: upload, map the columns, preview, import.

The kinds (``readings``, ``vehicles``, ``service_records``) read their cells
and store their rows through their own apps' services; this module runs them
over a file chunk by chunk, previews them in a transaction that is rolled
back, and keeps an upload between its steps.
"""

import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from fleetmaint.accounts.models import Organization
from fleetmaint.errors import NotFound, ValidationFailed
from fleetmaint.imports.kinds import Chunk, Kind, Outcome, check_mapping, guess_mapping
from fleetmaint.imports.kinds import parse_mapping as parse_mapping
from fleetmaint.imports.models import ImportMapping, UploadStatus
from fleetmaint.imports.models import Upload as Upload
from fleetmaint.imports.readings import READINGS
from fleetmaint.imports.service_records import SERVICE_RECORDS
from fleetmaint.imports.tables import (
    Table,
    is_blank,
    read_upload,
    rejected_csv,
    sheet_cell,
    table_csv,
)
from fleetmaint.imports.tables import read_csv as read_csv
from fleetmaint.imports.vehicles import VEHICLES

log = logging.getLogger(__name__)

KINDS: dict[str, Kind] = {kind.slug: kind for kind in (VEHICLES, READINGS, SERVICE_RECORDS)}
UPLOAD_LIFETIME = timedelta(days=1)
IMPORT_LOCK = 0x1A4F  # the advisory lock's first key: imports, beside the fleet's id
# A large file takes minutes; the worker must not be stopped at the cluster's usual timeout.
IMPORT_TIMEOUT = 3600
# A preview checks this many rows (every row of most files) and shows the first
# PREVIEW_ROWS of them, then every refused one up to PREVIEW_REFUSED more.
PREVIEW_CHECKED = 2_000
PREVIEW_ROWS = 50
PREVIEW_REFUSED = 200


def kind_named(slug: str) -> Kind:
    try:
        return KINDS[slug]
    except KeyError:
        raise NotFound(f"There is no import of {slug!r}.") from None


# --- importing ----------------------------------------------------------------------


def rows_import(
    *,
    kind: Kind,
    org: Organization,
    table: Table,
    mapping: dict[str, str],
    actor=None,
    limit: int | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> Outcome:
    """Stores the table's good rows and reports each bad one with its row number and reason.

    Rows go to the kind in chunks: a fixed number of statements per chunk,
    whatever the rows hold. Each chunk is its own transaction, so a failure
    midway keeps the chunks before it, and importing the file again skips them
    as duplicates.
    """
    columns = check_mapping(kind, table.header, mapping)
    rows = table.rows if limit is None else table.rows[:limit]
    outcome = Outcome()
    seen: set = set()
    zone = ZoneInfo(org.time_zone)
    for start in range(0, len(rows), kind.chunk_size):
        part = rows[start : start + kind.chunk_size]
        numbered = [
            (start + offset + 2, cells) for offset, cells in enumerate(part) if not is_blank(cells)
        ]
        with transaction.atomic():
            _one_import_at_a_time(org)
            kind.store(Chunk(org, actor, zone, columns, numbered, seen, outcome))
        if on_chunk is not None:
            on_chunk(start + len(part))
    outcome.refused.sort(key=lambda r: r["row"])
    return outcome


def _one_import_at_a_time(org: Organization) -> None:
    """Waits for another import's chunk of the same fleet to commit (PostgreSQL).

    Each chunk looks for what is stored already and then stores the rest; two
    imports of one file at once would both find nothing and both store it.
    Held until the chunk commits.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [IMPORT_LOCK, org.pk])


def readings_import(
    *, org: Organization, table: Table, mapping: dict[str, str], **options
) -> Outcome:
    """Readings from a table (what the readings API and the benchmark call)."""
    return rows_import(kind=READINGS, org=org, table=table, mapping=mapping, **options)


class _DryRun(Exception):
    pass


def rows_import_preview(
    *,
    kind: Kind,
    org: Organization,
    table: Table,
    mapping: dict[str, str],
    rows: int = PREVIEW_CHECKED,
) -> Outcome:
    """What importing the first rows would do, by importing them and rolling back.

    The rules run exactly as they will on import; nothing stays stored and
    nothing is told.
    """
    outcome = Outcome()
    try:
        with transaction.atomic():
            outcome = rows_import(kind=kind, org=org, table=table, mapping=mapping, limit=rows)
            raise _DryRun
    except _DryRun:
        pass
    return outcome


def export_rows(kind: Kind, org: Organization) -> Iterator[list[str]]:
    """The fleet's rows of the kind, header first, in the columns its import reads.

    Text a spreadsheet would run as a formula is written behind an apostrophe,
    which the import takes off again (``tables.sheet_cell``, ``file_cell``).
    """
    yield list(kind.export_columns)
    for row in kind.export_rows(org):
        yield [sheet_cell(text) for text in row]


# --- what an import keeps between its steps --------------------------------------------


def mapping_last(org: Organization, kind: Kind) -> dict[str, str]:
    row = ImportMapping.objects.filter(org=org, kind=kind.slug).first()
    return dict(row.mapping) if row else {}


def mapping_guess(org: Organization, kind: Kind, header: list[str]) -> dict[str, str]:
    """The organization's last mapping of the kind where the file has its columns, else names."""
    return guess_mapping(kind, header, mapping_last(org, kind))


def mapping_remember(*, org: Organization, kind: Kind, mapping: dict[str, str]) -> None:
    ImportMapping.objects.update_or_create(org=org, kind=kind.slug, defaults={"mapping": mapping})


def upload_create(*, org: Organization, kind: Kind, actor, name: str, data: bytes) -> Upload:
    """Keeps an uploaded file for the next steps, once it reads as CSV or XLSX.

    A workbook is kept as its first sheet's CSV text, dates already ISO.
    """
    table = read_upload(name, data)
    uploads_purge()
    return Upload.objects.create(
        org=org, kind=kind.slug, created_by=actor, name=name[:255], content=table_csv(table)
    )


def upload_table(upload: Upload) -> Table:
    """The kept file: always comma-separated, as ``upload_create`` wrote it."""
    return read_csv(upload.content, delimiter=",")


def uploads_purge() -> int:
    """Drops uploads older than a day, imported or not."""
    deleted, _ = Upload.objects.filter(created_at__lt=timezone.now() - UPLOAD_LIFETIME).delete()
    return deleted


def upload_queue(*, upload: Upload, mapping: dict[str, str]) -> Upload:
    """Checks the mapping, remembers it for the organization, and queues the import.

    A worker imports the file (``upload_run``) once this commits; the page
    shows its progress meanwhile. A second submit finds it queued already.
    """
    kind = kind_named(upload.kind)
    table = upload_table(upload)
    check_mapping(kind, table.header, mapping)
    with transaction.atomic():
        claimed = Upload.objects.filter(pk=upload.pk, status=UploadStatus.UPLOADED).update(
            status=UploadStatus.QUEUED,
            mapping=mapping,
            rows_total=len(table.rows),
            rows_done=0,
            moved_at=timezone.now(),
        )
        if claimed:
            mapping_remember(org=upload.org, kind=kind, mapping=mapping)
            upload_id = upload.pk
            transaction.on_commit(lambda: enqueue_upload(upload_id))
    upload.refresh_from_db()
    return upload


def enqueue_upload(upload_id: int) -> None:
    """Hands an import to a worker; imports it here if none can be asked."""
    from django_q.tasks import async_task

    try:
        async_task(
            "fleetmaint.imports.jobs.import_upload",
            upload_id,
            group="imports",
            timeout=IMPORT_TIMEOUT,
        )
    except Exception:
        log.exception("Could not queue the import of upload %s; importing it now", upload_id)
        upload_run(upload_id)


def upload_run(upload_id: int) -> None:
    """Imports a queued upload chunk by chunk, telling its progress; keeps the refused rows."""
    if not Upload.objects.filter(pk=upload_id, status=UploadStatus.QUEUED).update(
        status=UploadStatus.RUNNING, moved_at=timezone.now()
    ):
        return  # imported already, or by another worker
    upload = Upload.objects.select_related("org", "created_by").get(pk=upload_id)

    def progress(done: int) -> None:
        Upload.objects.filter(pk=upload_id).update(rows_done=done, moved_at=timezone.now())

    try:
        table = upload_table(upload)
        outcome = rows_import(
            kind=kind_named(upload.kind),
            org=upload.org,
            table=table,
            mapping=upload.mapping,
            actor=upload.created_by,
            on_chunk=progress,
        )
    except ValidationFailed as error:
        Upload.objects.filter(pk=upload_id).update(status=UploadStatus.FAILED, error=error.message)
        return
    except Exception:
        log.exception("The import of upload %s failed", upload_id)
        Upload.objects.filter(pk=upload_id).update(
            status=UploadStatus.FAILED,
            error="The import stopped on an unexpected error. Rows stored before it stay "
            "stored; importing the file again skips them as duplicates.",
        )
        raise
    Upload.objects.filter(pk=upload_id).update(
        status=UploadStatus.DONE,
        content="",
        rejected=rejected_csv(table.header, outcome.refused),
        result=outcome.as_dict(),
        rows_done=len(table.rows),
    )


STALLED_AFTER = timedelta(seconds=IMPORT_TIMEOUT) + timedelta(minutes=5)


def upload_check_stalled(upload: Upload) -> Upload:
    """An import that has not moved for longer than a job may run is told as failed.

    Its worker was stopped, or none ever took it: rather than a progress bar
    that never ends, the page says so and what to do. A chunk reports progress
    at least every few minutes, so a live import is never taken for a stalled one.
    """
    if not upload.running or upload.moved_at is None:
        return upload
    if timezone.now() - upload.moved_at < STALLED_AFTER:
        return upload
    Upload.objects.filter(pk=upload.pk, status=upload.status, moved_at=upload.moved_at).update(
        status=UploadStatus.FAILED,
        error="The import has not moved for over an hour: its worker stopped, or none took "
        "it. Rows stored before stay stored; upload the file again to import the rest "
        "(rows already stored are skipped).",
    )
    upload.refresh_from_db(fields=["status", "error"])
    return upload
