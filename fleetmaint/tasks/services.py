"""Service task writes: create, batch, update, done (and repetition), reopen, delete, files.

Every rule about a task is decided here, on typed input (``tasks.inputs``).
The status of a task is decided by ``vehicles.meters.task_status`` from its
conditions (measured in ``tasks.measures``). Moving tasks forward (created →
notified → expired) happens in sets, in ``tasks.evaluation``: one UPDATE for
the moves and two INSERTs for their notifications, for one vehicle after a
reading or for every fleet in the sweep.
"""

import zoneinfo
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from fleetmaint.accounts.models import Organization
from fleetmaint.errors import Conflict, NotFound, ValidationFailed
from fleetmaint.files import check_upload, delete_after_commit
from fleetmaint.inputs import clean_text

# The set-based moves, the measures and the input types are part of this service's surface:
# other apps (readings, orders, reports, the sweep) call them by these names.
from fleetmaint.tasks.completion import CompletionInput as CompletionInput
from fleetmaint.tasks.completion import completion_moment, record_meters
from fleetmaint.tasks.evaluation import tasks_evaluate as tasks_evaluate
from fleetmaint.tasks.evaluation import tasks_refresh_predictions as tasks_refresh_predictions
from fleetmaint.tasks.evaluation import tasks_settle as tasks_settle
from fleetmaint.tasks.evaluation import tasks_sweep_dates as tasks_sweep_dates
from fleetmaint.tasks.inputs import (
    INFO_FIELDS,
    MAX_DAYS,
    MAX_TEXT,
    check_changed_task,
    check_new_task,
)
from fleetmaint.tasks.inputs import Conditions as Conditions
from fleetmaint.tasks.inputs import DoneInput as DoneInput
from fleetmaint.tasks.inputs import TaskInput as TaskInput
from fleetmaint.tasks.measures import CleanConditions as CleanConditions
from fleetmaint.tasks.measures import apply_conditions as apply_conditions
from fleetmaint.tasks.measures import given_conditions as given_conditions
from fleetmaint.tasks.measures import predict_end_date as predict_end_date
from fleetmaint.tasks.measures import task_conditions as task_conditions
from fleetmaint.tasks.measures import wear as wear
from fleetmaint.tasks.models import ServiceTask, Status, TaskCompletion, TaskFile
from fleetmaint.vehicles import meters
from fleetmaint.vehicles.models import Vehicle

_RANK = {Status.CREATED: 0, Status.NOTIFIED: 1, Status.EXPIRED: 2, Status.DONE: 3}


class EngineHoursNotTracked(ValidationFailed):
    code = "engine_hours_not_tracked"


class MeterMissing(ValidationFailed):
    code = "meter_missing"


class UnknownVehicles(NotFound):
    code = "unknown_vehicles"


# --- checks that need the organization or the vehicle ------------------------------------


def _due(moment: datetime, org: Organization) -> datetime:
    """The date condition's end as a moment: a wall-clock time is the organization's."""
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(org.time_zone))
    now = timezone.now()
    # Far-off years overflow date arithmetic and time-zone conversion later on.
    if not now - timedelta(days=MAX_DAYS) <= moment <= now + timedelta(days=MAX_DAYS):
        raise ValidationFailed(
            "The due date must be within a hundred years of today.", field="conditions.date.end"
        )
    return moment


def _clean_conditions(conditions: Conditions, org: Organization) -> CleanConditions:
    if not conditions.given():
        raise ValidationFailed(
            "Give at least one condition: a mileage, a date or engine hours.", field="conditions"
        )
    clean = CleanConditions()
    if (mileage := conditions.mileage) is not None:
        clean.mileage_limit = mileage.limit
        clean.mileage_notify = mileage.notification_interval
        clean.mileage_repeat = mileage.repeat_interval
    if (date := conditions.date) is not None:
        clean.date_end = _due(date.end, org)
        clean.date_notify_days = date.notification_interval
        clean.date_repeat_days = date.repeat_interval
    if (hours := conditions.engine_hours) is not None:
        clean.hours_limit = hours.limit
        clean.hours_notify = hours.notification_interval
        clean.hours_repeat = hours.repeat_interval
    return clean


