"""Telematics ingest over HTTP: Traccar's forwarded positions and a generic feed.

Both take an organization key with write rights, or a readings-only key
(which opens nothing else). The body is read here and translated by
``ingest.feeds``; what is stored is decided by ``ingest.services``.
See docs/telematics.md.
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Router, Schema

from fleetmaint.api.auth import ApiKeyAuth
from fleetmaint.api.parser import API_BOUNDS
from fleetmaint.errors import ValidationFailed
from fleetmaint.ingest import feeds
from fleetmaint.ingest.services import IngestResult, telematics_ingest
from fleetmaint.inputs import load_json
from fleetmaint.vehicles.readings import BULK_READINGS_LIMIT

router = Router(tags=["telematics"])

NDJSON_TYPES = {"application/x-ndjson", "application/ndjson", "application/jsonl"}


class RefusalOut(Schema):
    index: int = Field(description="Position of the item in the body (0 for a position).")
    line: int | None = Field(None, description="The NDJSON line, counting from 1.")
    device: str | None = Field(description="How the item named its vehicle.")
    vehicle_id: int | None
    recorded_at: str | None
    code: str
    field: str | None
    message: str


class IngestOut(Schema):
    accepted: int = Field(description="Readings stored.")
    skipped_recent: int = Field(
        description="Within the minimum interval of the vehicle's newest reading; not stored."
    )
    duplicates: int = Field(description="The same meters as the one before, within a minute.")
    without_meters: int = Field(description="Named a vehicle but carried no odometer or hours.")
    unknown_devices: int = Field(description="Items naming no vehicle of the fleet.")
    unknown: list[str] = Field(description="The names that matched no vehicle (at most 100).")
    refused: list[RefusalOut] = Field(
        description="Items not stored, with the reading rule's message; held for review."
    )


_TRACCAR_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["position", "device"],
                "properties": {
                    "position": {"type": "object"},
                    "device": {"type": "object"},
                },
            }
        }
    },
}

_FEED_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "anyOf": [
                    {"type": "object"},
                    {"type": "array", "items": {"type": "object"}},
                ]
            }
        },
    },
}


def _answer(result: IngestResult) -> dict[str, Any]:
    return {
        "accepted": result.accepted,
        "skipped_recent": result.skipped_recent,
        "duplicates": result.duplicates,
        "without_meters": result.without_meters,
        "unknown_devices": result.unknown_count,
        "unknown": result.unknown,
        "refused": result.refused,
    }


@router.post(
    "/ingest/traccar",
    response=IngestOut,
    auth=ApiKeyAuth(readings=True),
    openapi_extra={"requestBody": _TRACCAR_BODY},
)
def ingest_traccar(request: HttpRequest):
    """One position forwarded by Traccar (``forward.json=true``).

    The device's ``uniqueId`` names the vehicle (its ``device_id``);
    ``attributes.odometer`` (else ``totalDistance``) in metres becomes the
    odometer in the vehicle's unit, ``attributes.hours`` in milliseconds its
    engine hours; the time is ``fixTime``. Set Traccar's ``forward.header`` to
    ``Authorization: Bearer <key>``.
    """
    observations, errors = feeds.traccar_body(load_json(request.body, API_BOUNDS))
    return _answer(
        telematics_ingest(org=request.org, observations=observations, feed_errors=errors)
    )


@router.post(
    "/ingest/readings",
    response=IngestOut,
    auth=ApiKeyAuth(readings=True),
    openapi_extra={"requestBody": _FEED_BODY},
)
def ingest_readings(request: HttpRequest):
    """Readings from any tracker: one object, a list, or NDJSON (``application/x-ndjson``).

    Each item names its vehicle by ``vehicle_key``, ``vin`` or ``device_id``
    and gives a ``timestamp`` (ISO 8601 with its zone, or seconds since 1970),
    an ``odometer`` with its ``odometer_unit`` (``km``, ``mi`` or ``m``; the
    vehicle's own unit when left out), and/or ``engine_hours`` or
    ``engine_seconds``. An item that cannot be read is reported by its index
    (and line) and the others are stored.
    """
    if request.content_type in NDJSON_TYPES:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 5_000_000
        if len(request.body) > limit:
            raise ValidationFailed(f"The body is larger than {limit} bytes.")
        observations, errors = feeds.generic_ndjson(request.body, max_items=BULK_READINGS_LIMIT)
    else:
        body = load_json(request.body, API_BOUNDS)
        observations, errors = feeds.generic_body(body, max_items=BULK_READINGS_LIMIT)
    return _answer(
        telematics_ingest(org=request.org, observations=observations, feed_errors=errors)
    )
