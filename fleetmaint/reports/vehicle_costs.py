"""What one vehicle cost over a period: per month, per category, and per km or mile.

The amounts follow the one cost rule (``cost_queries``); the distance is the one
its counted readings show for the same period (``vehicles.queries.distance_driven``).
A period is a number of whole calendar months in the organization's time zone,
this one included, up to now.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from fleetmaint.reports.cost_queries import ZERO, category_name, cost_rows
from fleetmaint.reports.queries import add_months, month_range, org_zone
from fleetmaint.vehicles import queries as vehicle_queries
from fleetmaint.vehicles.models import Vehicle

PERIODS = (3, 6, 12, 24, 36)
DEFAULT_PERIOD = 12
# Cost per km is often a few cents: three places keep it telling.
PER_DISTANCE_PLACES = Decimal("0.001")


@dataclass(frozen=True)
class CategoryCost:
    category: str
    name: str
    amount: Decimal
    percent: int  # of the period's total


@dataclass(frozen=True)
class VehicleCosts:
    months: list[tuple[date, Decimal]]  # every month of the period, oldest first
    categories: list[CategoryCost]  # those with a cost, largest first
    total: Decimal
    distance: int  # driven in the period, in the vehicle's unit
    unit: str
    since: datetime
    until: datetime

    @property
    def per_distance(self) -> Decimal | None:
        """The period's cost per km (or mile) driven; None without distance or cost."""
        if not self.distance or not self.total:
            return None
        return (self.total / self.distance).quantize(PER_DISTANCE_PLACES, ROUND_HALF_UP)


def period_months(raw: object) -> int:
    """The ``months`` of the page's URL: one of ``PERIODS``, else the default."""
    try:
        months = int(str(raw))
    except ValueError:
        return DEFAULT_PERIOD
    return months if months in PERIODS else DEFAULT_PERIOD


def vehicle_costs(vehicle: Vehicle, *, months: int = DEFAULT_PERIOD) -> VehicleCosts:
    """The vehicle's (``org`` loaded) costs over the last ``months`` calendar months."""
    zone = org_zone(vehicle.org)
    now = timezone.now()
    last = timezone.localtime(now, zone).date().replace(day=1)
    first = add_months(last, -(months - 1))
    since = datetime(first.year, first.month, 1, tzinfo=zone)
    by_month = dict.fromkeys(month_range(first, last), ZERO)
    by_category: dict[str, Decimal] = {}
    for row in cost_rows(vehicle.org, since=since, until=now, vehicle=vehicle):
        if row.month in by_month:
            by_month[row.month] += row.amount
        by_category[row.category] = by_category.get(row.category, ZERO) + row.amount
    total = sum(by_category.values(), ZERO)
    categories = [
        CategoryCost(key, category_name(key), amount, round(amount / total * 100))
        for key, amount in sorted(by_category.items(), key=lambda item: (-item[1], item[0]))
        if amount
    ]
    return VehicleCosts(
        months=list(by_month.items()),
        categories=categories,
        total=total,
        distance=vehicle_queries.distance_driven(vehicle, since, now),
        unit=vehicle.distance_unit,
        since=since,
        until=now,
    )