def _files(org: Organization, file_ids: list[int]) -> list[TaskFile]:
    found = list(TaskFile.objects.filter(org=org, pk__in=file_ids))
    if len(found) != len(set(file_ids)):
        raise NotFound("One of the files does not exist.", field="file_ids")
    return found


def _check_vehicle_supports(vehicle: Vehicle, conditions: CleanConditions) -> None:
    if vehicle.archived:
        raise ValidationFailed(
            f"{vehicle.label} is archived; restore it before giving it tasks.", field="vehicle_id"
        )
    if conditions.hours_limit is not None and not vehicle.tracks_engine_hours:
        raise EngineHoursNotTracked(
            f"{vehicle.label} does not track engine hours.", field="conditions.engine_hours"
        )
    if conditions.mileage_limit is not None and vehicle.odometer is None:
        raise MeterMissing(
            f"{vehicle.label} has no odometer reading yet; add one before a mileage condition.",
            field="conditions.mileage",
        )
    if conditions.hours_limit is not None and vehicle.engine_hours is None:
        raise MeterMissing(
            f"{vehicle.label} has no engine-hours reading yet.", field="conditions.engine_hours"
        )


def _info(data: TaskInput) -> dict:
    """The task's information fields from the input (``INFO_FIELDS``)."""
    return {name: getattr(data, name) for name in INFO_FIELDS}


# --- writes ---------------------------------------------------------------------------


def _new_task(
    vehicle: Vehicle, data: TaskInput, conditions: CleanConditions, now: datetime
) -> ServiceTask:
    task = ServiceTask(
        org_id=vehicle.org_id,
        vehicle=vehicle,
        **_info(data),
        start_mileage=vehicle.odometer,
        start_engine_hours=vehicle.engine_hours,
        start_date=now,
    )
    apply_conditions(task, conditions)
    task.predicted_end_date = predict_end_date(task)
    return task


def task_create(*, vehicle: Vehicle, data: TaskInput) -> ServiceTask:
    """A task for one vehicle, with the right status from the start."""
    conditions = _clean_conditions(data.conditions, vehicle.org)
    check_new_task(data, end=conditions.date_end, org=vehicle.org, now=timezone.now())
    files = _files(vehicle.org, data.file_ids)
    _check_vehicle_supports(vehicle, conditions)
    with transaction.atomic():
        task = _new_task(vehicle, data, conditions, timezone.now())
        task.save()
        task.files.set(files)
        tasks_evaluate(task_ids=[task.pk])
    task.refresh_from_db()
    return task


def tasks_batch_create(
    *, org: Organization, vehicle_ids: list[int], data: TaskInput
) -> list[ServiceTask]:
    """The same task for many vehicles, all or nothing; the files are shared."""
    if not vehicle_ids:
        raise ValidationFailed("Choose at least one vehicle.", field="vehicle_ids")
    conditions = _clean_conditions(data.conditions, org)
    check_new_task(data, end=conditions.date_end, org=org, now=timezone.now())
    files = _files(org, data.file_ids)
    vehicles = list(Vehicle.objects.for_org(org).filter(pk__in=vehicle_ids).select_related("org"))
    missing = sorted(set(vehicle_ids) - {v.pk for v in vehicles})
    if missing:
        raise UnknownVehicles(
            f"Vehicle {missing[0]} does not exist; nothing was created.", field="vehicle_ids"
        )
    for vehicle in vehicles:
        _check_vehicle_supports(vehicle, conditions)
    now = timezone.now()
    with transaction.atomic():
        tasks = ServiceTask.objects.bulk_create(
            [_new_task(v, data, conditions, now) for v in vehicles]
        )
        links = ServiceTask.files.through
        links.objects.bulk_create(
            [links(servicetask_id=t.pk, taskfile_id=f.pk) for t in tasks for f in files]
        )
        tasks_evaluate(task_ids=[t.pk for t in tasks])
    return tasks


