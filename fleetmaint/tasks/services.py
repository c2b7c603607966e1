"""Service task rules: conditions, status, reminders, repetition, prediction, files.

The status of a task is decided by ``vehicles.meters.task_status`` from its
conditions. Moving tasks forward (created → notified → expired) happens in
sets, in ``tasks.evaluation``: one UPDATE for the moves and two INSERTs for
their notifications, for one vehicle after a reading or for every fleet in
the sweep.
"""

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from fleetmaint.accounts.models import Organization
from fleetmaint.errors import Conflict, NotFound, ValidationFailed
from fleetmaint.files import check_upload
from fleetmaint.notifications.phones import normalize_phone

# The set-based moves are part of this service's surface.
from fleetmaint.tasks.evaluation import tasks_evaluate as tasks_evaluate
from fleetmaint.tasks.evaluation import tasks_refresh_predictions as tasks_refresh_predictions
from fleetmaint.tasks.evaluation import tasks_sweep_dates as tasks_sweep_dates
from fleetmaint.tasks.models import ConditionKind, ServiceTask, Status, TaskFile
from fleetmaint.vehicles import meters
from fleetmaint.vehicles.models import Vehicle

MAX_TEXT = 255
MAX_COST = Decimal("999999999999.99")
MAX_DISTANCE = 10_000_000
MAX_DAYS = 36_500
MAX_HOURS = Decimal("1000000")
MAX_TARGETS = 20
MICROSECOND = timedelta(microseconds=1)
DAY = timedelta(days=1)
_RANK = {Status.CREATED: 0, Status.NOTIFIED: 1, Status.EXPIRED: 2, Status.DONE: 3}


class EngineHoursNotTracked(ValidationFailed):
    code = "engine_hours_not_tracked"


class MeterMissing(ValidationFailed):
    code = "meter_missing"


class UnknownVehicles(NotFound):
    code = "unknown_vehicles"


# --- input ----------------------------------------------------------------------------


@dataclass
class Conditions:
    """Conditions as a client sends them; validated by ``clean_conditions``."""

    mileage: dict | None = None
    date: dict | None = None
    engine_hours: dict | None = None


@dataclass
class TaskInput:
    description: str = ""
    comment: str = ""
    cost: object = 0
    repeat: bool = False
    unplanned: bool = False
    conditions: Conditions = field(default_factory=Conditions)
    sms_phones: list = field(default_factory=list)
    emails: list = field(default_factory=list)
    push_enabled: bool = True
    file_ids: list = field(default_factory=list)


def _text(value: object, name: str, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed(f"{name} must be text.", field=name)
    value = value.strip()
    if "\x00" in value:
        raise ValidationFailed(f"{name} cannot contain NUL characters.", field=name)
    if required and not value:
        raise ValidationFailed(f"{name} is required.", field=name)
    if len(value) > MAX_TEXT:
        raise ValidationFailed(f"{name} can be at most {MAX_TEXT} characters.", field=name)
    return value


def _number(value: object, name: str, *, whole: bool, minimum: float, maximum) -> Decimal:
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationFailed(f"{name} must be a number.", field=name)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationFailed(f"{name} must be a number.", field=name) from None
    if not number.is_finite():
        raise ValidationFailed(f"{name} must be a number.", field=name)
    if whole and number != number.to_integral_value():
        raise ValidationFailed(f"{name} must be a whole number.", field=name)
    if number < minimum or number > maximum:
        raise ValidationFailed(f"{name} must be between {minimum} and {maximum}.", field=name)
    return number


def _optional(data: dict, key: str, name: str, **limits) -> Decimal | None:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _number(value, name, **limits)


def _moment(value: object, name: str, org: Organization) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        from django.utils.dateparse import parse_datetime

        text = value.strip()
        try:
            moment = parse_datetime(text if "T" in text else text.replace(" ", "T", 1))
        except ValueError:
            moment = None
        if moment is None:
            raise ValidationFailed(
                f"{name} must be a date and time like 2026-12-31 23:59:59.", field=name
            )
    else:
        raise ValidationFailed(f"{name} is required.", field=name)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(org.time_zone))
    now = timezone.now()
    # Far-off years overflow date arithmetic and time-zone conversion later on.
    if not now - timedelta(days=MAX_DAYS) <= moment <= now + timedelta(days=MAX_DAYS):
        raise ValidationFailed(f"{name} must be within a hundred years of today.", field=name)
    return moment


