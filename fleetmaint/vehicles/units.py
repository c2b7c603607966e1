"""Distances between kilometres and miles, in Python and as SQL, rounded alike.

Distances are whole numbers in the vehicle's unit (docs/architecture.md,
"Units"). Every conversion goes through here: the presets' steps, and a
vehicle's change of unit, which rewrites its distances in place with one
``UPDATE`` per table (``unit_change``). Both sides must round the same way, or
the confirmation would promise "7,813 mi" and the table would hold 7,812:

- the ratio is exact and whole: a kilometre is 1,000,000 mm and the
  international mile 1,609,344 mm, by definition. The conversion is integer
  arithmetic on both sides, ``(2 * d * num + den) // (2 * den)``, never a
  float (12,573 km / 1.609344 is 7,812.4999… as a float, exactly 7,812.5);
- halves round up (distances are never negative): 12,573 km is 7,813 mi.
  Python's ``round`` would round halves to even.

A distance converted there and back comes home within 1: miles to kilometres
and back returns the same number, kilometres to miles and back may move by 1
(a mile is wider than a kilometre, so two kilometre values can share a mile).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    BigIntegerField,
    Expression,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Q,
    Value,
)
from django.db.models.functions import Cast

from fleetmaint.accounts.models import DistanceUnit

MILLIMETRES = {DistanceUnit.KM: 1_000_000, DistanceUnit.MI: 1_609_344}
KM_PER_MILE = Decimal("1.609344")

UNIT_WORDS = {DistanceUnit.KM: "kilometres", DistanceUnit.MI: "miles"}


def convert_distance(distance: int, from_unit: str, to_unit: str) -> int:
    """A distance in another unit, rounded to a whole number (halves up)."""
    num, den = MILLIMETRES[from_unit], MILLIMETRES[to_unit]
    return (2 * distance * num + den) // (2 * den)


@dataclass(frozen=True)
class Conversion:
    """From one unit to another: values in Python, column expressions for an ``UPDATE``."""

    from_unit: str
    to_unit: str

    def distance(self, value: int | None) -> int | None:
        return None if value is None else convert_distance(value, self.from_unit, self.to_unit)

    def column(self, name: str) -> Expression:
        """``convert_distance`` over a column, as the ORM writes it; NULL stays NULL.

        In 64-bit integers (the largest stored distance times 3.2 million fits),
        whose division truncates in PostgreSQL and SQLite alike: the floor, for
        distances that are never negative.
        """
        num, den = MILLIMETRES[self.from_unit], MILLIMETRES[self.to_unit]
        wide = Cast(F(name), output_field=BigIntegerField())
        doubled = wide * Value(2 * num) + Value(den)
        return ExpressionWrapper(doubled / Value(2 * den), output_field=IntegerField())

    def rate_column(self, name: str) -> Expression:
        """A per-day distance (a float column): scaled, not rounded."""
        ratio = MILLIMETRES[self.from_unit] / MILLIMETRES[self.to_unit]
        return F(name) * Value(ratio, output_field=FloatField())


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
