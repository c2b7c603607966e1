"""Every write to vehicles and readings, and the rules they follow."""

import bisect
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fleetmaint.accounts.models import DistanceUnit, Organization
from fleetmaint.contracts import services as contracts
from fleetmaint.errors import ConfirmationRequired, Conflict, ValidationFailed
from fleetmaint.intervals import services as intervals
from fleetmaint.tasks import services as tasks
from fleetmaint.vehicles import meters
from fleetmaint.vehicles.meters import MeterPoint
from fleetmaint.vehicles.models import Reading, ReadingSource, Vehicle

VIN_PATTERN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
MAX_ODOMETER = 10_000_000
MAX_ENGINE_HOURS = Decimal("1000000")
BULK_READINGS_LIMIT = 10_000

_TEXT_LIMITS = {"label": 120, "make": 60, "model": 60, "plate": 20, "vehicle_key": 40}
VEHICLE_FIELDS = (
    "vehicle_key",
    "label",
    "vin",
    "make",
    "model",
    "year",
    "plate",
    "distance_unit",
    "tracks_engine_hours",
    "notes",
    "archived",
)


# --- vehicles ---------------------------------------------------------------


def _refuse_nul(name: str, value: str) -> str:
    # PostgreSQL cannot store NUL in text; say so instead of failing with a 500.
    if "\x00" in value:
        raise ValidationFailed(
            f"The {name.replace('_', ' ')} cannot contain NUL characters.", field=name
        )
    return value


def _clean_text(name: str, value: str | None) -> str:
    value = _refuse_nul(name, (value or "").strip())
    limit = _TEXT_LIMITS.get(name)
    if limit and len(value) > limit:
        raise ValidationFailed(
            f"The {name.replace('_', ' ')} can be at most {limit} characters.", field=name
        )
    return value


def _clean_vin(vin: str | None) -> str:
    vin = (vin or "").strip().upper().replace(" ", "")
    if vin and not VIN_PATTERN.match(vin):
        raise ValidationFailed("A VIN has 17 letters and digits, without I, O or Q.", field="vin")
    return vin


def _clean_year(year: int | None) -> int | None:
    if year is None:
        return None
    latest = timezone.now().year + 1
    if not 1900 <= year <= latest:
        raise ValidationFailed(f"The year must be between 1900 and {latest}.", field="year")
    return year


def _clean_vehicle_values(values: dict) -> dict:
    cleaned = {}
    for name, value in values.items():
        if name in ("label", "make", "model", "plate", "vehicle_key"):
            cleaned[name] = _clean_text(name, value)
        elif name == "vin":
            cleaned[name] = _clean_vin(value)
        elif name == "year":
            cleaned[name] = _clean_year(value)
        elif name == "distance_unit":
            if value not in DistanceUnit.values:
                raise ValidationFailed("The distance unit must be km or mi.", field=name)
            cleaned[name] = value
        elif name in ("tracks_engine_hours", "archived"):
            cleaned[name] = bool(value)
        elif name == "notes":
            cleaned[name] = _refuse_nul(name, (value or "").strip())
        else:
            raise ValidationFailed(f"Unknown vehicle field {name!r}.", field=name)
    if "label" in cleaned and not cleaned["label"]:
        raise ValidationFailed("Give the vehicle a label.", field="label")
    if (
        "vehicle_key" in cleaned
        and cleaned["vehicle_key"]
        and not cleaned["vehicle_key"].isprintable()
    ):
        raise ValidationFailed("The vehicle key must be printable text.", field="vehicle_key")
    return cleaned


def _ensure_key_free(org: Organization, key: str, *, exclude_id: int | None = None) -> None:
    taken = Vehicle.objects.for_org(org).filter(vehicle_key=key)
    if exclude_id is not None:
        taken = taken.exclude(pk=exclude_id)
    if taken.exists():
        raise Conflict(f"Another vehicle already uses the key {key!r}.", field="vehicle_key")


def _new_vehicle_key(org: Organization) -> str:
    while True:
        key = "V" + secrets.token_hex(5).upper()
        if not Vehicle.objects.for_org(org).filter(vehicle_key=key).exists():
            return key