def task_update(
    *, task: ServiceTask, data: TaskInput, vehicle_id: int | None = None
) -> ServiceTask:
    """Changes information, conditions and targets; the status follows the new conditions.

    A task stays on its vehicle: ``vehicle_id``, when a client sends it, must be
    the task's own. A status that the new conditions take back (a limit was
    raised) reopens the task; its next crossing is told again, as a new cycle.
    """
    if vehicle_id is not None and vehicle_id != task.vehicle_id:
        raise ValidationFailed(
            "A task stays on its vehicle; create a new task for another vehicle.",
            field="vehicle_id",
        )
    if task.status == Status.DONE:
        raise Conflict("A task that is done cannot be changed.", field="status")
    vehicle = task.vehicle
    conditions = _clean_conditions(data.conditions, vehicle.org)
    check_changed_task(
        data, end=conditions.date_end, org=vehicle.org, now=timezone.now(), start=task.start_date
    )
    files = _files(vehicle.org, data.file_ids)
    _check_vehicle_supports(vehicle, conditions)
    with transaction.atomic():
        locked = ServiceTask.objects.select_for_update().select_related("vehicle").get(pk=task.pk)
        if locked.status == Status.DONE:
            raise Conflict("A task that is done cannot be changed.", field="status")
        for name, value in _info(data).items():
            setattr(locked, name, value)
        if locked.start_mileage is None:
            locked.start_mileage = vehicle.odometer
        if locked.start_engine_hours is None:
            locked.start_engine_hours = vehicle.engine_hours
        apply_conditions(locked, conditions)
        status, deciding = meters.task_status(task_conditions(locked))
        if _RANK[status] < _RANK[locked.status]:
            locked.status, locked.status_condition = status, deciding
            locked.cycle += 1
        locked.predicted_end_date = predict_end_date(locked)
        locked.edited_at = timezone.now()
        locked.save()
        dropped = set(locked.files.values_list("pk", flat=True)) - {f.pk for f in files}
        locked.files.set(files)
        # A file the update drops goes like a detached one: when no other task holds it.
        _delete_orphan_files(list(dropped))
        tasks_evaluate(task_ids=[locked.pk])
    locked.refresh_from_db()
    return locked


def task_mark_done(
    *,
    task: ServiceTask,
    odometer: int | None = None,
    engine_hours: Decimal | None = None,
    completion: CompletionInput | None = None,
    actor=None,
) -> tuple[ServiceTask, ServiceTask | None]:
    """Records what happened and freezes the task; a repeating task gets its next one.

    ``completion`` says when, the meters, the cost, the servicer and notes; the
    bare ``odometer`` and ``engine_hours`` are what orders and the vendor API
    send. Meters default to the vehicle's current ones; a given value is
    recorded as a reading through the reading rules. Only the first of two
    concurrent calls completes the task; the second finds it done and changes
    nothing. Returns the task and its successor.
    """
    completion = completion or CompletionInput()
    if odometer is not None and completion.odometer is None:
        completion = completion.model_copy(update={"odometer": odometer})
    if engine_hours is not None and completion.engine_hours is None:
        completion = completion.model_copy(update={"engine_hours": engine_hours})
    hours = completion.engine_hours
    if hours is not None:
        hours = Decimal(hours).quantize(Decimal("0.1"))
        if not task.vehicle.tracks_engine_hours:
            raise EngineHoursNotTracked(
                f"{task.vehicle.label} does not track engine hours.", field="engine_hours"
            )
    done_at = completion_moment(completion.done_at, task.vehicle.org.time_zone, field="done_at")
    with transaction.atomic():
        locked = (
            ServiceTask.objects.select_for_update(of=("self",))
            .select_related("vehicle", "org")
            .filter(pk=task.pk)
            .first()
        )
        if locked is None:
            raise NotFound("That task does not exist.")
        if locked.status == Status.DONE:
            return locked, getattr(locked, "repeated_by", None)
        vehicle = locked.vehicle
        mileage = completion.odometer if completion.odometer is not None else vehicle.odometer
        if hours is None:
            hours = vehicle.engine_hours
        planned_cost = locked.cost
        locked.completion_mileage = mileage
        locked.completion_engine_hours = hours
        locked.completion_date = done_at
        locked.completion_wear = meters.wear_percentage(
            task_conditions(locked, odometer=mileage, engine_hours=hours, now=done_at)
        )
        if completion.cost is not None:
            locked.cost = completion.cost
        locked.status = Status.DONE
        locked.predicted_end_date = None
        locked.save()
        # Done first: the reading's evaluation then leaves this task alone.
        reading = record_meters(
            vehicle=vehicle,
            odometer=completion.odometer,
            engine_hours=hours if completion.engine_hours is not None else None,
            at=done_at,
            confirm_jump=completion.confirm_jump,
            note=f"Recorded with “{locked.description}” done"[:MAX_TEXT],
            actor=actor,
        )
        # Past the reading rules (which name the vehicle's current value), a value
        # below where the task started is still not this task's completion.
        if (
            locked.start_mileage is not None
            and mileage is not None
            and mileage < locked.start_mileage
        ):
            raise ValidationFailed(
                f"The odometer at completion cannot be below the task's start "
                f"({locked.start_mileage:,}).",
                field="odometer",
            )
        TaskCompletion.objects.create(
            org_id=locked.org_id,
            task=locked,
            vehicle=vehicle,
            done_at=done_at,
            odometer=mileage,
            engine_hours=hours,
            cost=locked.cost,
            planned_cost=planned_cost,
            servicer=completion.servicer,
            notes=completion.notes,
            reading=reading,
            recorded_by=actor,
        )
        successor = _repeat(locked, planned_cost) if locked.repeat else None
    return locked, successor