@dataclass
class CleanConditions:
    mileage_limit: int | None = None
    mileage_notify: int | None = None
    mileage_repeat: int | None = None
    date_end: datetime | None = None
    date_notify_days: int | None = None
    date_repeat_days: int | None = None
    hours_limit: Decimal | None = None
    hours_notify: Decimal | None = None
    hours_repeat: Decimal | None = None


def clean_conditions(conditions: Conditions, org: Organization) -> CleanConditions:
    clean = CleanConditions()
    given = False
    if conditions.mileage is not None:
        given = True
        data = _as_dict(conditions.mileage, "conditions.mileage")
        distance = {"whole": True, "maximum": MAX_DISTANCE}
        clean.mileage_limit = int(
            _number(data.get("limit"), "conditions.mileage.limit", minimum=1, **distance)
        )
        clean.mileage_notify = _int_or_none(
            _optional(
                data,
                "notification_interval",
                "conditions.mileage.notification_interval",
                minimum=0,
                **distance,
            )
        )
        clean.mileage_repeat = _int_or_none(
            _optional(
                data, "repeat_interval", "conditions.mileage.repeat_interval", minimum=1, **distance
            )
        )
    if conditions.date is not None:
        given = True
        data = _as_dict(conditions.date, "conditions.date")
        days = {"whole": True, "maximum": MAX_DAYS}
        clean.date_end = _moment(data.get("end"), "conditions.date.end", org)
        clean.date_notify_days = _int_or_none(
            _optional(
                data,
                "notification_interval",
                "conditions.date.notification_interval",
                minimum=0,
                **days,
            )
        )
        clean.date_repeat_days = _int_or_none(
            _optional(data, "repeat_interval", "conditions.date.repeat_interval", minimum=1, **days)
        )
    if conditions.engine_hours is not None:
        given = True
        data = _as_dict(conditions.engine_hours, "conditions.engine_hours")
        hours = {"whole": False, "maximum": MAX_HOURS}
        clean.hours_limit = _number(
            data.get("limit"), "conditions.engine_hours.limit", minimum=Decimal("0.1"), **hours
        )
        clean.hours_notify = _optional(
            data,
            "notification_interval",
            "conditions.engine_hours.notification_interval",
            minimum=0,
            **hours,
        )
        clean.hours_repeat = _optional(
            data,
            "repeat_interval",
            "conditions.engine_hours.repeat_interval",
            minimum=Decimal("0.1"),
            **hours,
        )
    if not given:
        raise ValidationFailed(
            "Give at least one condition: mileage, date or engine_hours.", field="conditions"
        )
    return clean


def _as_dict(value: object, name: str) -> dict:
    if not isinstance(value, dict):
        raise ValidationFailed(f"{name} must be an object.", field=name)
    return value


def _int_or_none(value: Decimal | None) -> int | None:
    return None if value is None else int(value)


def clean_targets(sms_phones: object, emails: object) -> tuple[list[str], list[str]]:
    if not isinstance(sms_phones, list) or not isinstance(emails, list):
        raise ValidationFailed(
            "notifications.sms_phones and notifications.emails must be lists.",
            field="notifications",
        )
    if len(sms_phones) > MAX_TARGETS or len(emails) > MAX_TARGETS:
        raise ValidationFailed(f"At most {MAX_TARGETS} phones and e-mails.", field="notifications")
    phones = []
    for raw in sms_phones:
        text = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
        # The vendor writes numbers in international form without the plus sign.
        text = text if text.startswith("+") else f"+{text}"
        phones.append(normalize_phone(text, field="notifications.sms_phones"))
    addresses = []
    for raw in emails:
        address = raw.strip().lower() if isinstance(raw, str) else ""
        try:
            validate_email(address)
        except DjangoValidationError:
            raise ValidationFailed(
                f"{raw!r} is not a valid e-mail address.", field="notifications.emails"
            ) from None
        addresses.append(address)
    return sorted(set(phones)), sorted(set(addresses))


@dataclass
class CleanTask:
    description: str
    comment: str
    cost: Decimal
    repeat: bool
    unplanned: bool
    conditions: CleanConditions
    sms_phones: list[str]
    emails: list[str]
    push_enabled: bool
    files: list[TaskFile]