def vehicle_create(
    *,
    org: Organization,
    label: str,
    vehicle_key: str | None = None,
    vin: str = "",
    make: str = "",
    model: str = "",
    year: int | None = None,
    plate: str = "",
    distance_unit: str | None = None,
    tracks_engine_hours: bool = False,
    notes: str = "",
) -> Vehicle:
    values = _clean_vehicle_values(
        {
            "label": label,
            "vehicle_key": vehicle_key,
            "vin": vin,
            "make": make,
            "model": model,
            "year": year,
            "plate": plate,
            "distance_unit": distance_unit or org.distance_unit,
            "tracks_engine_hours": tracks_engine_hours,
            "notes": notes,
        }
    )
    with transaction.atomic():
        if values["vehicle_key"]:
            _ensure_key_free(org, values["vehicle_key"])
        else:
            values["vehicle_key"] = _new_vehicle_key(org)
        vehicle = Vehicle.objects.create(org=org, **values)
        if org.generate_presets_for_new_vehicles:
            intervals.intervals_generate(org=org, vehicles=[vehicle])
    return vehicle


def vehicle_update(*, vehicle: Vehicle, **changes) -> Vehicle:
    """Changes the given fields only (a partial update)."""
    values = _clean_vehicle_values(changes)
    if "vehicle_key" in values and not values["vehicle_key"]:
        raise ValidationFailed("The vehicle key cannot be empty.", field="vehicle_key")
    with transaction.atomic():
        if "vehicle_key" in values:
            _ensure_key_free(vehicle.org, values["vehicle_key"], exclude_id=vehicle.pk)
        returning = values.get("archived") is False and vehicle.archived
        for name, value in values.items():
            setattr(vehicle, name, value)
        vehicle.save(update_fields=[*values, "updated_at"])
        if returning:
            # Back in service: whatever fell due while it was archived is told now.
            intervals.intervals_evaluate(vehicle_ids=[vehicle.pk])
            tasks.tasks_evaluate(vehicle_ids=[vehicle.pk])
            contracts.contracts_evaluate(vehicle_ids=[vehicle.pk])
    return vehicle


def vehicle_set_archived(*, vehicle: Vehicle, archived: bool) -> Vehicle:
    return vehicle_update(vehicle=vehicle, archived=archived)


def vehicle_delete(*, vehicle: Vehicle) -> None:
    vehicle.delete()


# --- readings ---------------------------------------------------------------


@dataclass
class ReadingInput:
    """A reading as submitted, before it is checked."""

    odometer: object = None
    engine_hours: object = None
    recorded_at: datetime | None = None
    is_correction: bool = False
    confirm_jump: bool = False
    note: str = ""


@dataclass
class _History:
    """A vehicle's readings around the new ones, oldest first, per meter."""

    odometer: list[MeterPoint] = field(default_factory=list)
    engine_hours: list[MeterPoint] = field(default_factory=list)

    def add(self, meter: str, point: MeterPoint) -> None:
        # After any points at the same moment, as a stable sort would put it.
        bisect.insort_right(getattr(self, meter), point, key=lambda p: p.at)


