"""A preset's values as typed input: what the settings page, tests and the demo send.

``PresetChanges`` holds the values a caller gives; ``given()`` says which, so an
edit changes only those. Kinds must be known powertrains and the meter one of
``PresetMeter``; an unknown one is refused in plain words naming what is known.
Ranges and the rules between the values (a distance preset has a distance ...)
are the service's (``intervals.preset_settings``), which sees the whole preset.
"""

from typing import Annotated, Any

from pydantic import BeforeValidator, StrictBool, StrictInt, WithJsonSchema
from pydantic_core import PydanticCustomError

from fleetmaint.inputs import TypedInput
from fleetmaint.intervals.models import PresetMeter
from fleetmaint.vehicles.models import Powertrain

KIND_WORDS = ", ".join(Powertrain.values)
METER_WORDS = "distance, hours (engine hours) or time (time only)"


def _kind(value: Any) -> Any:
    if value not in Powertrain.values:
        raise PydanticCustomError(
            "plain", f"{value!r} is not a kind of vehicle; choose from {KIND_WORDS}."
        )
    return value


def _meter(value: Any) -> Any:
    if value not in PresetMeter.values:
        raise PydanticCustomError(
            "plain", f"A preset counts in {METER_WORDS}; {value!r} is none of them."
        )
    return value


Kind = Annotated[
    str, BeforeValidator(_kind), WithJsonSchema({"type": "string", "enum": Powertrain.values})
]
Meter = Annotated[
    str, BeforeValidator(_meter), WithJsonSchema({"type": "string", "enum": PresetMeter.values})
]


class PresetChanges(TypedInput):
    """Some of a preset's values; left out, a value stays as it is."""

    name: str | None = None
    kinds: list[Kind] | None = None
    meter: Meter | None = None
    distance: StrictInt | None = None
    hours: StrictInt | None = None
    months: StrictInt | None = None
    weeks: StrictInt | None = None
    enabled: StrictBool | None = None


def preset_changes(values: "PresetChanges | dict[str, Any]") -> PresetChanges:
    """Typed changes from a checked input or a plain mapping of the same names."""
    return values if isinstance(values, PresetChanges) else PresetChanges.model_validate(values)
