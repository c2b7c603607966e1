"""Service tasks ("service works", seed 004) over JSON; every rule is in tasks.services.

The request bodies are the task's typed inputs (``tasks.inputs``): a wrong value
is answered 400 with a plain message naming the field's path.
"""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Annotated, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from fleetmaint.accounts.models import Organization
from fleetmaint.api import changes
from fleetmaint.api.common import SortOption, find_vehicle, json_moment, rows_response
from fleetmaint.errors import NotFound, ValidationFailed
from fleetmaint.tasks import queries, services
from fleetmaint.tasks.completion import CompletionInput
from fleetmaint.tasks.inputs import Id, Input, TaskInput
from fleetmaint.tasks.measures import given_conditions, wear
from fleetmaint.tasks.models import ServiceTask
from fleetmaint.tasks.models import Status as TaskStatus
from fleetmaint.tasks.sorting import SORT_NAMES
from fleetmaint.vehicles.models import Vehicle

router = Router(tags=["tasks"])

# Beyond any real list, and well inside what the database accepts as an OFFSET.
MAX_OFFSET = 1_000_000_000
MAX_BATCH = 1_000

StatusName = Literal["created", "notified", "expired", "done"]


# --- input ----------------------------------------------------------------------------


class TaskIn(TaskInput):
    vehicle_id: Id


class TaskUpdateIn(TaskInput):
    vehicle_id: Id | None = Field(None, description="If given, the task's own vehicle.")


class BatchIn(Input):
    vehicle_ids: list[Id] = Field(min_length=1, max_length=MAX_BATCH)
    task: TaskInput


# --- output ---------------------------------------------------------------------------


class MileageConditionOut(Schema):
    limit: int
    notification_interval: int | None
    repeat_interval: int | None


class DateConditionOut(Schema):
    end: datetime
    notification_interval: int | None
    repeat_interval: int | None


class HoursConditionOut(Schema):
    limit: float
    notification_interval: float | None
    repeat_interval: float | None


class ConditionsOut(Schema):
    mileage: MileageConditionOut | None
    date: DateConditionOut | None
    engine_hours: HoursConditionOut | None


class NotificationsOut(Schema):
    sms_phones: list[str]
    emails: list[str]
    push_enabled: bool


class PositionOut(Schema):
    mileage: int | None
    date: datetime | None
    engine_hours: float | None


class PredictionOut(Schema):
    end_date: datetime | None
    wear_percentage: int


class TaskOut(Schema):
    id: int
    vehicle_id: int
    vehicle_label: str
    description: str
    comment: str
    cost: float
    repeat: bool
    unplanned: bool
    status: StatusName
    status_condition: Literal["mileage", "date", "engine_hours"] | None
    conditions: ConditionsOut
    notifications: NotificationsOut
    start: PositionOut
    completion: PositionOut | None
    completion_date: datetime | None
    current_position: PositionOut
    prediction: PredictionOut
    file_ids: list[int]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_vehicle_label(obj: ServiceTask) -> str:
        return obj.vehicle.label

    @staticmethod
    def resolve_status_condition(obj: ServiceTask) -> str | None:
        return obj.status_condition or None

    @staticmethod
    def resolve_conditions(obj: ServiceTask) -> dict:
        given = given_conditions(obj)
        return {kind: given.get(kind) for kind in ("mileage", "date", "engine_hours")}

    @staticmethod
    def resolve_notifications(obj: ServiceTask) -> dict:
        return {
            "sms_phones": obj.sms_phones,
            "emails": obj.emails,
            "push_enabled": obj.push_enabled,
        }

    @staticmethod
    def resolve_start(obj: ServiceTask) -> dict:
        return {
            "mileage": obj.start_mileage,
            "date": obj.start_date,
            "engine_hours": obj.start_engine_hours,
        }

    @staticmethod
    def resolve_completion(obj: ServiceTask) -> dict | None:
        if obj.status != TaskStatus.DONE:
            return None
        return {
            "mileage": obj.completion_mileage,
            "date": obj.completion_date,
            "engine_hours": obj.completion_engine_hours,
        }

    @staticmethod
    def resolve_current_position(obj: ServiceTask) -> dict:
        vehicle = obj.vehicle
        return {
            "mileage": vehicle.odometer,
            "date": timezone.now(),
            "engine_hours": vehicle.engine_hours,
        }

    @staticmethod
    def resolve_prediction(obj: ServiceTask) -> dict:
        return {"end_date": obj.predicted_end_date, "wear_percentage": wear(obj)}

    @staticmethod
    def resolve_file_ids(obj: ServiceTask) -> list[int]:
        # From the prefetched files when the list loaded them, so no query per row.
        return sorted(f.pk for f in obj.files.all())


