"""Schedules generated from presets: which presets fit a vehicle, and what each one makes.

A preset fits a vehicle when it is enabled and lists the vehicle's powertrain
(``presets.preset_fits``). What it makes depends on what it counts:

- distance or time: a service interval (seed 003 holds a mileage and a date),
  the distance converted to the vehicle's unit;
- engine hours: a repeating service task with an engine-hour limit, since
  intervals hold no engine hours and tasks do (seed 004). Only for vehicles
  that track engine hours and have a reading of them: a task's limit counts
  from the hours it starts at.

Set-based: a fixed number of statements however many presets and vehicles.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from fleetmaint.accounts.models import Organization
from fleetmaint.intervals.evaluation import intervals_evaluate
from fleetmaint.intervals.models import MAX_MILEAGE, IntervalPreset, PresetMeter, ServiceInterval
from fleetmaint.intervals.presets import (
    BUILTIN_PRESETS,
    PresetDefault,
    every_words,
    preset_distance,
    preset_fits,
)
from fleetmaint.intervals.timing import add_period, predict_due
from fleetmaint.tasks.inputs import Conditions, TaskInput
from fleetmaint.tasks.models import ServiceTask
from fleetmaint.tasks.planned import tasks_create_planned
from fleetmaint.vehicles.models import Vehicle
from fleetmaint.vehicles.units import convert_distance

# An engine-hour task is due soon a tenth of its hours before its limit (25 h of
# 250 h), and its date two weeks before, or sooner for a short period.
HOURS_REMINDER_SHARE = Decimal("0.1")
DATE_REMINDER_DAYS = 14


@dataclass(frozen=True)
class Generated:
    """What generating made: intervals, engine-hour tasks, and what waits for a reading."""

    intervals: int = 0
    tasks: int = 0
    waiting: int = 0  # engine-hour items of vehicles without an engine-hours reading yet

    @property
    def total(self) -> int:
        return self.intervals + self.tasks


# --- the organization's presets ---------------------------------------------------------


def _builtin(org: Organization, position: int, default: PresetDefault) -> IntervalPreset:
    distance = None
    if default.distance_km is not None:
        distance = convert_distance(default.distance_km, "km", org.distance_unit)
    return IntervalPreset(
        org=org,
        name=default.name,
        kinds=list(default.kinds),
        meter=default.meter,
        distance=distance,
        distance_unit=org.distance_unit,
        hours=default.hours,
        months=default.months,
        weeks=default.weeks,
        builtin=True,
        position=position,
    )


def _missing_builtins(org: Organization, names: set[str]) -> list[IntervalPreset]:
    return [
        _builtin(org, position, default)
        for position, default in enumerate(BUILTIN_PRESETS)
        if default.name not in names
    ]


def presets_ensure(org: Organization) -> list[IntervalPreset]:
    """The organization's presets, creating any missing built-in ones."""
    names = set(IntervalPreset.objects.filter(org=org).values_list("name", flat=True))
    missing = _missing_builtins(org, names)
    if missing:
        # A custom preset may already use a new built-in's name: it stays the fleet's own.
        IntervalPreset.objects.bulk_create(missing, ignore_conflicts=True)
    return list(IntervalPreset.objects.filter(org=org))


@dataclass(frozen=True)
class PresetLine:
    """A preset as shown for one vehicle: its distance in the vehicle's unit."""

    name: str
    every: str
    meter: str


def presets_for_vehicle(vehicle: Vehicle) -> list[PresetLine]:
    """The presets that generating the vehicle's schedule would take, in words for it.

    A read, in one statement: built-in presets the fleet does not have yet are
    shown as generating would create them, not created by looking.
    """
    stored = list(IntervalPreset.objects.filter(org_id=vehicle.org_id))
    missing = _missing_builtins(vehicle.org, {p.name for p in stored})
    presets = sorted([*stored, *missing], key=lambda p: (p.position, p.name))
    return [
        PresetLine(p.name, every_words(p, vehicle.distance_unit), p.meter)
        for p in presets
        if preset_fits(p, vehicle)
    ]


# --- intervals --------------------------------------------------------------------------


def makes_intervals(preset: IntervalPreset) -> bool:
    """Distance and time presets make intervals; engine-hour ones make tasks."""
    return preset.meter in (PresetMeter.DISTANCE, PresetMeter.TIME)


def preset_interval(
    vehicle: Vehicle,
    preset: IntervalPreset,
    base_mileage: int | None,
    base_date: datetime,
    now: datetime,
) -> ServiceInterval:
    """The preset's next interval for the vehicle, counted from a mileage and a date."""
    mileage = None
    step = preset_distance(preset, vehicle.distance_unit)
    if base_mileage is not None and step is not None:
        mileage = min(base_mileage + step, MAX_MILEAGE)
    moment = add_period(base_date, months=preset.months, weeks=preset.weeks)
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


def _new_intervals(
    pairs: list[tuple[Vehicle, IntervalPreset]], now: datetime
) -> list[ServiceInterval]:
    if not pairs:
        return []
    taken = set(
        ServiceInterval.objects.open()
        .filter(vehicle__in={v.pk for v, _ in pairs}, preset__in={p.pk for _, p in pairs})
        .values_list("vehicle_id", "preset_id")
    )
    new = [
        preset_interval(v, p, v.odometer, now, now) for v, p in pairs if (v.pk, p.pk) not in taken
    ]
    return ServiceInterval.objects.bulk_create(new, batch_size=2000)


# --- engine-hour tasks ------------------------------------------------------------------


