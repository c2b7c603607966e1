"""Distances between kilometres and miles, in Python and as SQL, rounded alike.

Distances are whole numbers in the vehicle's unit (docs/architecture.md,
"Units"). Every conversion goes through here: the presets' steps, and a
vehicle's change of unit, which rewrites its distances in place with one
``UPDATE`` per table (``unit_change``). Both sides must round the same way, or
the confirmation would promise "1,243 mi" and the table would hold 1,242:

- the factor is exact (the international mile is 1.609344 km by definition),
  so it is a ``Decimal`` here and a ``numeric`` in PostgreSQL, never a float;
- halves round up (away from zero: distances are never negative), which is
  what PostgreSQL's ``round(numeric)`` does and ``ROUND_HALF_UP`` does here.
  Python's ``round`` (halves to even) would not agree: 12,573 km is exactly
  7,812.5 mi.

A distance converted there and back comes home within 1: miles to kilometres
and back returns the same number, kilometres to miles and back may move by 1
(a mile is wider than a kilometre, so two kilometre values can share a mile).
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import DecimalField, Expression, F, FloatField, IntegerField, Q, Value
from django.db.models.functions import Cast, Round

from fleetmaint.accounts.models import DistanceUnit

KM_PER_MILE = Decimal("1.609344")

UNIT_WORDS = {DistanceUnit.KM: "kilometres", DistanceUnit.MI: "miles"}

# Wide enough for any stored distance (PositiveIntegerField) with the factor's places.
_EXACT = DecimalField(max_digits=20, decimal_places=6)


def _whole(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def convert_distance(distance: int, from_unit: str, to_unit: str) -> int:
    """A distance in another unit, rounded to a whole number (halves up)."""
    if from_unit == to_unit:
        return distance
    if from_unit == DistanceUnit.KM:
        return _whole(Decimal(distance) / KM_PER_MILE)
    return _whole(Decimal(distance) * KM_PER_MILE)


@dataclass(frozen=True)
class Conversion:
    """From one unit to another: values in Python, column expressions for an ``UPDATE``."""

    from_unit: str
    to_unit: str

    def distance(self, value: int | None) -> int | None:
        return None if value is None else convert_distance(value, self.from_unit, self.to_unit)

    def column(self, name: str) -> Expression:
        """``ROUND(name * factor)`` as the ORM writes it; NULL stays NULL.

        Divided by the exact factor rather than multiplied by its rounded
        inverse, so that PostgreSQL's numeric quotient rounds as ``distance`` does.
        """
        exact = Cast(F(name), output_field=_EXACT)
        factor = Value(KM_PER_MILE, output_field=_EXACT)
        scaled = exact / factor if self.from_unit == DistanceUnit.KM else exact * factor
        return Round(scaled, output_field=IntegerField())

    def rate_column(self, name: str) -> Expression:
        """A per-day distance (a float column): scaled, not rounded."""
        factor = float(KM_PER_MILE)
        if self.from_unit == DistanceUnit.KM:
            return F(name) / Value(factor, output_field=FloatField())
        return F(name) * Value(factor, output_field=FloatField())


@dataclass(frozen=True)
class Counted:
    """How many rows of one kind hold a distance, in words ("1 contract", "14 readings")."""

    one: str
    many: str
    count: int

    def words(self) -> str:
        return f"{self.count:,} {self.one if self.count == 1 else self.many}"


def holds_distance(*columns: str) -> Q:
    """Rows with any of these distance columns set: what ``count_distances`` counts."""
    condition = Q()
    for column in columns:
        condition |= Q(**{f"{column}__isnull": False})
    return condition