def clean_task(data: TaskInput, org: Organization) -> CleanTask:
    description = _text(data.description, "description", required=True)
    comment = _text(data.comment, "comment")
    cost = _number(
        data.cost if data.cost is not None else 0, "cost", whole=False, minimum=0, maximum=MAX_COST
    ).quantize(Decimal("0.01"))
    for name in ("repeat", "unplanned", "push_enabled"):
        if not isinstance(getattr(data, name), bool):
            raise ValidationFailed(f"{name} must be true or false.", field=name)
    conditions = clean_conditions(data.conditions, org)
    phones, emails = clean_targets(data.sms_phones, data.emails)
    files = _files(org, data.file_ids)
    return CleanTask(
        description,
        comment,
        cost,
        data.repeat,
        data.unplanned,
        conditions,
        phones,
        emails,
        data.push_enabled,
        files,
    )


def _files(org: Organization, file_ids: object) -> list[TaskFile]:
    if not isinstance(file_ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in file_ids
    ):
        raise ValidationFailed("file_ids must be a list of file ids.", field="file_ids")
    found = list(TaskFile.objects.filter(org=org, pk__in=file_ids))
    if len(found) != len(set(file_ids)):
        raise ValidationFailed("One of the files does not exist.", field="file_ids")
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


# --- thresholds, status, prediction ---------------------------------------------------


def apply_conditions(task: ServiceTask, conditions: CleanConditions) -> None:
    """Copies the conditions onto the task and derives its absolute thresholds."""
    for name, value in conditions.__dict__.items():
        setattr(task, name, value)
    if task.mileage_limit is not None:
        task.mileage_expire_at = task.start_mileage + task.mileage_limit
        task.mileage_notify_at = max(
            task.start_mileage, task.mileage_expire_at - (task.mileage_notify or 0)
        )
    else:
        task.mileage_expire_at = task.mileage_notify_at = None
    if task.date_end is not None:
        task.date_notify_at = task.date_end - timedelta(days=task.date_notify_days or 0)
    else:
        task.date_notify_at = None
    if task.hours_limit is not None:
        task.hours_expire_at = task.start_engine_hours + task.hours_limit
        task.hours_notify_at = max(
            task.start_engine_hours, task.hours_expire_at - (task.hours_notify or 0)
        )
    else:
        task.hours_expire_at = task.hours_notify_at = None


def given_conditions(task: ServiceTask) -> dict[str, dict]:
    """The task's conditions as a client gave them (seed 004's shape); absent ones left out."""
    given: dict[str, dict] = {}
    if task.mileage_limit is not None:
        given["mileage"] = {
            "limit": task.mileage_limit,
            "notification_interval": task.mileage_notify,
            "repeat_interval": task.mileage_repeat,
        }
    if task.date_end is not None:
        given["date"] = {
            "end": task.date_end,
            "notification_interval": task.date_notify_days,
            "repeat_interval": task.date_repeat_days,
        }
    if task.hours_limit is not None:
        given["engine_hours"] = {
            "limit": task.hours_limit,
            "notification_interval": task.hours_notify,
            "repeat_interval": task.hours_repeat,
        }
    return given


def task_conditions(
    task: ServiceTask, *, odometer=None, engine_hours=None, now: datetime | None = None
) -> list[meters.Condition]:
    """The task's conditions measured at the given meters (default: the vehicle's current)."""
    vehicle = task.vehicle
    odometer = vehicle.odometer if odometer is None else odometer
    engine_hours = vehicle.engine_hours if engine_hours is None else engine_hours
    now = now or timezone.now()
    found = []
    if task.mileage_limit is not None and odometer is not None:
        found.append(
            meters.Condition(
                ConditionKind.MILEAGE,
                float(odometer - task.start_mileage),
                float(task.mileage_limit),
                float(task.mileage_notify or 0),
            )
        )
    if task.date_end is not None:
        # Whole microseconds, not float days: the same comparisons as the SQL
        # thresholds (now against the end, and against the end less the reminder).
        found.append(
            meters.Condition(
                ConditionKind.DATE,
                (now - task.start_date) // MICROSECOND,
                (task.date_end - task.start_date) // MICROSECOND,
                (task.date_notify_days or 0) * DAY // MICROSECOND,
            )
        )
    if task.hours_limit is not None and engine_hours is not None:
        found.append(
            # Decimals, not floats: the SQL thresholds are exact (limit 1.1 h with a
            # 0.2 h reminder notifies at 0.9 h, where floats would say 0.9000000000000001).
            meters.Condition(
                ConditionKind.ENGINE_HOURS,
                Decimal(engine_hours) - task.start_engine_hours,
                task.hours_limit,
                task.hours_notify or Decimal(0),
            )
        )
    return found


def wear(task: ServiceTask, *, now: datetime | None = None) -> int:
    """How far the task is worn (``now`` defaults to the clock; a list passes one moment)."""
    if task.status == Status.DONE and task.completion_wear is not None:
        return task.completion_wear
    return meters.wear_percentage(task_conditions(task, now=now))


