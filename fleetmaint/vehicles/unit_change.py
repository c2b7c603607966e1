"""A vehicle's change of distance unit: every distance it holds is converted with it.

Relabelling alone would turn 2,000 km into "2,000 mi" and move every
threshold by 60 %. So the change rewrites, in one transaction with the
vehicle row locked, the vehicle's odometer and daily use, its readings, and
through ``reevaluation`` every other app's distances of that vehicle
(intervals, tasks, contracts, orders): one ``UPDATE`` per table, whatever the
number of rows, rounded as ``units`` rounds.

A vehicle that holds distances changes unit only when the caller confirms the
conversion; otherwise ``UnitConversionRequired`` says what would change, and
nothing is written. A vehicle without any changes unit without a question.

Thresholds move with the meters, so they stay where they were on the road:
nothing is newly crossed (a rounding can bring a threshold less than one unit
ahead level with the odometer; the next reading tells it, as it would have).
Only the predicted dates are refreshed, from the converted daily use.
"""

from dataclasses import dataclass

from django.db import DataError, IntegrityError, transaction

from fleetmaint.errors import ConfirmationRequired, ValidationFailed
from fleetmaint.vehicles import reevaluation
from fleetmaint.vehicles.models import Reading, Vehicle
from fleetmaint.vehicles.units import UNIT_WORDS, Conversion, Counted


@dataclass(frozen=True)
class UnitChange:
    """What changing a vehicle's unit converts: counted rows, and its odometer before and after."""

    conversion: Conversion
    counted: tuple[Counted, ...]
    odometer: int | None

    @property
    def converts_anything(self) -> bool:
        return any(counted.count for counted in self.counted)

    @property
    def summary(self) -> str:
        """ "Changing to miles converts 14 readings and 1 contract of this vehicle: …"."""
        to_unit = self.conversion.to_unit
        listed = _and_list([c.words() for c in self.counted if c.count])
        text = f"Changing to {UNIT_WORDS[to_unit]} converts {listed} of this vehicle"
        if self.odometer is not None:
            after = self.conversion.distance(self.odometer)
            text += (
                f": the odometer {self.odometer:,} {self.conversion.from_unit} "
                f"becomes {after:,} {to_unit}"
            )
        return text + "."


class UnitConversionRequired(ConfirmationRequired):
    """The vehicle holds distances: its unit changes only with them converted, when confirmed.

    409: the same change is taken at once for a vehicle without distances; it is
    what this vehicle holds that asks for the confirmation.
    """

    status = 409

    def __init__(
        self, change: UnitChange, *, advice: str = "Confirm the conversion to change the unit."
    ):
        # ``advice`` says how to confirm, in the words of the face that asks.
        super().__init__(f"{change.summary} {advice}", field="distance_unit")
        self.change = change


def _and_list(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _readings_counted(vehicle_id: int) -> Counted:
    count = Reading.objects.filter(vehicle_id=vehicle_id, odometer__isnull=False).count()
    return Counted("reading", "readings", count)


def unit_change_preview(*, vehicle: Vehicle, to_unit: str) -> UnitChange:
    """What changing ``vehicle`` to ``to_unit`` would convert (a constant number of queries)."""
    counted = [_readings_counted(vehicle.pk), *reevaluation.count_distances(vehicle.pk)]
    return UnitChange(
        conversion=Conversion(vehicle.distance_unit, to_unit),
        counted=tuple(counted),
        odometer=vehicle.odometer,
    )


def _convert_vehicle_rows(vehicle_id: int, conversion: Conversion) -> None:
    """The vehicle's own distances: its readings, its current odometer and daily use."""
    Reading.objects.filter(vehicle_id=vehicle_id).exclude(odometer=None).update(
        odometer=conversion.column("odometer")
    )
    Vehicle.objects.filter(pk=vehicle_id).update(
        distance_unit=conversion.to_unit,
        odometer=conversion.column("odometer"),
        daily_distance=conversion.rate_column("daily_distance"),
    )


def _convert(vehicle: Vehicle, conversion: Conversion) -> None:
    try:
        # A savepoint, so that a value the converted unit cannot hold is a plain refusal.
        with transaction.atomic():
            _convert_vehicle_rows(vehicle.pk, conversion)
            reevaluation.convert_distances(vehicle.pk, conversion)
    except (IntegrityError, DataError):
        # A bound such as an interval's 1,000,000 mileage, or an integer's range.
        raise ValidationFailed(
            f"A distance of {vehicle.label} would be too large in "
            f"{UNIT_WORDS[conversion.to_unit]}; the unit is unchanged.",
            field="distance_unit",
        ) from None


def vehicle_change_unit(*, vehicle: Vehicle, to_unit: str, confirmed: bool) -> Vehicle:
    """Changes the vehicle's unit, converting what it holds; ``confirmed`` when it holds any.

    Runs in the caller's transaction (or its own): the vehicle row is locked
    first, so two changes at once cannot both convert, and a refusal leaves
    everything as it was. ``vehicle`` is refreshed with the converted values.
    """
    with transaction.atomic():
        locked = (
            Vehicle.objects.select_for_update()
            .only("pk", "label", "distance_unit", "odometer")
            .get(pk=vehicle.pk)
        )
        if locked.distance_unit != to_unit:
            if not confirmed:
                change = unit_change_preview(vehicle=locked, to_unit=to_unit)
                if change.converts_anything:
                    raise UnitConversionRequired(change)
            _convert(locked, Conversion(locked.distance_unit, to_unit))
            # Thresholds moved with the meters; only the dates predicted from use follow.
            reevaluation.refresh_predictions([vehicle.pk])
            vehicle.refresh_from_db(fields=["distance_unit", "odometer", "daily_distance"])
    return vehicle