def _parse_odometer(value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationFailed("The odometer must be a whole number.", field="odometer")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationFailed("The odometer must be a whole number.", field="odometer") from None
    if number != number.to_integral_value():
        raise ValidationFailed("The odometer must be a whole number.", field="odometer")
    if number < 0:
        raise ValidationFailed("The odometer cannot be negative.", field="odometer")
    if number > MAX_ODOMETER:
        raise ValidationFailed(f"The odometer can be at most {MAX_ODOMETER:,}.", field="odometer")
    return int(number)


def _parse_engine_hours(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationFailed("Engine hours must be a number.", field="engine_hours")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationFailed("Engine hours must be a number.", field="engine_hours") from None
    if not number.is_finite():
        raise ValidationFailed("Engine hours must be a number.", field="engine_hours")
    if number < 0:
        raise ValidationFailed("Engine hours cannot be negative.", field="engine_hours")
    if number > MAX_ENGINE_HOURS:
        raise ValidationFailed(
            f"Engine hours can be at most {MAX_ENGINE_HOURS:,}.", field="engine_hours"
        )
    return number.quantize(Decimal("0.1"))


def _clean_reading(vehicle: Vehicle, item: ReadingInput, now: datetime) -> Reading:
    odometer = _parse_odometer(item.odometer)
    engine_hours = _parse_engine_hours(item.engine_hours)
    if odometer is None and engine_hours is None:
        raise ValidationFailed("Give an odometer value, engine hours, or both.", field="odometer")
    if engine_hours is not None and not vehicle.tracks_engine_hours:
        raise ValidationFailed("This vehicle does not track engine hours.", field="engine_hours")
    recorded_at = item.recorded_at or now
    if timezone.is_naive(recorded_at):
        raise ValidationFailed("Give the time with its time zone.", field="recorded_at")
    if recorded_at > now + timedelta(minutes=5):
        raise ValidationFailed("A reading cannot be in the future.", field="recorded_at")
    note = _refuse_nul("note", (item.note or "").strip())
    if len(note) > 255:
        raise ValidationFailed("The note can be at most 255 characters.", field="note")
    return Reading(
        org_id=vehicle.org_id,
        vehicle=vehicle,
        odometer=odometer,
        engine_hours=engine_hours,
        recorded_at=recorded_at,
        is_correction=bool(item.is_correction),
        note=note,
    )


def _check_against_history(
    vehicle: Vehicle, reading: Reading, history: _History, *, confirm_jump: bool
) -> None:
    unit = vehicle.distance_unit
    checks = (
        ("odometer", reading.odometer, "odometer", unit, vehicle.org.max_daily_distance),
        ("engine_hours", reading.engine_hours, "engine hours", "h", meters.HOURS_PER_DAY),
    )
    for meter, value, words, meter_unit, max_per_day in checks:
        if value is None:
            continue
        point = MeterPoint(reading.recorded_at, value, reading.is_correction)
        points = getattr(history, meter)
        problem = meters.order_problem(points, point, meter=words, unit=meter_unit)
        if problem:
            raise ValidationFailed(problem, field=meter)
        jump = meters.implausible_jump(points, point, max_per_day=max_per_day)
        if jump is not None and not confirm_jump:
            raise ConfirmationRequired(
                f"That is {meters._fmt(jump)} {meter_unit} more than the previous reading, "
                f"over {max_per_day:,} {meter_unit} a day. Check the value, and confirm it "
                "if it is right.",
                field=meter,
            )


def _load_history(vehicles: list[Vehicle], since: dict[int, datetime]) -> dict[int, _History]:
    """Each vehicle's readings that a new reading at or after ``since`` must fit between.

    A vehicle whose new readings are all newer than its current meters needs
    no query: its current values are the only neighbours.
    """
    histories: dict[int, _History] = {}
    backfilled: list[Vehicle] = []
    for vehicle in vehicles:
        history = _History()
        if vehicle.odometer is not None:
            history.odometer.append(MeterPoint(vehicle.odometer_at, vehicle.odometer))
        if vehicle.engine_hours is not None:
            history.engine_hours.append(MeterPoint(vehicle.engine_hours_at, vehicle.engine_hours))
        histories[vehicle.pk] = history
        newest = max(
            (at for at in (vehicle.odometer_at, vehicle.engine_hours_at) if at), default=None
        )
        if newest is not None and since[vehicle.pk] < newest:
            backfilled.append(vehicle)
    for vehicle in backfilled:
        histories[vehicle.pk] = _history_around(vehicle, since[vehicle.pk])
    return histories


def _history_around(vehicle: Vehicle, since: datetime) -> _History:
    history = _History()
    rows = Reading.objects.filter(vehicle=vehicle)
    later = list(rows.filter(recorded_at__gt=since).order_by("recorded_at", "id"))
    for meter in ("odometer", "engine_hours"):
        previous = (
            rows.filter(recorded_at__lte=since, **{f"{meter}__isnull": False})
            .order_by("-recorded_at", "-id")
            .first()
        )
        candidates = ([previous] if previous else []) + later
        for row in candidates:
            value = getattr(row, meter)
            if value is not None:
                getattr(history, meter).append(
                    MeterPoint(row.recorded_at, value, row.is_correction)
                )
    return history


def _advance_current_meters(vehicle: Vehicle, reading: Reading) -> bool:
    """Moves the vehicle's current values forward if the reading is its newest."""
    changed = False
    if reading.odometer is not None and (
        vehicle.odometer_at is None or reading.recorded_at >= vehicle.odometer_at
    ):
        vehicle.odometer = reading.odometer
        vehicle.odometer_at = reading.recorded_at
        changed = True
    if reading.engine_hours is not None and (
        vehicle.engine_hours_at is None or reading.recorded_at >= vehicle.engine_hours_at
    ):
        vehicle.engine_hours = reading.engine_hours
        vehicle.engine_hours_at = reading.recorded_at
        changed = True
    return changed


_METER_FIELDS = ["odometer", "odometer_at", "engine_hours", "engine_hours_at"]


def reading_record(
    *,
    vehicle: Vehicle,
    odometer: object = None,
    engine_hours: object = None,
    recorded_at: datetime | None = None,
    source: str = ReadingSource.MANUAL,
    is_correction: bool = False,
    confirm_jump: bool = False,
    note: str = "",
    actor=None,
) -> Reading:
    """Stores one reading after checking it fits the vehicle's history."""
    item = ReadingInput(odometer, engine_hours, recorded_at, is_correction, confirm_jump, note)
    with transaction.atomic():
        # Lock the vehicle so two readings at once are checked one after the other.
        locked = Vehicle.objects.select_for_update().select_related("org").get(pk=vehicle.pk)
        reading = _clean_reading(locked, item, timezone.now())
        history = _load_history([locked], {locked.pk: reading.recorded_at})[locked.pk]
        _check_against_history(locked, reading, history, confirm_jump=confirm_jump)
        reading.source = source
        reading.created_by = actor
        reading.save()
        had_odometer = locked.odometer is not None
        if _advance_current_meters(locked, reading):
            locked.save(update_fields=_METER_FIELDS)
        first = set() if had_odometer or locked.odometer is None else {locked.pk}
        _after_readings(locked.org, {locked.pk}, first)
    locked.refresh_from_db(fields=["daily_distance", "daily_engine_hours"])
    for name in [*_METER_FIELDS, "daily_distance", "daily_engine_hours"]:
        setattr(vehicle, name, getattr(locked, name))
    return reading


@dataclass
class BulkItem:
    index: int
    vehicle_id: int | None
    vehicle_key: str | None
    reading: ReadingInput


@dataclass
class BulkResult:
    created: list[Reading]
    errors: list[dict]


def readings_bulk_record(
    *, org: Organization, items: list[BulkItem], source: str = ReadingSource.API
) -> BulkResult:
    """Stores every valid reading of a batch and reports each invalid one.

    A reading is stored whole or not at all; one bad item does not stop the
    others. Vehicles are locked in id order so concurrent batches cannot
    deadlock.
    """
    if len(items) > BULK_READINGS_LIMIT:
        raise ValidationFailed(
            f"Send at most {BULK_READINGS_LIMIT:,} readings at once.", field="readings"
        )
    errors: list[dict] = []
    now = timezone.now()
    with transaction.atomic():
        vehicles = _lock_vehicles_for(org, items)
        by_id = {v.pk: v for v in vehicles}
        by_key = {v.vehicle_key: v for v in vehicles}
        accepted: list[tuple[BulkItem, Vehicle, Reading]] = []
        for item in items:
            vehicle = (
                by_id.get(item.vehicle_id) if item.vehicle_id else by_key.get(item.vehicle_key)
            )
            if vehicle is None:
                errors.append(_bulk_error(item, "vehicle", "Vehicle does not exist."))
                continue
            try:
                accepted.append((item, vehicle, _clean_reading(vehicle, item.reading, now)))
            except ValidationFailed as error:
                errors.append(_bulk_error(item, error.field, error.message, error.code))
        earliest: dict[int, datetime] = {}
        for _, vehicle, reading in accepted:
            current = earliest.get(vehicle.pk)
            earliest[vehicle.pk] = (
                min(current, reading.recorded_at) if current else reading.recorded_at
            )
        histories = _load_history([by_id[pk] for pk in earliest], earliest)
        created: list[Reading] = []
        touched: set[int] = set()
        without_odometer = {v.pk for v in vehicles if v.odometer is None}
        for item, vehicle, reading in sorted(accepted, key=lambda a: a[2].recorded_at):
            history = histories[vehicle.pk]
            try:
                _check_against_history(
                    vehicle, reading, history, confirm_jump=item.reading.confirm_jump
                )
            except (ValidationFailed, ConfirmationRequired) as error:
                errors.append(_bulk_error(item, error.field, error.message, error.code))
                continue
            reading.source = source
            created.append(reading)
            for meter in ("odometer", "engine_hours"):
                value = getattr(reading, meter)
                if value is not None:
                    history.add(
                        meter, MeterPoint(reading.recorded_at, value, reading.is_correction)
                    )
            if _advance_current_meters(vehicle, reading):
                touched.add(vehicle.pk)
        Reading.objects.bulk_create(created, batch_size=1000)
        Vehicle.objects.bulk_update([by_id[pk] for pk in touched], _METER_FIELDS, batch_size=1000)
        first = {pk for pk in without_odometer & touched if by_id[pk].odometer is not None}
        if created:
            _after_readings(org, {r.vehicle_id for r in created}, first)
    errors.sort(key=lambda e: e["index"])
    return BulkResult(created=created, errors=errors)


def _after_readings(org: Organization, vehicle_ids: set[int], first_odometer_ids: set[int]) -> None:
    """What new readings change elsewhere, for all the vehicles at once.

    The vehicles' usage rates move, which moves predicted due dates; a first
    odometer may start a schedule; and thresholds the meters crossed are told.
    """
    _refresh_daily_usage(vehicle_ids)
    if first_odometer_ids and org.generate_presets_on_first_reading:
        fresh = list(Vehicle.objects.filter(pk__in=first_odometer_ids, archived=False))
        intervals.intervals_fill_mileage(vehicles=fresh)
        intervals.intervals_generate(org=org, vehicles=fresh)
    intervals.intervals_refresh_predictions(vehicle_ids=vehicle_ids)
    intervals.intervals_evaluate(vehicle_ids=vehicle_ids)
    tasks.tasks_refresh_predictions(vehicle_ids=vehicle_ids)
    tasks.tasks_evaluate(vehicle_ids=vehicle_ids)
    contracts.contracts_evaluate(vehicle_ids=vehicle_ids)


USAGE_WINDOW_DAYS = 90


def _refresh_daily_usage(vehicle_ids: set[int]) -> None:
    """Average daily distance and engine hours over each vehicle's recent readings."""
    vehicles = list(Vehicle.objects.filter(pk__in=vehicle_ids))
    newest = [v.odometer_at or v.engine_hours_at for v in vehicles]
    known = [moment for moment in newest if moment is not None]
    if not known:
        return
    since = min(known) - timedelta(days=USAGE_WINDOW_DAYS)
    histories: dict[int, _History] = {pk: _History() for pk in vehicle_ids}
    rows = (
        Reading.objects.filter(vehicle_id__in=vehicle_ids, recorded_at__gte=since)
        .order_by("recorded_at", "id")
        .values_list("vehicle_id", "recorded_at", "odometer", "engine_hours", "is_correction")
    )
    for vehicle_id, recorded_at, odometer, engine_hours, resets in rows:
        history = histories[vehicle_id]
        if odometer is not None:
            history.odometer.append(MeterPoint(recorded_at, odometer, resets))
        if engine_hours is not None:
            history.engine_hours.append(MeterPoint(recorded_at, engine_hours, resets))
    for vehicle in vehicles:
        history = histories[vehicle.pk]
        vehicle.daily_distance = meters.daily_usage(history.odometer, window_days=USAGE_WINDOW_DAYS)
        vehicle.daily_engine_hours = meters.daily_usage(
            history.engine_hours, window_days=USAGE_WINDOW_DAYS
        )
    Vehicle.objects.bulk_update(vehicles, ["daily_distance", "daily_engine_hours"], batch_size=1000)


def _lock_vehicles_for(org: Organization, items: list[BulkItem]) -> list[Vehicle]:
    ids = {i.vehicle_id for i in items if i.vehicle_id}
    keys = {
        i.vehicle_key
        for i in items
        if not i.vehicle_id and i.vehicle_key and "\x00" not in i.vehicle_key
    }
    match = Q(pk__in=ids) | Q(vehicle_key__in=keys)
    return list(
        Vehicle.objects.for_org(org)
        .filter(match)
        .select_related("org")
        .select_for_update(of=("self",))
        .order_by("pk")
    )


def _bulk_error(
    item: BulkItem, field_name: str | None, message: str, code: str = "invalid"
) -> dict:
    return {"index": item.index, "code": code, "field": field_name, "message": message}
