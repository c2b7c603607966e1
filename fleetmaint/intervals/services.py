"""The maintenance schedule's rules: create, generate, evaluate, service, reopen, remove.

Services take typed values (``int``, ``datetime``, ``str``); loose ones are
parsed at the edge (``intervals.inputs``). Refusals are plain words with a
stable reason (``intervals.refusals``) that the vendor-compatible endpoints
turn into the vendor's texts.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from fleetmaint.accounts.models import Organization
from fleetmaint.errors import Conflict, NotFound, ValidationFailed
from fleetmaint.inputs import clean_text

# The set-based moves are part of this service's surface.
from fleetmaint.intervals.evaluation import intervals_evaluate as intervals_evaluate
from fleetmaint.intervals.evaluation import (
    intervals_refresh_predictions as intervals_refresh_predictions,
)
from fleetmaint.intervals.evaluation import intervals_settle as intervals_settle
from fleetmaint.intervals.evaluation import intervals_sweep_dates as intervals_sweep_dates
from fleetmaint.intervals.inputs import check_new_due
from fleetmaint.intervals.models import (
    MAX_MILEAGE,
    MAX_NOTES,
    IntervalPreset,
    IntervalService,
    ServiceInterval,
)
from fleetmaint.intervals.presets import BUILTIN_PRESETS
from fleetmaint.intervals.refusals import Reason, ScheduleInvalid
from fleetmaint.tasks.completion import CompletionInput, completion_moment, record_meters
from fleetmaint.vehicles import meters
from fleetmaint.vehicles.models import Vehicle
from fleetmaint.vehicles.units import convert_distance

# A timestamp a few minutes in the past is "now" sent over a slow network.
PAST_GRACE = timedelta(minutes=5)
DUE_SOON_DAYS = 30


def one_year_after(moment: datetime) -> datetime:
    """The same day a year later; the 29th of February becomes the 28th."""
    return moment + relativedelta(years=1)


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later, or the month's last day when it is shorter."""
    return moment + relativedelta(months=months)


def _check_mileage(mileage: int | None) -> int | None:
    if mileage is not None and (isinstance(mileage, bool) or not 0 <= mileage <= MAX_MILEAGE):
        raise ScheduleInvalid(Reason.ODOMETER_RANGE, field="odometer")
    return mileage


def _check_notes(notes: str) -> str:
    notes = clean_text(notes or "", field="notes")
    if len(notes) > MAX_NOTES:
        raise ScheduleInvalid(Reason.NOTES_TOO_LONG, field="notes")
    return notes


# --- writes ---------------------------------------------------------------------------


def _default_name(notes: str) -> str:
    first_line = notes.strip().splitlines()[0] if notes.strip() else ""
    return (first_line[:117] + "…") if len(first_line) > 120 else (first_line or "Service")


def interval_create(
    *,
    vehicle: Vehicle,
    odometer: int | None = None,
    time: datetime | None = None,
    notes: str = "",
    name: str = "",
    already_overdue: bool = False,
) -> ServiceInterval:
    """A service interval due at a mileage, a date, or whichever comes first.

    The mileage and date follow ``intervals.inputs.check_new_due``: ahead of the
    odometer, within ten years, before today only when ``already_overdue``.
    """
    now = timezone.now()
    notes = _check_notes(notes)
    mileage = _check_mileage(odometer)
    moment = time
    check_new_due(
        vehicle=vehicle, mileage=mileage, moment=moment, now=now, already_overdue=already_overdue
    )
    if mileage is None and moment is None:
        raise ScheduleInvalid(Reason.NO_BASIS, field="odometer")
    name = clean_text((name or "").strip(), field="name")
    if len(name) > 120:
        raise ValidationFailed("The name can be at most 120 characters.", field="name")
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
    interval.edited_at = timezone.now()
    interval.save(update_fields=["notes", "edited_at", "last_updated"])
    return interval


def interval_remove(*, interval: ServiceInterval) -> None:
    interval.delete()


