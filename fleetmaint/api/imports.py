"""Readings from a CSV body, the same import as the Import readings page (imports.services)."""

from django.http import HttpRequest
from ninja import Router, Schema

from fleetmaint.imports import services

router = Router(tags=["vehicles"])


class RefusedRow(Schema):
    row: int
    reason: str


class ImportOut(Schema):
    imported: int
    duplicates: int
    refused: list[RefusedRow]


@router.post("/imports/readings", response=ImportOut)
def import_readings(request: HttpRequest, mapping: str | None = None):
    """Imports readings from a CSV body (``text/csv``; UTF-8, comma or semicolon).

    ``mapping`` says which column fills which field, as
    ``vehicle_key=Vehicle,taken_at=Date,odometer=Km`` (fields: vehicle_key, vin,
    plate, odometer, engine_hours, taken_at, note). Without it, columns named
    as the fields are used. Rows repeating a stored reading are counted as
    duplicates; each refused row is answered with its row number (the header
    is row 1) and the reason.
    """
    table = services.read_csv(request.body)
    chosen = (
        services.parse_mapping(mapping)
        if mapping is not None
        else services.guess_mapping(table.header)
    )
    outcome = services.readings_import(org=request.org, table=table, mapping=chosen)
    return outcome.as_dict()