def _repeat(done: ServiceTask, planned_cost: Decimal) -> ServiceTask:
    successor = ServiceTask(
        org_id=done.org_id,
        vehicle=done.vehicle,
        **{name: getattr(done, name) for name in INFO_FIELDS},
        start_mileage=done.completion_mileage,
        start_engine_hours=done.completion_engine_hours,
        start_date=done.completion_date,
        repeated_from=done,
    )
    # The next one is planned at what this one was planned at, not at what it cost.
    successor.cost = planned_cost
    conditions = CleanConditions(
        mileage_notify=done.mileage_notify,
        mileage_repeat=done.mileage_repeat,
        date_notify_days=done.date_notify_days,
        date_repeat_days=done.date_repeat_days,
        hours_notify=done.hours_notify,
        hours_repeat=done.hours_repeat,
    )
    if done.mileage_limit is not None and done.completion_mileage is not None:
        conditions.mileage_limit = done.mileage_repeat or done.mileage_limit
    if done.date_end is not None:
        span = (
            timedelta(days=done.date_repeat_days)
            if done.date_repeat_days
            else done.date_end - done.start_date
        )
        conditions.date_end = done.completion_date + span
    if done.hours_limit is not None and done.completion_engine_hours is not None:
        conditions.hours_limit = done.hours_repeat or done.hours_limit
    apply_conditions(successor, conditions)
    successor.predicted_end_date = predict_end_date(successor)
    successor.save()
    successor.files.set(done.files.all())
    tasks_evaluate(task_ids=[successor.pk])
    successor.refresh_from_db()
    return successor


def _why_kept(successor: ServiceTask, done: ServiceTask) -> str | None:
    """Why the next task a repetition scheduled cannot simply be removed, or None."""
    if successor.status == Status.DONE:
        return "it is done already"
    if successor.edited_at is not None:
        return "it was edited since"
    quote = successor.quotes.order_by("pk").first()
    if quote is not None:
        return f"it is on quote {quote.pk}"
    order = successor.orders.order_by("pk").first()
    if order is not None:
        return f"it is on order {order.pk}"
    inherited = set(done.files.values_list("pk", flat=True))
    if set(successor.files.values_list("pk", flat=True)) - inherited:
        return "files were attached to it"
    return None


