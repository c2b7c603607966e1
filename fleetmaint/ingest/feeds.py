"""The feeds a tracker sends, read into plain observations (docs/telematics.md).

Two shapes come in: Traccar's position forwarding (``forward.json=true``: one
``{"position": {...}, "device": {...}}`` per request) and a generic feed of
flat objects, as one object, a list, or NDJSON (one object per line). Both
become ``Observation`` values; what an observation means for a vehicle is
decided in ``ingest.services``. An item that cannot be read becomes a
``FeedError`` for the answer, and the others go on.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fleetmaint.errors import ValidationFailed
from fleetmaint.inputs import DEFAULT_BOUNDS, load_json

DISTANCE_UNITS = ("km", "mi", "m")
MS_PER_HOUR = Decimal(3_600_000)
SECONDS_PER_HOUR = Decimal(3600)
MAX_IDENTIFIER = 64


@dataclass(frozen=True, slots=True)
class Observation:
    """One reading as the tracker sent it, before it meets its vehicle.

    ``distance`` is in ``distance_unit`` (``m``, ``km``, ``mi``, or None for
    the vehicle's own unit); ``engine_hours`` is in hours.
    """

    index: int
    recorded_at: datetime
    device_id: str | None = None
    vin: str | None = None
    vehicle_key: str | None = None
    distance: Decimal | None = None
    distance_unit: str | None = None
    engine_hours: Decimal | None = None
    line: int | None = None

    @property
    def names(self) -> str:
        """The identifier the feed named the vehicle by, as the answer repeats it."""
        return self.device_id or self.vin or self.vehicle_key or ""


@dataclass(frozen=True, slots=True)
class FeedError:
    index: int
    message: str
    field: str | None = None
    line: int | None = None


Parsed = tuple[list[Observation], list[FeedError]]


# --- values ---------------------------------------------------------------------------


def _number(value: Any, name: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValidationFailed(f"{name} must be a number.", field=name)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValidationFailed(f"{name} must be a number.", field=name) from None
    if not number.is_finite():
        raise ValidationFailed(f"{name} must be a number.", field=name)
    if number < 0:
        raise ValidationFailed(f"{name} cannot be negative.", field=name)
    return number


def _moment(value: Any, name: str) -> datetime:
    """An ISO 8601 time with its zone, or seconds since 1970 (UTC)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise ValidationFailed(f"{name} is out of range.", field=name) from None
    parsed = None
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise ValidationFailed(f"{name} must be an ISO 8601 time.", field=name)
    if timezone.is_naive(parsed):
        raise ValidationFailed(f"{name} must say its time zone.", field=name)
    return parsed


def _identifier(value: Any, name: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValidationFailed(f"{name} must be text.", field=name)
    text = str(value).strip()
    if len(text) > MAX_IDENTIFIER or "\x00" in text:
        raise ValidationFailed(
            f"{name} must be at most {MAX_IDENTIFIER} characters of text.", field=name
        )
    return text or None


# --- Traccar ----------------------------------------------------------------------------


def traccar_observation(index: int, body: Any) -> Observation:
    """One forwarded position: ``{"position": {...}, "device": {...}}``.

    The device is named by its ``uniqueId``; the time is the fix time (the
    device's time, then the server's, when the fix has none). ``odometer``
    (the vehicle's own, when the tracker reads it) is preferred over
    ``totalDistance`` (Traccar's sum of the GPS track), both in metres;
    ``hours`` is engine time in milliseconds.
    """
    if not isinstance(body, dict):
        raise ValidationFailed("A forwarded position must be a JSON object.")
    position, device = body.get("position"), body.get("device")
    if not isinstance(position, dict):
        raise ValidationFailed("The body has no position object.", field="position")
    if not isinstance(device, dict):
        raise ValidationFailed("The body has no device object.", field="device")
    unique_id = _identifier(device.get("uniqueId"), "device.uniqueId")
    if unique_id is None:
        raise ValidationFailed("The device has no uniqueId.", field="device.uniqueId")
    time_name = next(
        (name for name in ("fixTime", "deviceTime", "serverTime") if position.get(name)), None
    )
    if time_name is None:
        raise ValidationFailed("The position has no fixTime.", field="position.fixTime")
    attributes = position.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise ValidationFailed("attributes must be an object.", field="position.attributes")
    distance = _number(attributes.get("odometer"), "position.attributes.odometer")
    if distance is None:
        distance = _number(attributes.get("totalDistance"), "position.attributes.totalDistance")
    hours_ms = _number(attributes.get("hours"), "position.attributes.hours")
    return Observation(
        index=index,
        recorded_at=_moment(position[time_name], f"position.{time_name}"),
        device_id=unique_id,
        distance=distance,
        distance_unit="m" if distance is not None else None,
        engine_hours=hours_ms / MS_PER_HOUR if hours_ms is not None else None,
    )


def traccar_body(body: Any) -> Parsed:
    """One forwarded position, as Traccar sends it.

    A body that is not ``{"position": {...}, "device": {...}}`` is refused
    whole (400); a position whose values cannot be read is reported in the
    answer, as an item of a batch would be.
    """
    if not isinstance(body, dict):
        raise ValidationFailed("A forwarded position must be a JSON object.")
    for name in ("position", "device"):
        if not isinstance(body.get(name), dict):
            raise ValidationFailed(f"The body has no {name} object.", field=name)
    return _each([body], traccar_observation)


# --- the generic feed ---------------------------------------------------------------------


def generic_observation(index: int, item: Any, line: int | None = None) -> Observation:
    """``{"device_id" | "vin" | "vehicle_key", "odometer", "odometer_unit",
    "engine_hours" | "engine_seconds", "timestamp"}``."""
    if not isinstance(item, dict):
        raise ValidationFailed("Each reading must be a JSON object.")
    device_id = _identifier(item.get("device_id"), "device_id")
    vin = _identifier(item.get("vin"), "vin")
    vehicle_key = _identifier(item.get("vehicle_key"), "vehicle_key")
    if not (device_id or vin or vehicle_key):
        raise ValidationFailed(
            "Name the vehicle by vehicle_key, vin or device_id.", field="vehicle_key"
        )
    if "timestamp" not in item or item["timestamp"] in (None, ""):
        raise ValidationFailed("Give the reading's timestamp.", field="timestamp")
    distance = _number(item.get("odometer"), "odometer")
    unit = item.get("odometer_unit")
    if unit is not None and unit not in DISTANCE_UNITS:
        raise ValidationFailed("odometer_unit must be km, mi or m.", field="odometer_unit")
    hours = _number(item.get("engine_hours"), "engine_hours")
    seconds = _number(item.get("engine_seconds"), "engine_seconds")
    if hours is not None and seconds is not None:
        raise ValidationFailed(
            "Give engine_hours or engine_seconds, not both.", field="engine_seconds"
        )
    if seconds is not None:
        hours = seconds / SECONDS_PER_HOUR
    return Observation(
        index=index,
        recorded_at=_moment(item["timestamp"], "timestamp"),
        device_id=device_id,
        vin=vin.upper() if vin else None,
        vehicle_key=vehicle_key,
        distance=distance,
        distance_unit=unit,
        engine_hours=hours,
        line=line,
    )


def generic_body(body: Any, *, max_items: int) -> Parsed:
    """One reading object, or a list of them; anything else is refused whole (400)."""
    items = body if isinstance(body, list) else [body]
    if not all(isinstance(item, dict) for item in items):
        raise ValidationFailed("Send a reading object, or a list of reading objects.")
    if len(items) > max_items:
        raise ValidationFailed(f"Send at most {max_items:,} readings at once.")
    return _each(items, generic_observation)


def generic_ndjson(text: bytes, *, max_items: int) -> Parsed:
    """One reading object per line; a line that is not one is reported by its number."""
    observations: list[Observation] = []
    errors: list[FeedError] = []
    for index, (number, line) in enumerate(_lines(text)):
        if index >= max_items:
            raise ValidationFailed(f"Send at most {max_items:,} readings at once.")
        try:
            observations.append(generic_observation(index, load_json(line, DEFAULT_BOUNDS), number))
        except ValidationFailed as error:
            errors.append(FeedError(index, error.message, error.field, number))
    return observations, errors


def _lines(text: bytes) -> Iterator[tuple[int, bytes]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield number, line


def _each(items: list[Any], read: Any) -> Parsed:
    observations: list[Observation] = []
    errors: list[FeedError] = []
    for index, item in enumerate(items):
        try:
            observations.append(read(index, item))
        except ValidationFailed as error:
            errors.append(FeedError(index, error.message, error.field))
    return observations, errors