def predict_end_date(task: ServiceTask) -> datetime | None:
    """The earliest date a condition is expected to reach its limit."""
    vehicle = task.vehicle
    by_mileage = by_hours = None
    if task.mileage_expire_at is not None:
        by_mileage = meters.predict_reach(
            vehicle.odometer_at, vehicle.odometer, task.mileage_expire_at, vehicle.daily_distance
        )
    if task.hours_expire_at is not None:
        by_hours = meters.predict_reach(
            vehicle.engine_hours_at,
            vehicle.engine_hours,
            task.hours_expire_at,
            vehicle.daily_engine_hours,
        )
    return meters.earliest(task.date_end, by_mileage, by_hours)


# --- writes ---------------------------------------------------------------------------


def _new_task(vehicle: Vehicle, clean: CleanTask, now: datetime) -> ServiceTask:
    task = ServiceTask(
        org_id=vehicle.org_id,
        vehicle=vehicle,
        description=clean.description,
        comment=clean.comment,
        cost=clean.cost,
        repeat=clean.repeat,
        unplanned=clean.unplanned,
        sms_phones=clean.sms_phones,
        emails=clean.emails,
        push_enabled=clean.push_enabled,
        start_mileage=vehicle.odometer,
        start_engine_hours=vehicle.engine_hours,
        start_date=now,
    )
    apply_conditions(task, clean.conditions)
    task.predicted_end_date = predict_end_date(task)
    return task


def task_create(*, vehicle: Vehicle, data: TaskInput) -> ServiceTask:
    """A task for one vehicle, with the right status from the start."""
    clean = clean_task(data, vehicle.org)
    _check_vehicle_supports(vehicle, clean.conditions)
    with transaction.atomic():
        task = _new_task(vehicle, clean, timezone.now())
        task.save()
        task.files.set(clean.files)
        tasks_evaluate(task_ids=[task.pk])
    task.refresh_from_db()
    return task


def tasks_batch_create(
    *, org: Organization, vehicle_ids: list[int], data: TaskInput
) -> list[ServiceTask]:
    """The same task for many vehicles, all or nothing; the files are shared."""
    if (
        not isinstance(vehicle_ids, list)
        or not vehicle_ids
        or not all(isinstance(i, int) and not isinstance(i, bool) for i in vehicle_ids)
    ):
        raise ValidationFailed("vehicle_ids must be a list of vehicle ids.", field="vehicle_ids")
    clean = clean_task(data, org)
    vehicles = list(Vehicle.objects.for_org(org).filter(pk__in=vehicle_ids).select_related("org"))
    missing = sorted(set(vehicle_ids) - {v.pk for v in vehicles})
    if missing:
        raise UnknownVehicles(
            f"Vehicle {missing[0]} does not exist; nothing was created.", field="vehicle_ids"
        )
    for vehicle in vehicles:
        _check_vehicle_supports(vehicle, clean.conditions)
    now = timezone.now()
    with transaction.atomic():
        tasks = ServiceTask.objects.bulk_create([_new_task(v, clean, now) for v in vehicles])
        links = ServiceTask.files.through
        links.objects.bulk_create(
            [links(servicetask_id=t.pk, taskfile_id=f.pk) for t in tasks for f in clean.files]
        )
        tasks_evaluate(task_ids=[t.pk for t in tasks])
    return tasks


def task_update(*, task: ServiceTask, data: TaskInput) -> ServiceTask:
    """Changes information, conditions and targets; the status follows the new conditions.

    A status that the new conditions take back (a limit was raised) reopens
    the task; its next crossing is told again, as a new cycle.
    """
    if task.status == Status.DONE:
        raise Conflict("A task that is done cannot be changed.", field="status")
    vehicle = task.vehicle
    clean = clean_task(data, vehicle.org)
    _check_vehicle_supports(vehicle, clean.conditions)
    with transaction.atomic():
        locked = ServiceTask.objects.select_for_update().select_related("vehicle").get(pk=task.pk)
        if locked.status == Status.DONE:
            raise Conflict("A task that is done cannot be changed.", field="status")
        for name in (
            "description",
            "comment",
            "cost",
            "repeat",
            "unplanned",
            "sms_phones",
            "emails",
            "push_enabled",
        ):
            setattr(locked, name, getattr(clean, name))
        if locked.start_mileage is None:
            locked.start_mileage = vehicle.odometer
        if locked.start_engine_hours is None:
            locked.start_engine_hours = vehicle.engine_hours
        apply_conditions(locked, clean.conditions)
        status, deciding = meters.task_status(task_conditions(locked))
        if _RANK[status] < _RANK[locked.status]:
            locked.status, locked.status_condition = status, deciding
            locked.cycle += 1
        locked.predicted_end_date = predict_end_date(locked)
        locked.save()
        dropped = set(locked.files.values_list("pk", flat=True)) - {f.pk for f in clean.files}
        locked.files.set(clean.files)
        # A file the update drops goes like a detached one: when no other task holds it.
        _delete_orphan_files(list(dropped))
        tasks_evaluate(task_ids=[locked.pk])
    locked.refresh_from_db()
    return locked


