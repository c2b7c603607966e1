"""The built-in presets every organization starts with, and what a preset says in words.

Typical values rounded from manufacturers' published maintenance schedules for
light commercial vehicles and for a mid-size excavator; docs/presets.md says
where each comes from. Organizations edit them on the schedule settings page.

A preset applies to the kinds of vehicle (powertrains) it lists and counts in
one meter: distance (in its own unit, converted to each vehicle's), engine
hours, or the calendar alone.
"""

from dataclasses import dataclass

from fleetmaint.intervals.models import ROAD_KINDS, IntervalPreset, PresetMeter
from fleetmaint.vehicles.models import Powertrain, Vehicle
from fleetmaint.vehicles.units import convert_distance

COMBUSTION = Powertrain.COMBUSTION.value
DIESEL = Powertrain.DIESEL.value
ELECTRIC = Powertrain.ELECTRIC.value
HYBRID = Powertrain.HYBRID.value
EQUIPMENT = Powertrain.EQUIPMENT.value

# Vehicles with an engine that burns fuel on the road: oil, air filter, gearbox oil.
ENGINES = (COMBUSTION, DIESEL, HYBRID)
ROAD = ROAD_KINDS
HOURS = PresetMeter.HOURS.value
TIME = PresetMeter.TIME.value


@dataclass(frozen=True)
class PresetDefault:
    name: str
    kinds: tuple[str, ...]
    meter: str = PresetMeter.DISTANCE.value
    distance_km: int | None = None
    hours: int | None = None
    months: int | None = None
    weeks: int | None = None


BUILTIN_PRESETS = (
    # The eight of the vendor API (seed 003), for the road vehicles they fit.
    PresetDefault("Oil Change", ENGINES, distance_km=15_000, months=12),
    PresetDefault("Tire Rotation", ROAD, distance_km=10_000, months=6),
    PresetDefault("Replace Cabin Air Filter", ROAD, distance_km=20_000, months=12),
    PresetDefault("Replace Engine Air Filter", ENGINES, distance_km=30_000, months=24),
    PresetDefault("Replace Brake Pads", ROAD, distance_km=50_000, months=36),
    # Diesels have glow plugs, not spark plugs.
    PresetDefault("Replace Spark Plugs", (COMBUSTION, HYBRID), distance_km=60_000, months=48),
    PresetDefault("Replace Brake Fluid", ROAD, distance_km=40_000, months=24),
    PresetDefault("Replace Transmission Fluid", ENGINES, distance_km=90_000, months=60),
    # What diesels and electric vehicles need besides.
    PresetDefault("Replace Diesel Fuel Filter", (DIESEL,), distance_km=60_000, months=24),
    PresetDefault("Battery Coolant Check", (ELECTRIC,), meter=TIME, months=24),
    # Equipment counts engine hours; the calendar bounds what ages standing still.
    PresetDefault("Engine Oil and Filter", (EQUIPMENT,), meter=HOURS, hours=250, months=6),
    PresetDefault("Replace Hydraulic Filter", (EQUIPMENT,), meter=HOURS, hours=500),
    PresetDefault("Replace Air Filter", (EQUIPMENT,), meter=HOURS, hours=500),
    PresetDefault("Fuel Filter and Water Separator", (EQUIPMENT,), meter=HOURS, hours=500),
    PresetDefault("Grease Pivot Points", (EQUIPMENT,), meter=TIME, weeks=1),
)


def preset_fits(preset: IntervalPreset, vehicle: Vehicle) -> bool:
    """Whether generating the vehicle's schedule takes this preset.

    Enabled, listing the vehicle's powertrain, and for an engine-hour preset a
    vehicle that tracks engine hours: one that does not never gets hour items.
    """
    if not preset.enabled or vehicle.powertrain not in preset.kinds:
        return False
    return preset.meter != PresetMeter.HOURS or vehicle.tracks_engine_hours


def preset_distance(preset: IntervalPreset, unit: str) -> int | None:
    """The preset's distance in ``unit`` (a vehicle's), or None when it counts no distance."""
    if preset.meter != PresetMeter.DISTANCE or preset.distance is None:
        return None
    return convert_distance(preset.distance, preset.distance_unit, unit)


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def period_words(preset: IntervalPreset) -> str:
    """The calendar period: "12 months", "week", or "" when it has none."""
    if preset.weeks:
        return "week" if preset.weeks == 1 else _plural(preset.weeks, "week")
    if preset.months:
        return _plural(preset.months, "month")
    return ""


def every_words(preset: IntervalPreset, unit: str | None = None) -> str:
    """How often, as a person reads it: "every 9,321 mi / 12 months", "every 250 h".

    Distances are in ``unit`` (the vehicle's) when given, else in the preset's own.
    """
    parts = []
    distance = preset_distance(preset, unit or preset.distance_unit)
    if distance is not None:
        parts.append(f"{distance:,} {unit or preset.distance_unit}")
    if preset.meter == PresetMeter.HOURS and preset.hours:
        parts.append(f"{preset.hours:,} h")
    period = period_words(preset)
    if period:
        parts.append(period)
    return "every " + " / ".join(parts)