def _hours_task(preset: IntervalPreset, now: datetime) -> TaskInput:
    """A repeating task due every ``preset.hours`` engine hours, and by date when it has one."""
    hours = Decimal(preset.hours)
    conditions: dict = {
        "engine_hours": {
            "limit": hours,
            "notification_interval": (hours * HOURS_REMINDER_SHARE).quantize(Decimal("0.1")),
            "repeat_interval": hours,
        }
    }
    end = add_period(now, months=preset.months, weeks=preset.weeks)
    if end is not None:
        # Without a repeat interval in days, each repetition keeps this first span.
        span_days = (end - now) // timedelta(days=1)
        reminder = min(DATE_REMINDER_DAYS, max(span_days // 4, 1))
        conditions["date"] = {"end": end, "notification_interval": reminder}
    return TaskInput(
        description=preset.name,
        comment=f"Planned from the presets: {every_words(preset)}",
        repeat=True,
        conditions=Conditions.model_validate(conditions),
    )


def _taken_tasks(pairs: list[tuple[Vehicle, IntervalPreset]]) -> set[tuple[int, str]]:
    """(vehicle, name) of open engine-hour tasks: tasks hold no preset, so the name says it.

    A repeating task's next one is open under the same name, so generating again
    adds nothing while the preset's work is planned.
    """
    return set(
        ServiceTask.objects.open()
        .filter(
            vehicle__in={v.pk for v, _ in pairs},
            description__in={p.name for _, p in pairs},
            hours_limit__isnull=False,
        )
        .values_list("vehicle_id", "description")
    )


def _new_hour_tasks(
    org: Organization, pairs: list[tuple[Vehicle, IntervalPreset]], now: datetime
) -> tuple[int, int]:
    """Creates the engine-hour tasks; returns (created, waiting for a first reading)."""
    ready = [(v, p) for v, p in pairs if not v.archived and v.engine_hours is not None]
    waiting = sum(1 for v, _ in pairs if not v.archived and v.engine_hours is None)
    if not ready:
        return 0, waiting
    taken = _taken_tasks(ready)
    plans = [(v, _hours_task(p, now)) for v, p in ready if (v.pk, p.name) not in taken]
    return len(tasks_create_planned(org=org, plans=plans)), waiting


# --- generating -------------------------------------------------------------------------


def schedule_generate(*, org: Organization, vehicles: Iterable[Vehicle] | None = None) -> Generated:
    """Gives each vehicle what its fitting presets make and it does not have open yet.

    For the given vehicles, or every active vehicle of the organization.
    """
    presets = [p for p in presets_ensure(org) if p.enabled]
    if vehicles is None:
        vehicles = Vehicle.objects.for_org(org).filter(archived=False)
    vehicles = list(vehicles)
    pairs = [(v, p) for v in vehicles for p in presets if preset_fits(p, v)]
    if not pairs:
        return Generated()
    now = timezone.now()
    with transaction.atomic():
        intervals = _new_intervals([(v, p) for v, p in pairs if makes_intervals(p)], now)
        hourly = [(v, p) for v, p in pairs if p.meter == PresetMeter.HOURS]
        tasks, waiting = _new_hour_tasks(org, hourly, now)
        if intervals:
            # A short preset may start near its mileage already: flagged like any other.
            intervals_evaluate(vehicle_ids={interval.vehicle_id for interval in intervals})
    return Generated(intervals=len(intervals), tasks=tasks, waiting=waiting)


def intervals_generate(*, org: Organization, vehicles: list[Vehicle] | None = None) -> int:
    """Generates the schedule (``schedule_generate``); how many intervals and tasks it made."""
    return schedule_generate(org=org, vehicles=vehicles).total


def intervals_fill_mileage(*, vehicles: list[Vehicle]) -> int:
    """Gives open distance-preset intervals without a mileage one, once there is an odometer.

    A vehicle that got its schedule before its first reading has date-only
    intervals; its first odometer completes them instead of adding new ones.
    """
    filled = []
    for interval in (
        ServiceInterval.objects.open()
        .filter(
            vehicle__in=vehicles,
            service_at_mileage=None,
            preset__meter=PresetMeter.DISTANCE,
            preset__distance__isnull=False,
        )
        .select_related("vehicle", "preset")
    ):
        vehicle = interval.vehicle
        if vehicle.odometer is None:
            continue
        step = preset_distance(interval.preset, vehicle.distance_unit)
        interval.service_at_mileage = min(vehicle.odometer + step, MAX_MILEAGE)
        interval.start_odometer = vehicle.odometer
        filled.append(interval)
    ServiceInterval.objects.bulk_update(filled, ["service_at_mileage", "start_odometer"])
    return len(filled)


def intervals_on_first_meter(*, org: Organization, vehicle_ids: set[int]) -> None:
    """A first odometer or engine-hours reading completes the vehicles' schedule (mileages
    of date-only intervals, the presets that waited for that meter), when the fleet asks.

    Generating is idempotent: what a vehicle already has open is not made twice.
    """
    if not org.generate_presets_on_first_reading:
        return
    fresh = list(Vehicle.objects.filter(pk__in=vehicle_ids, archived=False))
    intervals_fill_mileage(vehicles=fresh)
    intervals_generate(org=org, vehicles=fresh)


def intervals_on_vehicles_created(*, org: Organization, vehicles: list[Vehicle]) -> None:
    """New vehicles get the presets' schedule, when the fleet asks for that."""
    if org.generate_presets_for_new_vehicles:
        intervals_generate(org=org, vehicles=vehicles)
