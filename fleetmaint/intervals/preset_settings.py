"""The schedule settings: an organization's presets and when schedules are generated.

Every rule about what a preset may hold is here: a name for a custom one,
numbers in range, at least one kind of vehicle, and the number its meter
counts (a distance preset also has a period, since a vehicle without an
odometer reading is scheduled by date alone). A refusal names the preset and
the field, so the page shows it next to the field of the right row.
"""

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from fleetmaint.accounts.models import Organization
from fleetmaint.errors import NotFound, ValidationFailed
from fleetmaint.intervals.generation import presets_ensure
from fleetmaint.intervals.models import MAX_MILEAGE, IntervalPreset, PresetMeter, road_kinds
from fleetmaint.intervals.preset_inputs import PresetChanges, preset_changes
from fleetmaint.vehicles.models import Powertrain

MAX_HOURS_BETWEEN = 100_000
MAX_MONTHS = 240
MAX_WEEKS = 520  # ten years of weeks; beyond that, months say it better
CUSTOM_POSITION = 200
# Kinds are stored in the order the choices list them, so equal sets compare equal.
_KIND_ORDER = list(Powertrain.values)
RANGES = {
    "distance": (MAX_MILEAGE, "distance"),
    "hours": (MAX_HOURS_BETWEEN, "engine hours"),
    "months": (MAX_MONTHS, "months"),
    "weeks": (MAX_WEEKS, "weeks"),
}


class PresetInvalid(ValidationFailed):
    """A preset's values refused; ``preset_id`` says which (None: the new one)."""

    def __init__(self, preset: IntervalPreset, message: str, *, field: str):
        label = preset.name or "The new preset"
        super().__init__(f"{label}: {message}", field=field)
        self.preset_id = preset.pk


def presets_update(
    *,
    org: Organization,
    changes: Mapping[int, PresetChanges | dict[str, Any]],
    new: PresetChanges | dict[str, Any] | None = None,
) -> list[IntervalPreset]:
    """Edits presets (the values given; the name of custom ones only) and adds one.

    All or nothing: one refused preset leaves every preset as it was.
    """
    presets = {p.pk: p for p in presets_ensure(org)}
    with transaction.atomic():
        for preset_id, values in changes.items():
            preset = presets.get(preset_id)
            if preset is None:
                raise NotFound("That preset does not exist.")
            _apply(preset, preset_changes(values))
            preset.save()
        if new is not None:
            _add(org, preset_changes(new))
    return list(IntervalPreset.objects.filter(org=org))


def _add(org: Organization, values: PresetChanges) -> IntervalPreset | None:
    if not (values.name or "").strip():
        return None
    preset = IntervalPreset(
        org=org,
        distance_unit=org.distance_unit,
        position=CUSTOM_POSITION,
        kinds=road_kinds(),
        meter=PresetMeter.DISTANCE,
        enabled=True,
    )
    _apply(preset, values)
    if IntervalPreset.objects.filter(org=org, name__iexact=preset.name).exists():
        raise PresetInvalid(preset, "a preset of that name exists.", field="name")
    preset.save()
    return preset


def _apply(preset: IntervalPreset, changes: PresetChanges) -> None:
    values = changes.given()
    if "name" in values and not preset.builtin:
        name = (values["name"] or "").strip()
        if not name or len(name) > 120:
            raise PresetInvalid(
                preset, "a preset needs a name of up to 120 characters.", field="name"
            )
        preset.name = name
    for field, (high, words) in RANGES.items():
        number = values.get(field)
        if number is not None and not 0 < number <= high:
            raise PresetInvalid(preset, f"the {words} must be between 1 and {high:,}.", field=field)
    # One period: months given alone replace weeks, and the other way round.
    if values.get("months") is not None and "weeks" not in values:
        values["weeks"] = None
    if values.get("weeks") is not None and "months" not in values:
        values["months"] = None
    for field in ("kinds", "meter", "distance", "hours", "months", "weeks", "enabled"):
        if field in values and (values[field] is not None or field in RANGES):
            setattr(preset, field, values[field])
    _check_whole(preset)


def _check_whole(preset: IntervalPreset) -> None:
    """The rules between a preset's values, once they are all in place."""
    if not preset.kinds:
        raise PresetInvalid(
            preset, "choose at least one kind of vehicle it applies to.", field="kinds"
        )
    preset.kinds = sorted(set(preset.kinds), key=_KIND_ORDER.index)
    if preset.months and preset.weeks:
        raise PresetInvalid(
            preset, "give the period in months or in weeks, not both.", field="weeks"
        )
    has_period = bool(preset.months or preset.weeks)
    if preset.meter == PresetMeter.DISTANCE:
        if preset.distance is None:
            raise PresetInvalid(
                preset, "it counts distance: give the distance between services.", field="distance"
            )
        if not has_period:
            raise PresetInvalid(
                preset,
                "give a period in months or weeks too: a vehicle without an odometer "
                "reading is scheduled by date alone.",
                field="months",
            )
    if preset.meter == PresetMeter.HOURS and preset.hours is None:
        raise PresetInvalid(
            preset, "it counts engine hours: give the hours between services.", field="hours"
        )
    if preset.meter == PresetMeter.TIME and not has_period:
        raise PresetInvalid(
            preset, "it counts time only: give the period in months or weeks.", field="months"
        )


def schedule_settings_update(
    *, org: Organization, for_new_vehicles: bool, on_first_reading: bool
) -> Organization:
    org.generate_presets_for_new_vehicles = for_new_vehicles
    org.generate_presets_on_first_reading = on_first_reading
    org.save(
        update_fields=["generate_presets_for_new_vehicles", "generate_presets_on_first_reading"]
    )
    return org
