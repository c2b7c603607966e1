"""Service intervals in the wire format of the vendor API of seed 003.

``POST /voyorequest/<Method>``, form-encoded (a flat JSON object is read the
same way), ``Authorization: Bearer <key>``. Every answer is JSON with an
``error`` field: ``"Success!"`` or the vendor's message. This module only
translates: it parses the vendor's loose values with ``intervals.inputs``,
calls the services and queries, and maps their refusals (a stable reason and
a field) to the vendor's exact texts. The rules are in intervals.services, but for
one the seed states for this endpoint alone: a new interval's time lies between
now and a year from now (``_seed_time``).
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from fleetmaint.accounts.models import Organization
from fleetmaint.attempts import services as attempts
from fleetmaint.compat.keys import bearer_token, key_from
from fleetmaint.errors import DomainError, TooManyAttempts, ValidationFailed
from fleetmaint.inputs import JsonBounds, clean_text, load_json
from fleetmaint.intervals import inputs, queries, services
from fleetmaint.intervals.models import MAX_NOTES, ServiceInterval
from fleetmaint.intervals.refusals import Reason, ScheduleInvalid, ScheduleNotFound
from fleetmaint.vehicles.models import Vehicle

SUCCESS = "Success!"
INVALID_AUTHORIZATION = "Invalid Authorization!"
VENDOR_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

# The seed's error texts, byte for byte, by the reason the schedule refused.
VENDOR_TEXTS = {
    Reason.VEHICLE_UNKNOWN: "Vehicle does not exist!",
    Reason.INTERVAL_UNKNOWN: "Could not find requested service interval!",
    Reason.IDENTIFIER: "Requires non-zero identifier!",
    Reason.ODOMETER_RANGE: "odometer is outside of valid range!",
    Reason.TIME_RANGE: "time is outside of valid range!",
    Reason.TIME_PAST: "time is outside of valid range!",
    Reason.BELOW_ODOMETER: "odometer is outside of valid range!",
    Reason.NO_BASIS: "Service interval must be based on mileage or time!",
    Reason.NOTES_TOO_LONG: f"notes can not be more than {MAX_NOTES} characters!",
}
# The seed's own rule for a new interval's time: "between present day and next year".
# Only this endpoint keeps it; the product's other faces take dates up to
# ``days.HORIZON_YEARS`` ahead. A timestamp a few minutes old is "now" sent over a
# slow network.
SEED_PAST_GRACE = timedelta(minutes=5)


def _seed_time(moment: datetime | None) -> datetime | None:
    """The time if the seed takes it: from now to the same moment a year later."""
    now = timezone.now()
    if moment is not None and not now - SEED_PAST_GRACE <= moment <= now + relativedelta(years=1):
        raise ScheduleInvalid(Reason.TIME_RANGE, field="time")
    return moment


# Ours, in the vendor's style: the seed has no such cases.
NOTES_NOT_TEXT = "notes can not contain NUL characters!"
POST_ONLY = "Requests must be sent with POST!"
BAD_BODY = "Request body is invalid!"

# A vendor request is one flat object of a few short values.
_JSON_BOUNDS = JsonBounds(max_depth=1, max_keys=50, max_key_length=100)

Handler = Callable[[Organization, dict], dict]


def _ok(**fields) -> dict:
    return {"error": SUCCESS, **fields}


def _vendor_time(moment: datetime | None) -> str:
    """Times go out in UTC, as ``YYYY-MM-DD HH:MM:SS``."""
    return moment.astimezone(UTC).strftime(VENDOR_TIME_FORMAT) if moment else ""


def _vendor_text(error: DomainError) -> str:
    reason = getattr(error, "reason", None)
    if reason in VENDOR_TEXTS:
        return VENDOR_TEXTS[reason]
    if error.field == "notes":
        return NOTES_NOT_TEXT
    return error.message


# --- the vendor's loose values ----------------------------------------------------------


def _text(data: dict, name: str) -> str:
    """A text parameter; anything but text (a number, a list) is refused for that field."""
    value = data.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValidationFailed(f"{name} must be text.", field=name)
    return clean_text(str(value), field=name)


def _vehicle_key(data: dict) -> str:
    """The vehicle key as sent; a key that is not text names no vehicle."""
    value = data.get("vehicle_key")
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    raise ScheduleNotFound(Reason.VEHICLE_UNKNOWN, field="vehicle_key")


def _vehicle(org: Organization, data: dict) -> Vehicle:
    return queries.vehicle_by_key(org, _vehicle_key(data))


# The columns the vendor's interval object shows; lists read only these.
_ROW_FIELDS = ("id", "created_at", "last_updated", "notes", "service_at_mileage", "service_at_date")


def _interval_json(row: dict) -> dict:
    """The vendor's interval object from a row; fields that were never set are left out."""
    body = {
        "id": str(row["id"]),
        "created_at": _vendor_time(row["created_at"]),
        "last_updated": _vendor_time(row["last_updated"]),
        "notes": row["notes"],
    }
    if row["service_at_mileage"] is not None:
        body["service_at_mileage"] = str(row["service_at_mileage"])
    if row["service_at_date"] is not None:
        body["service_at_date"] = _vendor_time(row["service_at_date"])
    return body


