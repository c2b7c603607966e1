"""Service intervals in the wire format of the vendor API of seed 003.

``POST /voyorequest/<Method>``, form-encoded, ``Authorization: Bearer <key>``.
Every answer is JSON with an ``error`` field: ``"Success!"`` or the vendor's
message. This module only translates; the rules are in intervals.services.
"""

from collections.abc import Callable
from datetime import UTC, datetime

from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from fleetmaint.accounts.models import Organization
from fleetmaint.attempts import services as attempts
from fleetmaint.compat.keys import bearer_token, key_from
from fleetmaint.errors import DomainError, TooManyAttempts
from fleetmaint.intervals import queries, services
from fleetmaint.intervals.models import ServiceInterval

SUCCESS = "Success!"
INVALID_AUTHORIZATION = "Invalid Authorization!"
VENDOR_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

Handler = Callable[[Organization, dict], dict]


def _ok(**fields) -> dict:
    return {"error": SUCCESS, **fields}


def _vendor_time(moment: datetime | None) -> str:
    """Times go out in UTC, as ``YYYY-MM-DD HH:MM:SS``."""
    return moment.astimezone(UTC).strftime(VENDOR_TIME_FORMAT) if moment else ""


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


def create(org: Organization, data: dict) -> dict:
    vehicle = services.vehicle_by_key(org, data.get("vehicle_key"))
    interval = services.interval_create(
        vehicle=vehicle,
        odometer=data.get("odometer"),
        time=data.get("time"),
        notes=data.get("notes", ""),
    )
    return _ok(service_id=str(interval.pk))


def generate(org: Organization, data: dict) -> dict:
    key = (data.get("vehicle_key") or "").strip()
    vehicles = [services.vehicle_by_key(org, key)] if key else None
    services.intervals_generate(org=org, vehicles=vehicles)
    return _ok()


def get_all(org: Organization, data: dict) -> dict:
    flag = (data.get("maintenance_required") or "").strip()
    required = {"0": False, "1": True}.get(flag)
    return _ok(service_intervals=_intervals_json(queries.maintenance_required(org, required)))


def get_for_vehicle(org: Organization, data: dict) -> dict:
    vehicle = services.vehicle_by_key(org, data.get("vehicle_key"))
    return _ok(service_intervals=_intervals_json(queries.vehicle_schedule(vehicle).order_by("id")))


def remove(org: Organization, data: dict) -> dict:
    vehicle = services.vehicle_by_key(org, data.get("vehicle_key"))
    services.interval_remove(interval=services.interval_for(vehicle, data.get("id")))
    return _ok()


def update(org: Organization, data: dict) -> dict:
    vehicle = services.vehicle_by_key(org, data.get("vehicle_key"))
    interval = services.interval_for(vehicle, data.get("id"))
    services.interval_update_notes(interval=interval, notes=data.get("notes", ""))
    return _ok()


METHODS: dict[str, Handler] = {
    "CreateServiceInterval": create,
    "GenerateServiceInterval": generate,
    "GetAllServiceIntervals": get_all,
    "GetServiceIntervals": get_for_vehicle,
    "RemoveServiceInterval": remove,
    "UpdateServiceInterval": update,
}


@csrf_exempt
@require_POST
def dispatch(request: HttpRequest, method: str) -> JsonResponse:
    handler = METHODS.get(method)
    if handler is None:
        return JsonResponse({"error": f"Unknown method {method}!"}, status=404)
    raw = bearer_token(request, "Bearer")
    try:
        key = attempts.key_lookup(request, lambda: key_from(raw)) if raw else None
    except TooManyAttempts as locked:
        return JsonResponse({"error": locked.message}, status=429)
    if key is None:
        return JsonResponse({"error": INVALID_AUTHORIZATION}, status=401)
    if key.read_only and handler not in (get_all, get_for_vehicle):
        return JsonResponse({"error": INVALID_AUTHORIZATION}, status=403)
    try:
        return JsonResponse(handler(key.org, request.POST.dict()))
    except DomainError as error:
        return JsonResponse({"error": error.message}, status=400)