def task_reopen(*, task: ServiceTask, actor=None) -> ServiceTask:
    """Takes back a completion made by mistake; it stays in the task's history as reopened.

    The next task a repetition scheduled is removed when nobody has touched it
    (not edited, on no quote or order, no files of its own); otherwise the task
    is not reopened, and the message says why. The status follows the
    conditions again: a crossing already told is not told twice.
    """
    now = timezone.now()
    with transaction.atomic():
        locked = (
            ServiceTask.objects.select_for_update(of=("self",))
            .select_related("vehicle", "org")
            .filter(pk=task.pk)
            .first()
        )
        if locked is None:
            raise NotFound("That task does not exist.")
        if locked.status != Status.DONE:
            raise Conflict("This task is not done; there is nothing to reopen.", field="status")
        successor = (
            ServiceTask.objects.select_for_update(of=("self",)).filter(repeated_from=locked).first()
        )
        if successor is not None:
            reason = _why_kept(successor, locked)
            if reason:
                raise Conflict(
                    f"“{locked.description}” cannot be reopened: the next one its repetition "
                    f"scheduled (task {successor.pk}) is kept because {reason}.",
                    field="status",
                )
            ServiceTask.objects.filter(pk=successor.pk).delete()
        completion = locked.completions.filter(reopened_at=None).order_by("-done_at", "-pk").first()
        if completion is not None:
            locked.cost = completion.planned_cost
            completion.reopened_at = now
            completion.reopened_by = actor
            completion.successor_removed = successor is not None
            completion.save(update_fields=["reopened_at", "reopened_by", "successor_removed"])
        locked.completion_mileage = None
        locked.completion_engine_hours = None
        locked.completion_date = None
        locked.completion_wear = None
        # Open again from the start of the way; the evaluation moves it on to where
        # its conditions say, and tells only crossings not told already.
        locked.status, locked.status_condition = Status.CREATED, ""
        locked.predicted_end_date = predict_end_date(locked)
        locked.save()
        tasks_evaluate(task_ids=[locked.pk])
    locked.refresh_from_db()
    return locked


def tasks_delete(*, org: Organization, task_ids: list[int]) -> int:
    """Deletes the tasks; a file goes only when no other task holds it."""
    tasks = ServiceTask.objects.filter(org=org, pk__in=task_ids)
    found = list(tasks.values_list("pk", flat=True))
    if len(found) != len(set(task_ids)):
        raise NotFound("Task not found.", field="task_id")
    with transaction.atomic():
        file_ids = list(
            ServiceTask.files.through.objects.filter(servicetask_id__in=found).values_list(
                "taskfile_id", flat=True
            )
        )
        tasks.delete()
        _delete_orphan_files(file_ids)
    return len(found)


def _delete_orphan_files(file_ids: list[int]) -> None:
    orphans = list(
        TaskFile.objects.filter(pk__in=file_ids).annotate(holders=Count("tasks")).filter(holders=0)
    )
    TaskFile.objects.filter(pk__in=[f.pk for f in orphans]).delete()
    delete_after_commit(f.file for f in orphans)


# --- files ----------------------------------------------------------------------------


def file_upload(*, org: Organization, upload, actor=None) -> TaskFile:
    """Stores a PDF or image after checking what it really is and how big it is."""
    content_type = check_upload(upload)
    name = clean_text(upload.name[-MAX_TEXT:], field="file").strip() or "file"
    return TaskFile.objects.create(
        org=org,
        file=upload,
        name=name,
        content_type=content_type,
        size=upload.size,
        uploaded_by=actor,
    )


def task_attach(*, task: ServiceTask, files: list[TaskFile]) -> None:
    task.files.add(*files)


def task_detach(*, task: ServiceTask, file_id: int) -> None:
    # Only a file this task holds: an orphan of another fleet must not be deleted here.
    if not task.files.filter(pk=file_id).exists():
        raise NotFound("That file is not attached to this task.", field="file_id")
    with transaction.atomic():
        task.files.remove(file_id)
        _delete_orphan_files([file_id])
