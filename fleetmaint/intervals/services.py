"""The maintenance schedule's rules: create, generate, evaluate, service, remove.

Error messages are the ones integrations written for the vendor API expect
(seed 003), so every face shows the same words.
"""

import calendar
import zoneinfo
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fleetmaint.accounts.models import Organization
from fleetmaint.errors import NotFound, ValidationFailed

# The set-based moves are part of this service's surface.
from fleetmaint.intervals.evaluation import intervals_evaluate as intervals_evaluate
from fleetmaint.intervals.evaluation import (
    intervals_refresh_predictions as intervals_refresh_predictions,
)
from fleetmaint.intervals.evaluation import intervals_sweep_dates as intervals_sweep_dates
from fleetmaint.intervals.models import MAX_MILEAGE, MAX_NOTES, IntervalPreset, ServiceInterval
from fleetmaint.intervals.presets import BUILTIN_PRESETS, convert_distance
from fleetmaint.vehicles import meters
from fleetmaint.vehicles.models import Vehicle

ERR_VEHICLE = "Vehicle does not exist!"
ERR_NOTES = f"notes can not be more than {MAX_NOTES} characters!"
ERR_ODOMETER = "odometer is outside of valid range!"
ERR_TIME = "time is outside of valid range!"
ERR_BASIS = "Service interval must be based on mileage or time!"
ERR_IDENTIFIER = "Requires non-zero identifier!"
ERR_NOT_FOUND = "Could not find requested service interval!"
ERR_NOTES_NUL = "notes can not contain NUL characters!"  # ours: the seed has no such case

# A timestamp a few minutes in the past is "now" sent over a slow network.
PAST_GRACE = timedelta(minutes=5)
DUE_SOON_DAYS = 30


# --- parsing the vendor's loose inputs ---------------------------------------------


def parse_odometer(raw: object) -> int | None:
    """An odometer value from a form or JSON; anything unusable is a range error."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    if isinstance(raw, bool):
        raise ValidationFailed(ERR_ODOMETER, field="odometer")
    try:
        number = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValidationFailed(ERR_ODOMETER, field="odometer") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValidationFailed(ERR_ODOMETER, field="odometer")
    if not 0 <= number <= MAX_MILEAGE:
        raise ValidationFailed(ERR_ODOMETER, field="odometer")
    return int(number)


def parse_time(raw: object, org: Organization) -> datetime | None:
    """A Unix timestamp (seconds, or milliseconds above 10^11) or an ISO 8601 datetime.

    An ISO datetime without an offset is read in the organization's time zone.
    """
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    if isinstance(raw, datetime):
        moment = raw
    elif isinstance(raw, bool):
        raise ValidationFailed(ERR_TIME, field="time")
    else:
        text = str(raw).strip()
        moment = _from_timestamp(text) or _from_iso(text)
        if moment is None:
            raise ValidationFailed(ERR_TIME, field="time")
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=_zone(org))
    return moment


def _zone(org: Organization) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(org.time_zone)


def _from_timestamp(text: str) -> datetime | None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    seconds = number / 1000 if abs(number) > 10**11 else number
    try:
        return datetime.fromtimestamp(float(seconds), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _from_iso(text: str) -> datetime | None:
    try:
        return parse_datetime(text.replace(" ", "T", 1) if "T" not in text else text)
    except ValueError:
        return None


def one_year_after(moment: datetime) -> datetime:
    year = moment.year + 1
    day = min(moment.day, calendar.monthrange(year, moment.month)[1])
    return moment.replace(year=year, day=day)


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _check_time_range(moment: datetime | None, now: datetime) -> None:
    if moment is not None and not (now - PAST_GRACE <= moment <= one_year_after(now)):
        raise ValidationFailed(ERR_TIME, field="time")


def _check_notes(notes: str) -> str:
    notes = notes or ""
    if len(notes) > MAX_NOTES:
        raise ValidationFailed(ERR_NOTES, field="notes")
    # PostgreSQL cannot store NUL in text; refuse it instead of failing with a 500.
    if "\x00" in notes:
        raise ValidationFailed(ERR_NOTES_NUL, field="notes")
    return notes


def vehicle_by_key(org: Organization, vehicle_key: object) -> Vehicle:
    key = str(vehicle_key or "").strip()
    if not key or "\x00" in key:  # a NUL cannot be stored, so no vehicle has it
        raise NotFound(ERR_VEHICLE, field="vehicle_key")
    vehicle = Vehicle.objects.for_org(org).select_related("org").filter(vehicle_key=key).first()
    if vehicle is None:
        raise NotFound(ERR_VEHICLE, field="vehicle_key")
    return vehicle


def parse_identifier(raw: object) -> int:
    """A positive interval id; zero, missing or malformed is the vendor's identifier error."""
    try:
        number = int(str(raw).strip())
    except (TypeError, ValueError):
        raise ValidationFailed(ERR_IDENTIFIER, field="id") from None
    if number <= 0:
        raise ValidationFailed(ERR_IDENTIFIER, field="id")
    return number