def _intervals_json(intervals: QuerySet[ServiceInterval]) -> list[dict]:
    return [_interval_json(row) for row in intervals.values(*_ROW_FIELDS)]


# --- the methods ------------------------------------------------------------------------


def create(org: Organization, data: dict) -> dict:
    vehicle = _vehicle(org, data)
    notes = _text(data, "notes")
    interval = services.interval_create(
        vehicle=vehicle,
        odometer=inputs.parse_odometer(data.get("odometer")),
        time=_seed_time(inputs.parse_time(data.get("time"), vehicle.org.time_zone)),
        notes=notes,
    )
    return _ok(service_id=str(interval.pk))


def generate(org: Organization, data: dict) -> dict:
    key = _vehicle_key(data).strip()
    vehicles = [queries.vehicle_by_key(org, key)] if key else None
    services.intervals_generate(org=org, vehicles=vehicles)
    return _ok()


def get_all(org: Organization, data: dict) -> dict:
    flag = _text(data, "maintenance_required").strip()
    required = {"0": False, "1": True}.get(flag)
    return _ok(service_intervals=_intervals_json(queries.maintenance_required(org, required)))


def get_for_vehicle(org: Organization, data: dict) -> dict:
    vehicle = _vehicle(org, data)
    return _ok(service_intervals=_intervals_json(queries.vehicle_schedule(vehicle).order_by("id")))


def _interval(org: Organization, data: dict) -> ServiceInterval:
    vehicle = _vehicle(org, data)
    return queries.open_interval(vehicle, inputs.parse_identifier(data.get("id")))


def remove(org: Organization, data: dict) -> dict:
    services.interval_remove(interval=_interval(org, data))
    return _ok()


def update(org: Organization, data: dict) -> dict:
    interval = _interval(org, data)
    services.interval_update_notes(interval=interval, notes=_text(data, "notes"))
    return _ok()


METHODS: dict[str, Handler] = {
    "CreateServiceInterval": create,
    "GenerateServiceInterval": generate,
    "GetAllServiceIntervals": get_all,
    "GetServiceIntervals": get_for_vehicle,
    "RemoveServiceInterval": remove,
    "UpdateServiceInterval": update,
}
READS = (get_all, get_for_vehicle)


def _refused(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _parameters(request: HttpRequest) -> dict:
    """The request's parameters: form fields, or the members of a flat JSON object."""
    if request.content_type == "application/json":
        if not request.body.strip():
            return {}
        data = load_json(request.body, _JSON_BOUNDS)
        if not isinstance(data, dict):
            raise ValidationFailed("The body must be a JSON object.")
        return data
    return request.POST.dict()


@csrf_exempt
def dispatch(request: HttpRequest, method: str) -> JsonResponse:
    if request.method != "POST":
        response = _refused(POST_ONLY, status=405)
        response["Allow"] = "POST"
        return response
    handler = METHODS.get(method)
    if handler is None:
        return _refused(f"Unknown method {method}!", status=404)
    raw = bearer_token(request, "Bearer")
    try:
        key = attempts.key_lookup(request, lambda: key_from(raw)) if raw else None
    except TooManyAttempts as locked:
        return _refused(locked.message, status=429)
    if key is None:
        return _refused(INVALID_AUTHORIZATION, status=401)
    if key.read_only and handler not in READS:
        return _refused(INVALID_AUTHORIZATION, status=403)
    try:
        data = _parameters(request)
    except (ValidationFailed, RequestDataTooBig, TooManyFieldsSent):
        return _refused(BAD_BODY)
    try:
        return JsonResponse(handler(key.org, data))
    except DomainError as error:
        return _refused(_vendor_text(error))
