"""What other apps do when a vehicle's meters or standing move.

``vehicles`` is the lowest of the domain apps: it stores vehicles and their
readings and knows nothing of schedules, tasks or contracts. The apps that
keep thresholds against a vehicle's meters register here, from their
``AppConfig.ready()``, the dotted paths of their set-based reactions (the way
``sweeps.DATE_SWEEPS`` names the date sweeps). Each reaction is called once
per batch with every vehicle id of it, never once per row, and the apps run
in the order of their ``position`` so that a batch's notices are always
written in the same order.

The reactions, all keyword-only, each optional:

- ``evaluate(vehicle_ids=..., notices=...)``: move what the meters crossed.
- ``refresh_predictions(vehicle_ids=...) -> int``: re-predict due dates.
- ``first_meter(org=..., vehicle_ids=...)``: the vehicles' first odometer or
  first engine hours arrived (before their evaluation runs).
- ``vehicles_created(org=..., vehicles=...)``: new vehicles joined the fleet.
- ``settle(vehicle_ids=...)``: the meters went down (a reading was voided):
  undo the crossings that no longer hold. What was told stays told; the
  outbox's dedupe keys keep the same crossing from being told twice.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.module_loading import import_string

from fleetmaint.accounts.models import Organization
from fleetmaint.notifications import outbox
from fleetmaint.vehicles.units import Conversion, Counted


@dataclass(frozen=True)
class ReadingReevaluation:
    """One app's reactions, as dotted paths resolved when first called."""

    name: str
    position: int
    evaluate: str | None = None
    refresh_predictions: str | None = None
    first_meter: str | None = None
    vehicles_created: str | None = None
    count_distances: str | None = None
    convert_distances: str | None = None
    settle: str | None = None


READING_REEVALUATIONS: dict[str, ReadingReevaluation] = {}


def register(entry: ReadingReevaluation) -> None:
    """Adds (or replaces, so a reloaded app registers once) an app's reactions."""
    READING_REEVALUATIONS[entry.name] = entry


def _reactions(kind: str) -> list[Callable[..., object]]:
    entries = sorted(READING_REEVALUATIONS.values(), key=lambda e: (e.position, e.name))
    paths = [getattr(entry, kind) for entry in entries]
    return [import_string(path) for path in paths if path]


def evaluate(vehicle_ids: Iterable[int], *, notices: outbox.Notices | None = None) -> None:
    """Every registered evaluation, once each, over all the vehicles."""
    ids = set(vehicle_ids)
    if not ids:
        return
    for react in _reactions("evaluate"):
        react(vehicle_ids=ids, notices=notices)


def refresh_predictions(vehicle_ids: Iterable[int]) -> int:
    """Every registered re-prediction over all the vehicles; how many rows moved."""
    ids = list(vehicle_ids)
    return sum(int(react(vehicle_ids=ids)) for react in _reactions("refresh_predictions"))


def settle(vehicle_ids: Iterable[int]) -> None:
    """Every registered undoing of crossings the vehicles' meters no longer reach."""
    ids = set(vehicle_ids)
    if ids:
        for react in _reactions("settle"):
            react(vehicle_ids=ids)


def first_meter(*, org: Organization, vehicle_ids: set[int]) -> None:
    if vehicle_ids:
        for react in _reactions("first_meter"):
            react(org=org, vehicle_ids=vehicle_ids)


def vehicles_created(*, org: Organization, vehicles: list) -> None:
    for react in _reactions("vehicles_created"):
        react(org=org, vehicles=vehicles)


def count_distances(vehicle_id: int) -> list[Counted]:
    """What every registered app holds in distances for the vehicle, in its order."""
    counted: list[Counted] = []
    for react in _reactions("count_distances"):
        counted.extend(react(vehicle_id=vehicle_id))
    return counted


def convert_distances(vehicle_id: int, conversion: Conversion) -> None:
    for react in _reactions("convert_distances"):
        react(vehicle_id=vehicle_id, conversion=conversion)