def interval_for(vehicle: Vehicle, interval_id: object) -> ServiceInterval:
    """An open interval of the vehicle, by id."""
    number = parse_identifier(interval_id)
    interval = (
        ServiceInterval.objects.filter(vehicle=vehicle, pk=number, serviced_at=None)
        .select_related("vehicle", "vehicle__org", "preset")
        .first()
    )
    if interval is None:
        raise NotFound(ERR_NOT_FOUND, field="id")
    return interval


# --- writes ---------------------------------------------------------------------------


def _default_name(notes: str) -> str:
    first_line = notes.strip().splitlines()[0] if notes.strip() else ""
    return (first_line[:117] + "…") if len(first_line) > 120 else (first_line or "Service")


def interval_create(
    *,
    vehicle: Vehicle,
    odometer: object = None,
    time: object = None,
    notes: str = "",
    name: str = "",
) -> ServiceInterval:
    """A service interval due at a mileage, a date, or whichever comes first."""
    now = timezone.now()
    notes = _check_notes(notes)
    mileage = parse_odometer(odometer)
    moment = parse_time(time, vehicle.org)
    _check_time_range(moment, now)
    if mileage is None and moment is None:
        raise ValidationFailed(ERR_BASIS, field="odometer")
    name = (name or "").strip()
    if len(name) > 120:
        raise ValidationFailed("The name can be at most 120 characters.", field="name")
    if "\x00" in name:
        raise ValidationFailed("The name cannot contain NUL characters.", field="name")
    with transaction.atomic():
        interval = ServiceInterval.objects.create(
            org_id=vehicle.org_id,
            vehicle=vehicle,
            name=name or _default_name(notes),
            service_at_mileage=mileage,
            service_at_date=moment,
            notes=notes,
            start_odometer=vehicle.odometer,
            predicted_due_at=predict_due(vehicle, mileage, moment, now),
        )
        intervals_evaluate(vehicle_ids=[vehicle.pk])
    interval.refresh_from_db()
    return interval


def interval_update_notes(*, interval: ServiceInterval, notes: str) -> ServiceInterval:
    """Appends the note; when both together are too long, the new note replaces the old."""
    notes = _check_notes(notes)
    if not notes:
        return interval
    old = interval.notes
    if len(old) + len(notes) > MAX_NOTES:
        interval.notes = notes
    else:
        # A line break between them when it fits; the limit counts the notes, not it.
        separator = "\n" if old and len(old) + len(notes) < MAX_NOTES else ""
        interval.notes = f"{old}{separator}{notes}"
    interval.save(update_fields=["notes", "last_updated"])
    return interval


def interval_remove(*, interval: ServiceInterval) -> None:
    interval.delete()


def interval_mark_serviced(
    *,
    interval: ServiceInterval,
    odometer: object = None,
    serviced_at: datetime | None = None,
) -> ServiceInterval | None:
    """Closes the interval; for a preset's interval, schedules the next one.

    Returns the next interval, if one was scheduled.
    """
    now = timezone.now()
    serviced_at = serviced_at or now
    if serviced_at > now + PAST_GRACE:
        raise ValidationFailed("The service date cannot be in the future.", field="serviced_at")
    mileage = parse_odometer(odometer)
    with transaction.atomic():
        closed = ServiceInterval.objects.filter(pk=interval.pk, serviced_at=None).update(
            serviced_at=serviced_at, serviced_odometer=mileage, last_updated=now
        )
        if not closed:
            raise ValidationFailed("This interval has already been serviced.", field="id")
        interval.serviced_at, interval.serviced_odometer = serviced_at, mileage
        preset = interval.preset
        if preset is None or not preset.enabled:
            return None
        vehicle = interval.vehicle
        base_mileage = mileage if mileage is not None else vehicle.odometer
        following = _create_from_preset(vehicle, preset, base_mileage, serviced_at, now)
        # A service recorded late may leave the next one due already.
        intervals_evaluate(vehicle_ids=[vehicle.pk])
        following.refresh_from_db()
        return following