def interval_mark_serviced(
    *,
    interval: ServiceInterval,
    odometer: int | None = None,
    serviced_at: datetime | None = None,
    completion: CompletionInput | None = None,
    actor=None,
) -> ServiceInterval | None:
    """Records what happened and closes the interval; a preset's gets its next one.

    ``completion`` says when, the meters, the cost, the servicer and notes; the
    bare ``odometer`` and ``serviced_at`` are what orders and the vendor API
    send. A given meter value is recorded as a reading through the reading
    rules. Returns the next interval, if one was scheduled.
    """
    completion = completion or CompletionInput()
    if odometer is not None and completion.odometer is None:
        completion = completion.model_copy(update={"odometer": odometer})
    if serviced_at is not None and completion.done_at is None:
        completion = completion.model_copy(update={"done_at": serviced_at})
    now = timezone.now()
    vehicle = interval.vehicle
    done_at = completion.done_at
    if done_at is not None and timezone.is_aware(done_at) and done_at > now + PAST_GRACE:
        raise ValidationFailed("The service date cannot be in the future.", field="serviced_at")
    moment = completion_moment(completion.done_at, vehicle.org.time_zone, field="serviced_at")
    mileage = _check_mileage(completion.odometer)
    hours = completion.engine_hours
    if hours is not None:
        hours = Decimal(hours).quantize(Decimal("0.1"))
        if not vehicle.tracks_engine_hours:
            raise ValidationFailed(
                f"{vehicle.label} does not track engine hours.", field="engine_hours"
            )
    with transaction.atomic():
        closed = (
            ServiceInterval.objects.open()
            .filter(pk=interval.pk)
            .update(
                serviced_at=moment,
                serviced_odometer=mileage if mileage is not None else vehicle.odometer,
                last_updated=now,
            )
        )
        if not closed:
            raise ValidationFailed("This interval has already been serviced.", field="id")
        reading = record_meters(
            vehicle=vehicle,
            odometer=mileage,
            engine_hours=hours,
            at=moment,
            confirm_jump=completion.confirm_jump,
            note=f"Recorded with {interval.name} serviced",
            actor=actor,
        )
        current = Vehicle.objects.only("odometer", "engine_hours").get(pk=vehicle.pk)
        base_mileage = mileage if mileage is not None else current.odometer
        interval.serviced_at, interval.serviced_odometer = moment, base_mileage
        IntervalService.objects.create(
            org_id=interval.org_id,
            interval=interval,
            vehicle_id=vehicle.pk,
            serviced_at=moment,
            odometer=base_mileage,
            engine_hours=hours if hours is not None else current.engine_hours,
            cost=completion.cost or Decimal("0.00"),
            servicer=completion.servicer,
            notes=completion.notes,
            reading=reading,
            recorded_by=actor,
        )
        preset = interval.preset
        if preset is None or not preset.enabled:
            return None
        following = preset_interval(vehicle, preset, base_mileage, moment, now)
        following.follows = interval
        following.save()
        # A service recorded late may leave the next one due already.
        intervals_evaluate(vehicle_ids=[vehicle.pk])
        following.refresh_from_db()
        return following


def _why_kept(following: ServiceInterval) -> str | None:
    """Why the interval a preset scheduled next cannot simply be removed, or None."""
    if following.serviced_at is not None:
        return "it was serviced since"
    if following.edited_at is not None:
        return "a note was added to it"
    quote = following.quotes.order_by("pk").first()
    if quote is not None:
        return f"it is on quote {quote.pk}"
    order = following.orders.order_by("pk").first()
    if order is not None:
        return f"it is on order {order.pk}"
    return None


def interval_reopen(*, interval: ServiceInterval, actor=None) -> ServiceInterval:
    """Takes back a service recorded by mistake; it stays in the history as reopened.

    The next interval its preset scheduled is removed when nobody has touched
    it (not serviced, no note added, on no quote or order); otherwise the
    interval is not reopened, and the message says why.
    """
    now = timezone.now()
    with transaction.atomic():
        locked = (
            ServiceInterval.objects.select_for_update(of=("self",))
            .select_related("vehicle", "vehicle__org")
            .filter(pk=interval.pk)
            .first()
        )
        if locked is None:
            raise NotFound("That interval does not exist.")
        if locked.serviced_at is None:
            raise Conflict("This interval is open; there is nothing to reopen.", field="id")
        following = (
            ServiceInterval.objects.select_for_update(of=("self",)).filter(follows=locked).first()
        )
        if following is not None:
            reason = _why_kept(following)
            if reason:
                raise Conflict(
                    f"{locked.name} cannot be reopened: the next one its preset scheduled "
                    f"(interval {following.pk}) is kept because {reason}.",
                    field="id",
                )
            following.delete()
        service = locked.services.filter(reopened_at=None).order_by("-serviced_at", "-pk").first()
        if service is not None:
            service.reopened_at = now
            service.reopened_by = actor
            service.next_removed = following is not None
            service.save(update_fields=["reopened_at", "reopened_by", "next_removed"])
        vehicle = locked.vehicle
        locked.serviced_at = None
        locked.serviced_odometer = None
        locked.predicted_due_at = predict_due(
            vehicle, locked.service_at_mileage, locked.service_at_date, now
        )
        locked.save()
        intervals_evaluate(vehicle_ids=[vehicle.pk])
    locked.refresh_from_db()
    return locked


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
        ServiceInterval.objects.open()
        .filter(vehicle__in=vehicles, preset__in=presets)
        .values_list("vehicle_id", "preset_id")
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
    for interval in (
        ServiceInterval.objects.open()
        .filter(vehicle__in=vehicles, service_at_mileage=None, preset__isnull=False)
        .select_related("vehicle", "preset")
    ):
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
