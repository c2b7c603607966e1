"""The servicer events of seed 001: which exist for which service type, and their fields.

Pure data and checks; services.py decides what an event does to an order.

The seed lets an event carry any data, so its size is bounded here, for every
face alike (``EVENT_BOUNDS``; docs/orders.md states the limits).
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateformat import format as date_format

from fleetmaint.errors import ValidationFailed
from fleetmaint.inputs import JsonBounds, check_json

STRING, NUMBER, BOOLEAN, NUMBERS, OBJECT = "string", "number", "boolean", "number[]", "object"
# How a refusal names each type: the words a person reads, not the schema's.
TYPE_WORDS = {
    STRING: "a string",
    NUMBER: "a number",
    BOOLEAN: "true or false",
    NUMBERS: "a list of numbers",
    OBJECT: "an object",
}

DEPOT_EVENTS: dict[str, dict[str, str]] = {
    "product_received": {"receivedBy": STRING, "receptionDate": NUMBER},
    "product_delivered": {"deliveredTo": STRING, "deliveredDate": NUMBER},
    "product_diagnosed": {
        "diagnosedBy": STRING,
        "diagnosticExplanation": STRING,
        "diagnosticCompletedAt": NUMBER,
    },
    "repair_eta": {
        "estimatedRepairCompletionAt": NUMBER,
        "isDelayed": BOOLEAN,
        "delayReason": STRING,
    },
    "repair_started": {"repairStartedAt": NUMBER},
    "repair_completed": {"repairCompletedAt": NUMBER},
}
ONSITE_EVENTS: dict[str, dict[str, str]] = {
    "part_management": {"partManagementEventType": STRING},
    "appointment_scheduling": {"appointmentEventType": STRING, "appointmentDate": NUMBER},
    "customer_contact": {
        "customerContactEventType": STRING,
        "method": STRING,
        "contactTimestamp": NUMBER,
        "appointmentTimestamps": NUMBERS,
    },
    "batched": {"availabilityWindows": NUMBERS},
    "resolved": {"resolutionType": STRING, "reason": STRING},
}
OTHER_FIELDS = {"eventDate": NUMBER, "metadata": OBJECT}
COMMON_FIELDS = {"notes": STRING}
# The field of each event that says when it happened, for the timeline.
DATE_FIELDS = {
    "product_received": "receptionDate",
    "product_delivered": "deliveredDate",
    "product_diagnosed": "diagnosticCompletedAt",
    "repair_eta": "estimatedRepairCompletionAt",
    "repair_started": "repairStartedAt",
    "repair_completed": "repairCompletedAt",
    "appointment_scheduling": "appointmentDate",
    "customer_contact": "contactTimestamp",
}
# Fields that say when something happened. They may not lie in the future beyond
# FUTURE_TOLERANCE (clocks of servicers' systems drift); the others (an ETA, an
# appointment, availability windows) are about the future by nature.
HAPPENED_FIELDS = frozenset(
    {
        "receptionDate",
        "deliveredDate",
        "diagnosticCompletedAt",
        "repairStartedAt",
        "repairCompletedAt",
        "contactTimestamp",
        "eventDate",
    }
)
FUTURE_TOLERANCE = timedelta(minutes=15)
# Events about a moment: without their date, the moment they were received is
# taken, and the timeline says so ("received at").
MOMENT_EVENTS = frozenset(
    {
        "product_received",
        "product_delivered",
        "product_diagnosed",
        "repair_started",
        "repair_completed",
        "customer_contact",
    }
)
MAX_NAME = 80
MAX_TEXT = 5_000
# How big an event may be: ample for the seed's bodies and a page of metadata.
EVENT_BOUNDS = JsonBounds(
    max_bytes=100_000,
    max_depth=8,
    max_keys=100,
    max_key_length=100,
    max_string_length=MAX_TEXT,
)


def kind_of(event: str) -> str:
    if event in DEPOT_EVENTS:
        return "depot"
    if event in ONSITE_EVENTS:
        return "onsite"
    return "other"


def events_for(service_type: str) -> dict[str, dict[str, str]]:
    """The listed events an order of this type takes (any unlisted name is also allowed).

    Scheduled maintenance happens at the servicer's shop, so it takes the
    depot events.
    """
    return ONSITE_EVENTS if service_type == "repair_onsite" else DEPOT_EVENTS


def _type_ok(value: object, expected: str) -> bool:
    if expected == STRING:
        return isinstance(value, str)
    if expected == BOOLEAN:
        return isinstance(value, bool)
    if expected == NUMBER:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if expected == NUMBERS:
        return isinstance(value, list) and all(_type_ok(v, NUMBER) for v in value)
    if expected == OBJECT:
        return isinstance(value, dict)
    return True


def validate(body: object, service_type: str) -> tuple[str, str, dict]:
    """Checks an event body; returns (event, kind, body) or raises with the field at fault."""
    if not isinstance(body, dict):
        raise ValidationFailed("The body must be a JSON object.", field="event")
    check_json(body, EVENT_BOUNDS)
    event = body.get("event")
    if not isinstance(event, str) or not event.strip():
        raise ValidationFailed("event is required and must be a string.", field="event")
    event = event.strip()
    if len(event) > MAX_NAME or "\x00" in event:
        raise ValidationFailed(f"event can be at most {MAX_NAME} characters.", field="event")
    kind = kind_of(event)
    allowed = events_for(service_type)
    if kind != "other" and event not in allowed:
        raise ValidationFailed(
            f"{event} is not an event for {service_type.replace('_', ' ')} orders.",
            field="event",
        )
    fields = {**COMMON_FIELDS, **(allowed.get(event) or OTHER_FIELDS)}
    for name, expected in fields.items():
        if name in body and body[name] is not None and not _type_ok(body[name], expected):
            raise ValidationFailed(f"{name} must be {TYPE_WORDS[expected]}.", field=name)
        if expected == STRING and isinstance(body.get(name), str) and len(body[name]) > MAX_TEXT:
            raise ValidationFailed(f"{name} can be at most {MAX_TEXT} characters.", field=name)
    latest = timezone.now() + FUTURE_TOLERANCE
    for name, expected in fields.items():
        if expected in (NUMBER, NUMBERS) and body.get(name) is not None:
            values = body[name] if isinstance(body[name], list) else [body[name]]
            for value in values:
                moment = to_datetime(value, field=name)
                if name in HAPPENED_FIELDS and moment > latest:
                    raise ValidationFailed(_in_the_future(name, moment), field=name)
    size = 0
    for name, value in body.items():
        try:
            size += len(name) + len(json.dumps(value, allow_nan=False))
        except (TypeError, ValueError):
            # NaN and Infinity are not JSON; the database would refuse the row.
            raise ValidationFailed(f"{name} must be plain JSON.", field=name) from None
    # The same size limit whichever face parsed the body (the API's parser allows more).
    if size > EVENT_BOUNDS.max_bytes:
        raise ValidationFailed(
            f"The event is larger than {EVENT_BOUNDS.max_bytes} bytes.", field="event"
        )
    return event, kind, body


def to_datetime(timestamp: float, *, field: str = "eventDate") -> datetime:
    """A Unix timestamp as a datetime; numbers above 10^11 are milliseconds."""
    try:
        # Huge integers overflow already in the division to seconds.
        seconds = timestamp / 1000 if abs(timestamp) > 10**11 else timestamp
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise ValidationFailed(f"{field} is not a valid timestamp.", field=field) from None


def _in_the_future(name: str, moment: datetime) -> str:
    minutes = int(FUTURE_TOLERANCE.total_seconds() // 60)
    shown = date_format(timezone.localtime(moment), "Y-m-d H:i T")
    return (
        f"{name} is {shown}, which has not happened yet: a date of something that "
        f"happened may be at most {minutes} minutes ahead of the current time."
    )


def event_date(event: str, body: dict, received_at: datetime) -> tuple[datetime | None, bool]:
    """When the event happened, and whether that is only when it was received.

    An event about a moment that comes without its date (the seed makes every
    field optional) takes ``received_at``.
    """
    name = DATE_FIELDS.get(event, "eventDate")
    value = body.get(name)
    if isinstance(value, int | float):
        return to_datetime(value, field=name), False
    if event in MOMENT_EVENTS:
        return received_at, True
    return None, False


@dataclass(frozen=True)
class ServicerEvent:
    """A servicer's event, read and checked at the edge; what the order service acts on."""

    name: str
    kind: str  # "depot", "onsite" or "other"
    body: dict[str, Any]  # the seed's fields as sent, kept for the timeline and the API
    notes: str
    happened_at: datetime | None
    date_received: bool  # happened_at is only when it arrived
    estimated_completion: datetime | None = None
    delayed: bool = False
    delay_reason: str = ""


def read(body: object, service_type: str, *, received_at: datetime | None = None) -> ServicerEvent:
    """An event body as any face received it (seed 001's shape), typed for the service."""
    name, kind, body = validate(body, service_type)
    happened_at, date_received = event_date(name, body, received_at or timezone.now())
    eta = body.get("estimatedRepairCompletionAt") if name == "repair_eta" else None
    return ServicerEvent(
        name=name,
        kind=kind,
        body=body,
        notes=body.get("notes") or "",
        happened_at=happened_at,
        date_received=date_received,
        estimated_completion=(
            to_datetime(eta, field="estimatedRepairCompletionAt") if eta is not None else None
        ),
        delayed=name == "repair_eta" and body.get("isDelayed") is True,
        delay_reason=body.get("delayReason") or "",
    )
