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

Service errors are mapped by their stable ``code`` (and the field at fault),
never by their words, which are the services' plain messages.

The HTTP statuses follow the vendor's error table, where 400 is the default
and only some codes have their own (11 → 403, 204 → 404). Code 201 ("Not
found in the database") therefore answers HTTP 400, whether the vehicle is
missing or the counter a condition needs; the seed itself uses 201 for both.

Times go out as ``yyyy-MM-dd HH:mm:ss`` in the organization's time zone, or as
ISO 8601 with the offset when the request says ``iso_datetime=true``.

This module only translates: the rules (validation, statuses, repetition,
wear, prediction) live in ``fleetmaint.tasks.services``, the task's typed input
in ``fleetmaint.tasks.inputs`` (the vendor's task object has its shape).
Reading the parameters is in ``navixy_params``, writing the task and vehicle
objects in ``navixy_json``.
"""

import functools
import re
from collections.abc import Callable

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from fleetmaint.accounts.models import ApiKey, Organization
from fleetmaint.accounts.services import API_KEY_PREFIX
from fleetmaint.attempts import services as attempts
from fleetmaint.compat.keys import bearer_token, key_from
from fleetmaint.compat.navixy_json import (
    TASK_FIELDS,
    VEHICLE_FIELDS,
    Clock,
    task_json,
    vehicle_json,
)
from fleetmaint.compat.navixy_params import Params, as_int, page_of, params_of
from fleetmaint.errors import DomainError, TooManyAttempts, ValidationFailed
from fleetmaint.tasks import queries, services
from fleetmaint.tasks.inputs import TaskInput
from fleetmaint.tasks.models import Status
from fleetmaint.vehicles import queries as vehicle_queries
from fleetmaint.vehicles.models import Vehicle

KEY_SCHEME = "NVX"
# Our keys are the prefix and the URL-safe base64 of 32 random bytes.
KEY_SHAPE = re.compile(rf"^{re.escape(API_KEY_PREFIX)}[A-Za-z0-9_-]{{20,128}}$")

WRONG_HASH, KEY_NOT_FOUND, INVALID_PARAMETERS, ACCESS_DENIED = 3, 4, 7, 11
TOO_MANY_REQUESTS = 15  # the vendor's "Too many requests (rate limit exceeded)"
NOT_IN_DATABASE, ENTITY_NOT_FOUND, NOT_SUPPORTED, NONEXISTENT_IN_LIST = 201, 204, 214, 217
HTTP_STATUS = {ACCESS_DENIED: 403, ENTITY_NOT_FOUND: 404, TOO_MANY_REQUESTS: 429}  # else 400

Handler = Callable[[Organization, Params], dict]


class VendorError(Exception):
    """A failure that has no service error behind it, in the vendor's terms."""

    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code = code
        self.description = description


# Our errors' codes as the vendor's; any other (invalid, conflict, ...) is "invalid parameters".
VENDOR_CODES = {
    "engine_hours_not_tracked": NOT_SUPPORTED,
    "meter_missing": NOT_IN_DATABASE,
    "unknown_vehicles": NONEXISTENT_IN_LIST,
    "not_found": ENTITY_NOT_FOUND,
    "forbidden": ACCESS_DENIED,
}
# A vehicle that is not there is "not in the database"; a task that is not, "entity not found";
# files the task names but that are not there, "invalid parameters".
VEHICLE_FIELDS_NOT_IN_DATABASE = {"vehicle_id", "vehicle_ids"}


def _vendor_code(error: DomainError) -> int:
    if error.code == "not_found" and error.field in VEHICLE_FIELDS_NOT_IN_DATABASE:
        return NOT_IN_DATABASE
    if error.code == "not_found" and error.field == "file_ids":
        return INVALID_PARAMETERS
    return VENDOR_CODES.get(error.code, INVALID_PARAMETERS)


def _ok(fields: dict) -> JsonResponse:
    return JsonResponse({"success": True, **fields})


def _fail(code: int, description: str) -> JsonResponse:
    return JsonResponse(
        {"success": False, "status": {"code": code, "description": description}},
        status=HTTP_STATUS.get(code, 400),
    )


# --- reading the request ----------------------------------------------------------------


def _authenticate(request: HttpRequest, params: Params) -> ApiKey:
    raw = params.typed.get("hash")
    if raw is not None and not isinstance(raw, str):
        raise VendorError(WRONG_HASH, "Wrong hash: hash must be text.")
    raw = (raw or "").strip() or params.text.get("hash", "").strip()
    raw = raw or bearer_token(request, KEY_SCHEME)
    if not raw:
        raise VendorError(
            WRONG_HASH, f"Wrong hash: send the API key as hash or 'Authorization: {KEY_SCHEME}'."
        )
    try:
        key = attempts.key_lookup(request, lambda: key_from(raw) if KEY_SHAPE.match(raw) else None)
    except TooManyAttempts as locked:
        raise VendorError(TOO_MANY_REQUESTS, f"Too many requests: {locked.message}") from None
    if key is None and not KEY_SHAPE.match(raw):
        raise VendorError(WRONG_HASH, "Wrong hash: that is not an API key of this system.")
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
                params = params_of(request)
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


# --- translating the task object --------------------------------------------------------


def _given(data: dict) -> dict:
    """The object without its null values: the vendor's null means "left out"."""
    return {key: value for key, value in data.items() if value is not None}


def _task_input(task: dict) -> TaskInput:
    """The vendor's task object as our typed input (the same shape).

    A field left out or null takes its default, as in the vendor's API: an
    update sends the whole task. Other keys (``id``, ``status``...) are ignored.
    """
    given = _given(task)
    for part in ("conditions", "notifications"):
        if isinstance(given.get(part), dict):
            given[part] = _given(given[part])
    return TaskInput.model_validate(given)


def _vehicle(org: Organization, vehicle_id: int) -> Vehicle:
    vehicle = Vehicle.objects.for_org(org).select_related("org").filter(pk=vehicle_id).first()
    if vehicle is None:
        raise VendorError(NOT_IN_DATABASE, f"Vehicle {vehicle_id} not found.")
    return vehicle


def _task_field_id(task: dict, key: str) -> int:
    if task.get(key) is None:
        raise ValidationFailed(f"task.{key} is required.", field=f"task.{key}")
    return as_int(task[key], f"task.{key}", text_allowed=False)


# --- service tasks ----------------------------------------------------------------------


@_endpoint(writes=True)
def service_task_create(org: Organization, params: Params) -> dict:
    task = params.structure("task", dict, required=True)
    vehicle = _vehicle(org, _task_field_id(task, "vehicle_id"))
    created = services.task_create(vehicle=vehicle, data=_task_input(task))
    return {"id": created.pk}


@_endpoint(writes=True)
def service_task_batch_create(org: Organization, params: Params) -> dict:
    vehicle_ids = params.int_list("vehicle_ids", required=True)
    task = params.structure("task", dict, required=True)
    services.tasks_batch_create(org=org, vehicle_ids=vehicle_ids, data=_task_input(task))
    return {}


@_endpoint(writes=True)
def service_task_update(org: Organization, params: Params) -> dict:
    given = params.structure("task", dict, required=True)
    task = queries.task_for(org, _task_field_id(given, "id"))
    vehicle_id = None if given.get("vehicle_id") is None else _task_field_id(given, "vehicle_id")
    services.task_update(task=task, data=_task_input(given), vehicle_id=vehicle_id)
    return {}


@_endpoint(writes=True)
def service_task_delete(org: Organization, params: Params) -> dict:
    task_id = params.integer("task_id")
    task_ids = params.int_list("task_ids")
    wanted = ([task_id] if task_id is not None else []) + (task_ids or [])
    if not wanted:
        raise ValidationFailed("Give task_id or task_ids.", field="task_id")
    services.tasks_delete(org=org, task_ids=wanted)
    return {}


@_endpoint(writes=False)
def service_task_read(org: Organization, params: Params) -> dict:
    prediction = params.boolean("return_prediction", True)
    clock = Clock.of(org, params)
    task = queries.task_for(org, params.integer("task_id", required=True))
    file_ids = sorted(f.pk for f in task.files.all())
    return {"value": task_json(task, clock, prediction=prediction, file_ids=file_ids)}


@_endpoint(writes=True)
def service_task_set_status(org: Organization, params: Params) -> dict:
    task_id = params.integer("task_id", required=True)
    status = params.string("status")
    if status != Status.DONE:
        raise ValidationFailed("Only the status done can be set.", field="status")
    services.task_mark_done(task=queries.task_for(org, task_id))
    return {}


def _list_filters(org: Organization, params: Params) -> queries.TaskFilters:
    """The vendor's list parameters as the shared task filters; nonsense is refused.

    A missing vehicle in the list is "not in the database" (``_vendor_code``).
    """
    return queries.strict_filters(
        org,
        only_unplanned=params.boolean("only_unplanned", False),
        vehicle_ids=params.int_list("vehicle_ids") or [],
        statuses=params.string_list("statuses") or [],
        sort=params.string_list("sort") or [],
    )


@_endpoint(writes=False)
def service_task_list(org: Organization, params: Params) -> dict:
    prediction = params.boolean("return_prediction", True)
    clock = Clock.of(org, params)
    page = page_of(params)
    limit = None if page.stop is None else page.stop - page.start
    filters = _list_filters(org, params)
    rows = queries.task_rows(
        org,
        filters,
        offset=page.start,
        limit=limit,
        fields=TASK_FIELDS,
        local_moments=clock.list_moments(),
        wear_at=clock.now,
    )
    return {
        "list": [
            task_json(row, clock, prediction=prediction, file_ids=row.file_ids) for row in rows
        ]
    }


@csrf_exempt
@require_http_methods(["GET", "POST"])
def service_task_download(request: HttpRequest) -> HttpResponse:
    """The report of service works as a file; failures in the vendor's JSON envelope."""
    from fleetmaint.reports import task_report

    try:
        params = params_of(request)
        org = _authenticate(request, params).org
        page = page_of(params)
        named = params.boolean("add_filename_header", False)
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
    if named:
        response["Content-Disposition"] = (
            f'attachment; filename="{task_report.filename(org, report)}"'
        )
    return response


# --- vehicles ---------------------------------------------------------------------------


@_endpoint(writes=False)
def vehicle_list(org: Organization, params: Params) -> dict:
    vehicles = vehicle_queries.vehicle_list(org, vehicle_queries.VehicleFilters(archived=None))
    return {"list": [vehicle_json(row) for row in vehicles.values(*VEHICLE_FIELDS)]}


@_endpoint(writes=False)
def vehicle_read(org: Organization, params: Params) -> dict:
    vehicle = _vehicle(org, params.integer("vehicle_id", required=True))
    return {"value": vehicle_json({name: getattr(vehicle, name) for name in VEHICLE_FIELDS})}