def _create_from_preset(
    vehicle: Vehicle,
    preset: IntervalPreset,
    base_mileage: int | None,
    base_date: datetime,
    now: datetime,
) -> ServiceInterval:
    interval = preset_interval(vehicle, preset, base_mileage, base_date, now)
    interval.save()
    return interval


def preset_interval(
    vehicle: Vehicle,
    preset: IntervalPreset,
    base_mileage: int | None,
    base_date: datetime,
    now: datetime,
) -> ServiceInterval:
    mileage = None
    if base_mileage is not None:
        step = convert_distance(preset.distance, preset.distance_unit, vehicle.distance_unit)
        mileage = min(base_mileage + step, MAX_MILEAGE)
    moment = add_months(base_date, preset.months)
    return ServiceInterval(
        org_id=vehicle.org_id,
        vehicle=vehicle,
        name=preset.name,
        preset=preset,
        service_at_mileage=mileage,
        service_at_date=moment,
        start_odometer=base_mileage,
        predicted_due_at=predict_due(vehicle, mileage, moment, now),
    )


def presets_ensure(org: Organization) -> list[IntervalPreset]:
    """The organization's presets, creating any missing built-in ones."""
    existing = {p.name: p for p in IntervalPreset.objects.filter(org=org)}
    missing = [
        IntervalPreset(
            org=org,
            name=default.name,
            distance=convert_distance(default.distance_km, "km", org.distance_unit),
            distance_unit=org.distance_unit,
            months=default.months,
            builtin=True,
            position=position,
        )
        for position, default in enumerate(BUILTIN_PRESETS)
        if default.name not in existing
    ]
    if missing:
        IntervalPreset.objects.bulk_create(missing, ignore_conflicts=True)
    return list(IntervalPreset.objects.filter(org=org))


def intervals_generate(*, org: Organization, vehicles: list[Vehicle] | None = None) -> int:
    """Creates each enabled preset's interval where a vehicle has no open one of it.

    For the given vehicles, or every active vehicle of the organization.
    Set-based: a fixed number of queries however large the fleet. Returns how
    many were created.
    """
    presets = [p for p in presets_ensure(org) if p.enabled]
    if vehicles is None:
        vehicles = list(Vehicle.objects.for_org(org).filter(archived=False))
    if not presets or not vehicles:
        return 0
    taken = set(
        ServiceInterval.objects.filter(
            vehicle__in=vehicles, serviced_at=None, preset__in=presets
        ).values_list("vehicle_id", "preset_id")
    )
    now = timezone.now()
    new = [
        preset_interval(v, p, v.odometer, now, now)
        for v in vehicles
        for p in presets
        if (v.pk, p.pk) not in taken
    ]
    ServiceInterval.objects.bulk_create(new, batch_size=2000)
    if new:
        # A short preset may start near its mileage already: flagged like any other.
        intervals_evaluate(vehicle_ids={interval.vehicle_id for interval in new})
    return len(new)


def intervals_fill_mileage(*, vehicles: list[Vehicle]) -> int:
    """Gives open preset intervals without a mileage one, once the vehicle has an odometer.

    A vehicle that got its schedule before its first reading has date-only
    intervals; its first odometer completes them instead of adding new ones.
    """
    filled = []
    for interval in ServiceInterval.objects.filter(
        vehicle__in=vehicles, serviced_at=None, service_at_mileage=None, preset__isnull=False
    ).select_related("vehicle", "preset"):
        vehicle = interval.vehicle
        if vehicle.odometer is None:
            continue
        step = convert_distance(
            interval.preset.distance, interval.preset.distance_unit, vehicle.distance_unit
        )
        interval.service_at_mileage = min(vehicle.odometer + step, MAX_MILEAGE)
        interval.start_odometer = vehicle.odometer
        filled.append(interval)
    ServiceInterval.objects.bulk_update(filled, ["service_at_mileage", "start_odometer"])
    return len(filled)