def task_mark_done(
    *, task: ServiceTask, odometer: int | None = None, engine_hours=None
) -> tuple[ServiceTask, ServiceTask | None]:
    """Freezes the completion values; for a repeating task, creates the next one.

    Only the first of two concurrent calls completes the task; the second
    finds it done and changes nothing. Returns the task and its successor.
    """
    # Values from a client: checked here, not left to fail in the database.
    if odometer is not None:
        odometer = int(_number(odometer, "odometer", whole=True, minimum=0, maximum=MAX_DISTANCE))
    if engine_hours is not None:
        engine_hours = _number(
            engine_hours, "engine_hours", whole=False, minimum=0, maximum=MAX_HOURS
        ).quantize(Decimal("0.1"))
        if not task.vehicle.tracks_engine_hours:
            raise EngineHoursNotTracked(
                f"{task.vehicle.label} does not track engine hours.", field="engine_hours"
            )
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
        if locked.status == Status.DONE:
            return locked, getattr(locked, "repeated_by", None)
        vehicle = locked.vehicle
        locked.completion_mileage = odometer if odometer is not None else vehicle.odometer
        locked.completion_engine_hours = (
            engine_hours if engine_hours is not None else vehicle.engine_hours
        )
        if (
            locked.start_mileage is not None
            and locked.completion_mileage is not None
            and locked.completion_mileage < locked.start_mileage
        ):
            raise ValidationFailed(
                f"The odometer at completion cannot be below the task's start "
                f"({locked.start_mileage:,}).",
                field="odometer",
            )
        locked.completion_date = now
        locked.completion_wear = meters.wear_percentage(
            task_conditions(
                locked,
                odometer=locked.completion_mileage,
                engine_hours=locked.completion_engine_hours,
                now=now,
            )
        )
        locked.status = Status.DONE
        locked.predicted_end_date = None
        locked.save()
        successor = _repeat(locked, now) if locked.repeat else None
    return locked, successor


def _repeat(done: ServiceTask, now: datetime) -> ServiceTask:
    successor = ServiceTask(
        org_id=done.org_id,
        vehicle=done.vehicle,
        description=done.description,
        comment=done.comment,
        cost=done.cost,
        repeat=True,
        unplanned=done.unplanned,
        sms_phones=done.sms_phones,
        emails=done.emails,
        push_enabled=done.push_enabled,
        start_mileage=done.completion_mileage,
        start_engine_hours=done.completion_engine_hours,
        start_date=done.completion_date,
        repeated_from=done,
    )
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


def _task_id(value: object) -> int:
    """A task id given as a whole number (or its digits); anything else is refused."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise ValidationFailed("task_id must be a task id.", field="task_id")


def tasks_delete(*, org: Organization, task_ids: list[int]) -> int:
    """Deletes the tasks; a file goes only when no other task holds it."""
    task_ids = [_task_id(value) for value in task_ids]
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
    stored = [f.file.name for f in orphans]
    TaskFile.objects.filter(pk__in=[f.pk for f in orphans]).delete()

    def remove_from_storage() -> None:
        from django.core.files.storage import default_storage

        for name in stored:
            default_storage.delete(name)

    transaction.on_commit(remove_from_storage)


# --- files ----------------------------------------------------------------------------


def file_upload(*, org: Organization, upload, actor=None) -> TaskFile:
    """Stores a PDF or image after checking what it really is and how big it is."""
    content_type = check_upload(upload)
    name = _text(upload.name[-MAX_TEXT:], "file name") or "file"
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


def task_for(org: Organization, task_id: object) -> ServiceTask:
    number = _task_id(task_id)
    task = (
        ServiceTask.objects.filter(org=org, pk=number)
        .select_related("vehicle", "vehicle__org")
        .first()
    )
    if task is None:
        raise NotFound("Task not found.", field="task_id")
    return task