class TaskPage(Schema):
    count: int
    items: list[TaskOut]
    next_cursor: str | None = Field(None, description="With `changed_since`: the next cursor.")


class DoneOut(Schema):
    task: TaskOut
    next: TaskOut | None


class BatchOut(Schema):
    created: int
    ids: list[int]


class CompletionOut(Schema):
    id: int
    done_at: datetime
    odometer: int | None
    engine_hours: float | None
    cost: float
    servicer: str
    notes: str
    reopened_at: datetime | None


class FileOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    uploaded_at: datetime


# --- a list's rows, in TaskOut's shape ----------------------------------------------------


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _item_conditions(row: SimpleNamespace) -> dict:
    given = given_conditions(row)  # the row's date end is already JSON text
    hours = given.get("engine_hours")
    if hours is not None:
        hours = {name: _float(value) for name, value in hours.items()}
    return {"mileage": given.get("mileage"), "date": given.get("date"), "engine_hours": hours}


def _task_item(row: SimpleNamespace, now_text: str) -> dict:
    """``TaskOut`` of a row from ``queries.task_rows``, as its resolvers give it for a task."""
    vehicle = row.vehicle
    done = row.status == TaskStatus.DONE
    completion_date = row.completion_date  # moments come as text: LIST_MOMENTS
    return {
        "id": row.id,
        "vehicle_id": row.vehicle_id,
        "vehicle_label": vehicle.label,
        "description": row.description,
        "comment": row.comment,
        "cost": float(row.cost),
        "repeat": row.repeat,
        "unplanned": row.unplanned,
        "status": row.status,
        "status_condition": row.status_condition or None,
        "conditions": _item_conditions(row),
        "notifications": {
            "sms_phones": row.sms_phones,
            "emails": row.emails,
            "push_enabled": row.push_enabled,
        },
        "start": {
            "mileage": row.start_mileage,
            "date": row.start_date,
            "engine_hours": _float(row.start_engine_hours),
        },
        "completion": {
            "mileage": row.completion_mileage,
            "date": completion_date,
            "engine_hours": _float(row.completion_engine_hours),
        }
        if done
        else None,
        "completion_date": completion_date,
        "current_position": {
            "mileage": vehicle.odometer,
            "date": now_text,
            "engine_hours": _float(vehicle.engine_hours),
        },
        "prediction": {
            "end_date": row.predicted_end_date,
            "wear_percentage": row.wear,
        },
        "file_ids": row.file_ids,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


# --- helpers --------------------------------------------------------------------------


def _task(request: HttpRequest, task_id: int) -> ServiceTask:
    return queries.task_for(request.org, task_id)


def _vehicle(request: HttpRequest, vehicle_id: int) -> Vehicle:
    vehicle = find_vehicle(request, vehicle_id)
    if vehicle is None:
        raise NotFound("Vehicle not found.", field="vehicle_id")
    return vehicle


# --- endpoints ------------------------------------------------------------------------


SORT_HELP = (
    f"Repeatable 'field=asc|desc' over {', '.join(SORT_NAMES)}. An empty value is ignored. "
    "Default: predicted_date=asc, unknown dates last."
)


# A list reads its moments as text and its wear from SQL (tasks.wear_sql).
LIST_MOMENTS = (
    "date_end",
    "start_date",
    "completion_date",
    "predicted_end_date",
    "created_at",
    "updated_at",
)


@router.get("/tasks", response=TaskPage)
def list_tasks(
    request: HttpRequest,
    status: Annotated[list[StatusName] | None, Query(description="Repeatable.")] = None,
    vehicle_id: Annotated[list[int] | None, Query(description="Repeatable.")] = None,
    unplanned: bool | None = None,
    search: str = Query("", description="Text in the description, comment or vehicle."),
    sort: Annotated[list[SortOption] | None, Query(description=SORT_HELP)] = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    changed_since: str | None = Query(None, description=changes.HELP),
):
    filters = queries.TaskFilters(
        statuses=tuple(status or ()),
        vehicle_ids=tuple(vehicle_id or ()),
        unplanned=unplanned,
        search=search,
        sort=queries.parse_sort(sort or []),
    )
    if changed_since is not None:
        return changes.changed_page(
            queries.task_list(request.org, filters).order_by(),
            changed_since,
            moment="updated_at",
            limit=limit,
            items_of=_changed_task_items(request.org),
        )
    count = queries.task_count(request.org, filters, queries.task_list(request.org, filters))
    now = timezone.now()
    rows = queries.task_rows(
        request.org, filters, offset=offset, limit=limit, json_moments=LIST_MOMENTS, wear_at=now
    )
    now_text = json_moment(now)
    items = [_task_item(row, now_text) for row in rows]
    return rows_response({"count": count, "items": items})


def _task_items(org: Organization, filters: queries.TaskFilters, limit: int) -> list[dict]:
    """A page of the task list as plain rows in ``TaskOut``'s shape."""
    now = timezone.now()
    rows = queries.task_rows(
        org, filters, offset=0, limit=limit, json_moments=LIST_MOMENTS, wear_at=now
    )
    now_text = json_moment(now)
    return [_task_item(row, now_text) for row in rows]


def _changed_task_items(org: Organization) -> Callable[[QuerySet[ServiceTask]], list[dict]]:
    def items_of(page: QuerySet[ServiceTask]) -> list[dict]:
        ids = tuple(page.values_list("pk", flat=True))
        return _task_items(org, queries.TaskFilters(task_ids=ids), len(ids))

    return items_of


@router.post("/tasks", response={201: TaskOut})
def create_task(request: HttpRequest, payload: TaskIn):
    vehicle = _vehicle(request, payload.vehicle_id)
    return Status(201, services.task_create(vehicle=vehicle, data=payload))


@router.post("/tasks/batch", response={201: BatchOut})
def batch_create_tasks(request: HttpRequest, payload: BatchIn):
    """The same task for every vehicle; all of them or, on any error, none."""
    tasks = services.tasks_batch_create(
        org=request.org, vehicle_ids=payload.vehicle_ids, data=payload.task
    )
    return Status(201, {"created": len(tasks), "ids": [t.pk for t in tasks]})


@router.get("/tasks/{task_id}", response=TaskOut)
def read_task(request: HttpRequest, task_id: int):
    return _task(request, task_id)


@router.put("/tasks/{task_id}", response=TaskOut)
def update_task(request: HttpRequest, task_id: int, payload: TaskUpdateIn):
    """Replaces the task's information, conditions, notification targets and files.

    The status follows the new conditions: a raised limit reopens the task. A file
    left out of ``file_ids`` is detached, and deleted when no other task holds it.
    """
    return services.task_update(
        task=_task(request, task_id), data=payload, vehicle_id=payload.vehicle_id
    )


@router.delete("/tasks/{task_id}", response={204: None})
def delete_task(request: HttpRequest, task_id: int):
    task = _task(request, task_id)
    services.tasks_delete(org=request.org, task_ids=[task.pk])
    return Status(204, None)


@router.post("/tasks/{task_id}/done", response=DoneOut)
def mark_task_done(request: HttpRequest, task_id: int, payload: CompletionInput | None = None):
    """Records what happened and freezes the task; a repeating task's next one is in ``next``.

    Every field may be left out: the date is now, the meters the vehicle's current
    ones, the cost the task's own. A given meter value is recorded as a reading
    through the reading rules: below the current one it is refused (400, naming the
    current value and its date); an implausible jump needs ``confirm_jump``
    (400, code ``confirmation_required``).
    """
    done, successor = services.task_mark_done(
        task=_task(request, task_id), completion=payload or CompletionInput(), actor=_actor(request)
    )
    return {"task": done, "next": successor}


@router.post("/tasks/{task_id}/reopen", response=TaskOut)
def reopen_task(request: HttpRequest, task_id: int):
    """Takes back a completion made by mistake; it stays in ``completions`` as reopened.

    The next task its repetition scheduled is removed when untouched (not edited,
    on no quote or order, no files of its own); otherwise 409 says why.
    """
    return services.task_reopen(task=_task(request, task_id), actor=_actor(request))


@router.get("/tasks/{task_id}/completions", response=list[CompletionOut])
def list_task_completions(request: HttpRequest, task_id: int):
    """Every time the task was marked done, newest first, reopened ones included."""
    return list(_task(request, task_id).completions.order_by("-done_at", "-pk"))


def _actor(request: HttpRequest):
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


@router.get("/tasks/{task_id}/files", response=list[FileOut])
def list_task_files(request: HttpRequest, task_id: int):
    return list(_task(request, task_id).files.all())


@router.post("/tasks/{task_id}/files", response={201: FileOut})
def upload_task_file(request: HttpRequest, task_id: int, file: File[UploadedFile] = None):
    """A PDF, PNG, JPEG, GIF or WebP file, as multipart form field ``file``."""
    task = _task(request, task_id)
    if file is None:
        raise ValidationFailed("Send the file as the multipart form field 'file'.", field="file")
    stored = services.file_upload(org=request.org, upload=file)
    services.task_attach(task=task, files=[stored])
    return Status(201, stored)


@router.delete("/tasks/{task_id}/files/{file_id}", response={204: None})
def delete_task_file(request: HttpRequest, task_id: int, file_id: int):
    """Detaches the file; it is deleted when no other task holds it."""
    services.task_detach(task=_task(request, task_id), file_id=file_id)
    return Status(204, None)
