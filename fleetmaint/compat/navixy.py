"""Service tasks and vehicles in the wire format of the vendor API of seed 004.

Mounted under ``/v2/``: ``vehicle/service_task/<action>``, ``vehicle/list`` and
``vehicle/read``. Every endpoint answers POST with a JSON body, POST with a
form body, and GET with a query string. In form fields and query parameters,
objects and lists (``task``, ``vehicle_ids``, ``task_ids``, ``statuses``,
``sort``) are sent as JSON text, as the vendor's clients do. The API key is
``hash`` (in the body, then in the query) or ``Authorization: NVX <key>``.

Answers are ``{"success": true, ...}``. Failures are
``{"success": false, "status": {"code": N, "description": "..."}}``, where
the description is the service's own message:

====  ==================================================================  ====
code  when                                                                HTTP
====  ==================================================================  ====
3     no key, or a value that is not shaped like one of our keys          400
4     a well-formed key that is unknown or revoked                        400
7     invalid parameters: missing or malformed values, malformed JSON,    400
      a status other than ``done``, a change to a task that is done
11    a read-only key asked for a write                                   403
201   the vehicle does not exist in the fleet; or a condition needs a     400
      meter the vehicle has no reading for yet (``MeterMissing``)
204   the task does not exist in the fleet                                404
214   an engine-hours condition on a vehicle that does not track them     400
217   a batch names a vehicle that does not exist (nothing is created)    400
====  ==================================================================  ====

The HTTP statuses follow the vendor's error table, where 400 is the default
and only some codes have their own (11 → 403, 204 → 404). Code 201 ("Not
found in the database") therefore answers HTTP 400, whether the vehicle is
missing or the counter a condition needs; the seed itself uses 201 for both.

Times go out as ``yyyy-MM-dd HH:mm:ss`` in the organization's time zone, or as
ISO 8601 with the offset when the request says ``iso_datetime=true``.

This module only translates: the rules (validation, statuses, repetition,
wear, prediction) live in ``fleetmaint.tasks.services``.
"""

import functools
import json
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from fleetmaint.accounts.models import ApiKey, Organization
from fleetmaint.accounts.services import API_KEY_PREFIX
from fleetmaint.compat.keys import bearer_token, key_from
from fleetmaint.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from fleetmaint.tasks import queries, services
from fleetmaint.tasks.models import ServiceTask, Status
from fleetmaint.vehicles import queries as vehicle_queries
from fleetmaint.vehicles.models import Vehicle

VENDOR_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
KEY_SCHEME = "NVX"
# Our keys are the prefix and the URL-safe base64 of 32 random bytes.
KEY_SHAPE = re.compile(rf"^{re.escape(API_KEY_PREFIX)}[A-Za-z0-9_-]{{20,128}}$")
MAX_PAGE_VALUE = 2**31 - 1
_INTEGER_TEXT = re.compile(r"^[+-]?\d{1,18}$")

WRONG_HASH, KEY_NOT_FOUND, INVALID_PARAMETERS, ACCESS_DENIED = 3, 4, 7, 11
NOT_IN_DATABASE, ENTITY_NOT_FOUND, NOT_SUPPORTED, NONEXISTENT_IN_LIST = 201, 204, 214, 217
HTTP_STATUS = {ACCESS_DENIED: 403, ENTITY_NOT_FOUND: 404}  # every other code: 400

Handler = Callable[[Organization, "_Params"], dict]


class VendorError(Exception):
    """A failure that has no service error behind it, in the vendor's terms."""

    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code = code
        self.description = description


def _vendor_code(error: DomainError) -> int:
    if isinstance(error, services.EngineHoursNotTracked):
        return NOT_SUPPORTED
    if isinstance(error, services.MeterMissing):
        return NOT_IN_DATABASE
    if isinstance(error, services.UnknownVehicles):
        return NONEXISTENT_IN_LIST
    if isinstance(error, NotFound):
        return ENTITY_NOT_FOUND
    if isinstance(error, PermissionDenied):
        return ACCESS_DENIED
    # ValidationFailed, and Conflict (a task that is done cannot be changed).
    return INVALID_PARAMETERS


def _ok(fields: dict) -> JsonResponse:
    return JsonResponse({"success": True, **fields})


def _fail(code: int, description: str) -> JsonResponse:
    return JsonResponse(
        {"success": False, "status": {"code": code, "description": description}},
        status=HTTP_STATUS.get(code, 400),
    )