def intervals_on_first_odometer(*, org: Organization, vehicle_ids: set[int]) -> None:
    """A first odometer completes the vehicles' schedule, when the fleet asks for that."""
    if not org.generate_presets_on_first_reading:
        return
    fresh = list(Vehicle.objects.filter(pk__in=vehicle_ids, archived=False))
    intervals_fill_mileage(vehicles=fresh)
    intervals_generate(org=org, vehicles=fresh)


def intervals_on_vehicles_created(*, org: Organization, vehicles: list[Vehicle]) -> None:
    """New vehicles get the presets' schedule, when the fleet asks for that."""
    if org.generate_presets_for_new_vehicles:
        intervals_generate(org=org, vehicles=vehicles)


def presets_update(
    *, org: Organization, changes: dict[int, dict], new: dict | None = None
) -> list[IntervalPreset]:
    """Edits presets (distance, months, enabled; name for custom ones) and adds one."""
    presets = {p.pk: p for p in presets_ensure(org)}
    with transaction.atomic():
        for preset_id, values in changes.items():
            preset = presets.get(preset_id)
            if preset is None:
                raise NotFound("That preset does not exist.")
            _apply_preset_values(preset, values)
            preset.save()
        if new and (new.get("name") or "").strip():
            preset = IntervalPreset(org=org, distance_unit=org.distance_unit, position=200)
            _apply_preset_values(preset, {**new, "enabled": True})
            if IntervalPreset.objects.filter(org=org, name__iexact=preset.name).exists():
                raise ValidationFailed(f"A preset called {preset.name!r} exists.", field="name")
            preset.save()
    return list(IntervalPreset.objects.filter(org=org))


def _apply_preset_values(preset: IntervalPreset, values: dict) -> None:
    if "name" in values and not preset.builtin:
        name = (values["name"] or "").strip()
        if not name or len(name) > 120:
            raise ValidationFailed("A preset needs a name of up to 120 characters.", field="name")
        preset.name = name
    distance, months = values.get("distance"), values.get("months")
    if distance is not None:
        if not 0 < int(distance) <= MAX_MILEAGE:
            raise ValidationFailed(
                f"The distance must be between 1 and {MAX_MILEAGE:,}.", field="distance"
            )
        preset.distance = int(distance)
    if months is not None:
        if not 0 < int(months) <= 240:
            raise ValidationFailed("The months must be between 1 and 240.", field="months")
        preset.months = int(months)
    if "enabled" in values:
        preset.enabled = bool(values["enabled"])


def schedule_settings_update(
    *, org: Organization, for_new_vehicles: bool, on_first_reading: bool
) -> Organization:
    org.generate_presets_for_new_vehicles = for_new_vehicles
    org.generate_presets_on_first_reading = on_first_reading
    org.save(
        update_fields=["generate_presets_for_new_vehicles", "generate_presets_on_first_reading"]
    )
    return org


# --- thresholds -----------------------------------------------------------------------


def predict_due(
    vehicle: Vehicle, mileage: int | None, moment: datetime | None, now: datetime
) -> datetime | None:
    """When the interval is expected to fall due: its date, or sooner by the vehicle's use."""
    by_mileage = None
    if mileage is not None and vehicle.odometer is not None:
        days = meters.days_until_reached(mileage - vehicle.odometer, vehicle.daily_distance)
        if days is not None:
            by_mileage = now + timedelta(days=min(days, 36_500))
    return meters.earliest(moment, by_mileage)


def is_required(interval: ServiceInterval, now: datetime) -> bool:
    odometer = interval.vehicle.odometer
    by_mileage = (
        interval.service_at_mileage is not None
        and odometer is not None
        and odometer >= interval.service_at_mileage
    )
    by_date = interval.service_at_date is not None and now >= interval.service_at_date
    return by_mileage or by_date


def required_q(now: datetime) -> Q:
    """Intervals the vehicle's odometer or the calendar has reached."""
    return Q(service_at_mileage__lte=F("vehicle__odometer")) | Q(service_at_date__lte=now)
