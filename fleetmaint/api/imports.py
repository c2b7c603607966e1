"""Vehicles, readings and service records from a CSV or XLSX body: the import the pages run."""

from typing import Literal

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Field, Path, Query, Router, Schema

from fleetmaint.imports import services
from fleetmaint.imports.kinds import guess_mapping
from fleetmaint.imports.models import ImportKind
from fleetmaint.imports.tables import XLSX_TYPES, csv_lines, read_upload, xlsx_file

router = Router(tags=["imports"])


class RefusedRow(Schema):
    row: int = Field(description="The row's number in the file; the header is row 1.")
    reason: str


class ImportOut(Schema):
    imported: int = Field(description="Rows stored.")
    duplicates: int = Field(
        description="Rows already stored, or repeating an earlier row: skipped."
    )
    refused: list[RefusedRow]


class ImportPath(Schema):
    kind: ImportKind = Field(description="What the file's rows are.")


class MappingQuery(Schema):
    mapping: str | None = Field(
        None,
        max_length=2000,
        description="Which column fills which field, as field=Column,field=Column. "
        "Without it, columns named as the fields are used.",
    )


@router.post("/imports/{kind}", response=ImportOut)
def import_rows(request: HttpRequest, path: Path[ImportPath], query: Query[MappingQuery]):
    """Imports the rows of a CSV body (``text/csv``; UTF-8, comma or semicolon) or an XLSX one.

    Fields per kind (docs/imports.md): **vehicles**: vehicle_key, label, vin,
    plate, make, model, year, distance_unit, powertrain, tracks_engine_hours,
    device_id, notes. **readings**: vehicle_key, vin or plate, taken_at,
    odometer, engine_hours, note. **service-records**: vehicle_key, vin or
    plate, done_at, service, odometer, engine_hours, cost, servicer, notes.
    Rows already stored are counted as duplicates; each refused row is
    answered with its row number (the header is row 1) and the reason. The
    import runs in the request; files over the body limit go through the page.
    """
    kind = services.kind_named(path.kind)
    workbook = request.content_type in XLSX_TYPES
    table = read_upload("upload.xlsx" if workbook else "", request.body)
    chosen = (
        services.parse_mapping(kind, query.mapping)
        if query.mapping is not None
        else guess_mapping(kind, table.header)
    )
    outcome = services.rows_import(kind=kind, org=request.org, table=table, mapping=chosen)
    return outcome.as_dict()


class ExportQuery(Schema):
    format: Literal["csv", "xlsx"] = Field("csv", description="A CSV file, or an XLSX workbook.")


@router.get("/imports/{kind}/export", response={200: None})
def export_rows(
    request: HttpRequest, path: Path[ImportPath], query: Query[ExportQuery]
) -> HttpResponse:
    """The fleet's rows of the kind, in the columns its import reads: CSV or XLSX.

    Text a spreadsheet would run as a formula is written behind an apostrophe,
    which the import takes off again.
    """
    kind = services.kind_named(path.kind)
    rows = services.export_rows(kind, request.org)
    if query.format == "xlsx":
        return FileResponse(
            xlsx_file(rows),
            as_attachment=True,
            filename=f"{kind.slug}.xlsx",
            content_type=XLSX_TYPES[0],
        )
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind.slug}.csv"'
    return response