# --- reading the request ----------------------------------------------------------------


class _Params:
    """The request's parameters: JSON values, or text to be read the vendor's way.

    ``typed`` holds the values of a JSON body; ``text`` holds form fields and
    query parameters (the body's first, then the query's). A JSON ``null`` or
    an empty text counts as not given.
    """

    def __init__(self, typed: dict, text: dict[str, str]):
        self.typed = typed
        self.text = text

    def _raw(self, name: str) -> tuple[object, bool]:
        value = self.typed.get(name)
        if value is not None:
            return value, False
        value = self.text.get(name, "")
        return (value, True) if value != "" else (None, False)

    def string(self, name: str) -> str | None:
        value, _ = self._raw(name)
        if value is not None and not isinstance(value, str):
            raise ValidationFailed(f"{name} must be text.", field=name)
        return value

    def integer(self, name: str, *, required: bool = False) -> int | None:
        value, _ = self._raw(name)
        if value is None:
            if required:
                raise ValidationFailed(f"{name} is required.", field=name)
            return None
        return _as_int(value, name)

    def boolean(self, name: str, default: bool) -> bool:
        value, is_text = self._raw(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if is_text and value.strip().lower() in {"true", "1"}:
            return True
        if is_text and value.strip().lower() in {"false", "0"}:
            return False
        raise ValidationFailed(f"{name} must be true or false.", field=name)

    def structure(self, name: str, kind: type, *, required: bool = False):
        """A JSON object (``kind=dict``) or array (``kind=list``), or None."""
        value, is_text = self._raw(name)
        what = "a JSON object" if kind is dict else "a JSON array"
        if value is None:
            if required:
                raise ValidationFailed(f"{name} is required.", field=name)
            return None
        if is_text:
            try:
                value = json.loads(value)
            except ValueError:
                raise ValidationFailed(f"{name} must be {what}.", field=name) from None
        if not isinstance(value, kind):
            raise ValidationFailed(f"{name} must be {what}.", field=name)
        return value

    def int_list(self, name: str) -> list[int] | None:
        values = self.structure(name, list)
        if values is None:
            return None
        return [_as_int(v, name, text_allowed=False) for v in values]

    def string_list(self, name: str) -> list[str] | None:
        values = self.structure(name, list)
        if values is not None and not all(isinstance(v, str) for v in values):
            raise ValidationFailed(f"{name} must be a list of strings.", field=name)
        return values


def _as_int(value: object, name: str, *, text_allowed: bool = True) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if text_allowed and isinstance(value, str) and _INTEGER_TEXT.match(value.strip()):
        return int(value)
    raise ValidationFailed(f"{name} must be a whole number.", field=name)


def _params_of(request: HttpRequest) -> _Params:
    query = request.GET.dict()
    if request.method == "GET":
        return _Params({}, query)
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise ValidationFailed("The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise ValidationFailed("The request body must be a JSON object.")
        return _Params(body, query)
    return _Params({}, {**query, **request.POST.dict()})


def _authenticate(request: HttpRequest, params: _Params) -> ApiKey:
    raw = params.typed.get("hash")
    if raw is not None and not isinstance(raw, str):
        raise VendorError(WRONG_HASH, "Wrong hash: hash must be text.")
    raw = (raw or "").strip() or params.text.get("hash", "").strip()
    raw = raw or bearer_token(request, KEY_SCHEME)
    if not raw:
        raise VendorError(
            WRONG_HASH, f"Wrong hash: send the API key as hash or 'Authorization: {KEY_SCHEME}'."
        )
    if not KEY_SHAPE.match(raw):
        raise VendorError(WRONG_HASH, "Wrong hash: that is not an API key of this system.")
    key = key_from(raw)
    if key is None:
        raise VendorError(KEY_NOT_FOUND, "API key not found or revoked.")
    return key


def _endpoint(*, writes: bool) -> Callable[[Handler], Callable]:
    """Turns ``handler(org, params) -> dict`` into a vendor-compatible view."""

    def decorate(handler: Handler) -> Callable:
        @csrf_exempt
        @require_http_methods(["GET", "POST"])
        @functools.wraps(handler)
        def view(request: HttpRequest) -> JsonResponse:
            try:
                params = _params_of(request)
                key = _authenticate(request, params)
                if writes and key.read_only:
                    raise VendorError(ACCESS_DENIED, "Access denied: this API key is read-only.")
                return _ok(handler(key.org, params))
            except VendorError as error:
                return _fail(error.code, error.description)
            except DomainError as error:
                return _fail(_vendor_code(error), error.message)

        return view

    return decorate


# --- writing the answer -----------------------------------------------------------------


@dataclass(frozen=True)
class _Clock:
    """How times are written for one request, and the moment it is answered."""

    zone: zoneinfo.ZoneInfo
    iso: bool
    now: datetime

    @classmethod
    def of(cls, org: Organization, params: _Params) -> "_Clock":
        return cls(
            zoneinfo.ZoneInfo(org.time_zone), params.boolean("iso_datetime", False), timezone.now()
        )

    @functools.cached_property
    def now_text(self) -> str:
        """The moment of the answer, written once for every task of a list."""
        return self.time(self.now)

    def time(self, moment: datetime | None) -> str | None:
        if moment is None:
            return None
        local = moment.astimezone(self.zone)
        if self.iso:
            return local.isoformat(timespec="seconds")
        if local.year >= 1000:
            # The vendor's format is ISO's first 19 characters; isoformat is the faster
            # spelling, which a list of ten thousand tasks writes forty thousand times.
            return local.isoformat(" ", "seconds")[:19]
        return local.strftime(VENDOR_TIME_FORMAT)


def _number(value: Decimal | int | None) -> float | int | None:
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal) else value


def _conditions_json(task: ServiceTask | SimpleNamespace, clock: _Clock) -> dict:
    """The conditions the task has, in the vendor's formats; absent ones are left out."""
    conditions = services.given_conditions(task)
    if "date" in conditions:
        conditions["date"]["end"] = clock.time(conditions["date"]["end"])
    if "engine_hours" in conditions:
        conditions["engine_hours"] = {
            name: _number(value) for name, value in conditions["engine_hours"].items()
        }
    return conditions


def _task_json(
    task: ServiceTask | SimpleNamespace, clock: _Clock, *, prediction: bool, file_ids: list[int]
) -> dict:
    """The vendor's service task object, in the seed's order of fields.

    ``task`` is a task or a row of ``queries.task_rows`` (the same attributes).
    ``current_position`` is the vehicle's current meters and the moment of
    the answer, which is where wear is measured; ``prediction.end_date`` is the
    predicted due date the services keep on the task (null once done).
    """
    vehicle = task.vehicle
    done = task.status == Status.DONE
    body = {
        "id": task.id,
        "repeat": task.repeat,
        "unplanned": task.unplanned,
        "completion_date": clock.time(task.completion_date),
        "vehicle_id": task.vehicle_id,
        "cost": float(task.cost),
        "start": {
            "mileage": task.start_mileage,
            "date": clock.time(task.start_date),
            "engine_hours": _number(task.start_engine_hours),
        },
        "completion": {
            "mileage": task.completion_mileage,
            "date": clock.time(task.completion_date),
            "engine_hours": _number(task.completion_engine_hours),
        }
        if done
        else None,
        "conditions": _conditions_json(task, clock),
        "notifications": {
            # Stored in E.164; the vendor writes international numbers without the plus.
            "sms_phones": [phone.removeprefix("+") for phone in task.sms_phones],
            "emails": list(task.emails),
            "push_enabled": task.push_enabled,
        },
        "status": task.status,
        "description": task.description,
        "comment": task.comment,
        "file_ids": file_ids,
        "vehicle_label": vehicle.label,
    }
    if prediction:
        body["prediction"] = {
            "end_date": clock.time(task.predicted_end_date),
            # A list's rows bring their wear, read in SQL at the same moment.
            "wear_percentage": task.wear
            if isinstance(task, SimpleNamespace)
            else services.wear(task, now=clock.now),
        }
    body["current_position"] = {
        "mileage": vehicle.odometer,
        "date": clock.now_text,
        "engine_hours": _number(vehicle.engine_hours),
    }
    return body


# The vehicle's columns the vendor's vehicle object shows; the list reads only these.
_VEHICLE_FIELDS = (
    "id",
    "label",
    "model",
    "plate",
    "vin",
    "year",
    "make",
    "vehicle_key",
    "archived",
)


def _vehicle_json(row: dict) -> dict:
    return {
        "id": row["id"],
        "label": row["label"],
        "model": row["model"],
        "reg_number": row["plate"],
        "vin": row["vin"],
        "manufacture_year": row["year"],
        "make": row["make"],
        "vehicle_key": row["vehicle_key"],
        "archived": row["archived"],
    }


# --- translating the task object --------------------------------------------------------


def _value(data: dict, key: str, default):
    value = data.get(key)
    return default if value is None else value


def _task_input(task: dict) -> services.TaskInput:
    """The vendor's task object as our TaskInput; the services check every value.

    A field left out takes its default, as in the vendor's API: an update sends
    the whole task.
    """
    conditions = _value(task, "conditions", {})
    notifications = _value(task, "notifications", {})
    if not isinstance(conditions, dict):
        raise ValidationFailed("task.conditions must be an object.", field="conditions")
    if not isinstance(notifications, dict):
        raise ValidationFailed("task.notifications must be an object.", field="notifications")
    return services.TaskInput(
        description=task.get("description"),
        comment=task.get("comment"),
        cost=task.get("cost"),
        repeat=_value(task, "repeat", False),
        unplanned=_value(task, "unplanned", False),
        conditions=services.Conditions(
            mileage=conditions.get("mileage"),
            date=conditions.get("date"),
            engine_hours=conditions.get("engine_hours"),
        ),
        sms_phones=_value(notifications, "sms_phones", []),
        emails=_value(notifications, "emails", []),
        push_enabled=_value(notifications, "push_enabled", True),
        file_ids=_value(task, "file_ids", []),
    )


def _vehicle(org: Organization, vehicle_id: int) -> Vehicle:
    vehicle = Vehicle.objects.for_org(org).select_related("org").filter(pk=vehicle_id).first()
    if vehicle is None:
        raise VendorError(NOT_IN_DATABASE, f"Vehicle {vehicle_id} not found.")
    return vehicle


def _task_field_id(task: dict, key: str) -> int:
    if task.get(key) is None:
        raise ValidationFailed(f"task.{key} is required.", field=f"task.{key}")
    return _as_int(task[key], f"task.{key}", text_allowed=False)


# --- service tasks ----------------------------------------------------------------------


@_endpoint(writes=True)
def service_task_create(org: Organization, params: _Params) -> dict:
    task = params.structure("task", dict, required=True)
    vehicle = _vehicle(org, _task_field_id(task, "vehicle_id"))
    created = services.task_create(vehicle=vehicle, data=_task_input(task))
    return {"id": created.pk}


@_endpoint(writes=True)
def service_task_batch_create(org: Organization, params: _Params) -> dict:
    vehicle_ids = params.structure("vehicle_ids", list, required=True)
    task = params.structure("task", dict, required=True)
    services.tasks_batch_create(org=org, vehicle_ids=vehicle_ids, data=_task_input(task))
    return {}


@_endpoint(writes=True)
def service_task_update(org: Organization, params: _Params) -> dict:
    given = params.structure("task", dict, required=True)
    task = services.task_for(org, _task_field_id(given, "id"))
    if given.get("vehicle_id") is not None and (
        _task_field_id(given, "vehicle_id") != task.vehicle_id
    ):
        # Our tasks belong to their vehicle for life; the vendor's update does not move them.
        raise ValidationFailed(
            "task.vehicle_id cannot be changed; create the task on the other vehicle.",
            field="task.vehicle_id",
        )
    services.task_update(task=task, data=_task_input(given))
    return {}


@_endpoint(writes=True)
def service_task_delete(org: Organization, params: _Params) -> dict:
    task_id = params.integer("task_id")
    task_ids = params.int_list("task_ids")
    wanted = ([task_id] if task_id is not None else []) + (task_ids or [])
    if not wanted:
        raise ValidationFailed("Give task_id or task_ids.", field="task_id")
    services.tasks_delete(org=org, task_ids=wanted)
    return {}


@_endpoint(writes=False)
def service_task_read(org: Organization, params: _Params) -> dict:
    prediction = params.boolean("return_prediction", True)
    clock = _Clock.of(org, params)
    task = services.task_for(org, params.integer("task_id", required=True))
    file_ids = sorted(f.pk for f in task.files.all())
    return {"value": _task_json(task, clock, prediction=prediction, file_ids=file_ids)}


@_endpoint(writes=True)
def service_task_set_status(org: Organization, params: _Params) -> dict:
    task_id = params.integer("task_id", required=True)
    status = params.string("status")
    if status != Status.DONE:
        raise ValidationFailed("Only the status done can be set.", field="status")
    services.task_mark_done(task=services.task_for(org, task_id))
    return {}


def _list_filters(org: Organization, params: _Params) -> queries.TaskFilters:
    """The vendor's list parameters as the shared task filters; nonsense is refused."""
    vehicle_ids = params.int_list("vehicle_ids") or []
    if vehicle_ids:
        known = Vehicle.objects.for_org(org).filter(pk__in=vehicle_ids).count()
        if known != len(set(vehicle_ids)):
            raise VendorError(NOT_IN_DATABASE, "One of vehicle_ids was not found.")
    statuses = params.string_list("statuses") or []
    for status in statuses:
        if status not in Status.values:
            raise ValidationFailed(
                f"Unknown status {status!r}; use {', '.join(Status.values)}.", field="statuses"
            )
    sort = []
    for option in params.string_list("sort") or []:
        name, _, direction = option.partition("=")
        name, direction = name.strip(), (direction.strip().lower() or "asc")
        if name not in queries.SORT_FIELDS or direction not in {"asc", "desc"}:
            raise ValidationFailed(
                f"Unknown sort option {option!r}; use one of "
                f"{', '.join(queries.SORT_FIELDS)} with =asc or =desc.",
                field="sort",
            )
        sort.append((name, direction))
    return queries.TaskFilters(
        statuses=tuple(statuses),
        vehicle_ids=tuple(vehicle_ids),
        unplanned=True if params.boolean("only_unplanned", False) else None,
        sort=tuple(sort) or queries.DEFAULT_SORT,
    )


def _page(params: _Params) -> slice:
    limit, offset = params.integer("limit"), params.integer("offset") or 0
    for name, value in (("limit", limit), ("offset", offset)):
        if value is not None and not 0 <= value <= MAX_PAGE_VALUE:
            raise ValidationFailed(f"{name} must be between 0 and {MAX_PAGE_VALUE}.", field=name)
    return slice(offset, None if limit is None else offset + limit)


# The task's columns the vendor's object shows: all but the creation and change times.
_TASK_FIELDS = tuple(f for f in queries.TASK_ROW_FIELDS if f not in {"created_at", "updated_at"})


@_endpoint(writes=False)
def service_task_list(org: Organization, params: _Params) -> dict:
    prediction = params.boolean("return_prediction", True)
    clock = _Clock.of(org, params)
    page = _page(params)
    limit = None if page.stop is None else page.stop - page.start
    filters = _list_filters(org, params)
    rows = queries.task_rows(
        org, filters, offset=page.start, limit=limit, fields=_TASK_FIELDS, wear_at=clock.now
    )
    return {
        "list": [
            _task_json(row, clock, prediction=prediction, file_ids=row.file_ids) for row in rows
        ]
    }


@csrf_exempt
@require_http_methods(["GET", "POST"])
def service_task_download(request: HttpRequest) -> HttpResponse:
    """The report of service works as a file; failures in the vendor's JSON envelope."""
    from fleetmaint.reports import task_report

    try:
        params = _params_of(request)
        org = _authenticate(request, params).org
        page = _page(params)
        report = task_report.report_request(
            _list_filters(org, params),
            format=params.string("format"),
            group_by=params.string("group_by"),
            paper=params.string("paper"),
            limit=None if page.stop is None else page.stop - page.start,
            offset=page.start,
        )
        out = task_report.report_file(org, report)
    except VendorError as error:
        return _fail(error.code, error.description)
    except DomainError as error:
        return _fail(_vendor_code(error), error.message)
    response = FileResponse(out, content_type=task_report.content_type(report))
    if params.boolean("add_filename_header", False):
        response["Content-Disposition"] = (
            f'attachment; filename="{task_report.filename(org, report)}"'
        )
    return response


# --- vehicles ---------------------------------------------------------------------------


@_endpoint(writes=False)
def vehicle_list(org: Organization, params: _Params) -> dict:
    vehicles = vehicle_queries.vehicle_list(org, vehicle_queries.VehicleFilters(archived=None))
    return {"list": [_vehicle_json(row) for row in vehicles.values(*_VEHICLE_FIELDS)]}


@_endpoint(writes=False)
def vehicle_read(org: Organization, params: _Params) -> dict:
    vehicle = _vehicle(org, params.integer("vehicle_id", required=True))
    return {"value": _vehicle_json({name: getattr(vehicle, name) for name in _VEHICLE_FIELDS})}
