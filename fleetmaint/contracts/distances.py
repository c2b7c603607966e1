"""The contracts' side of a vehicle's change of unit (``vehicles.unit_change``).

Registered with ``vehicles.reevaluation`` (``ContractsConfig.ready``).
"""

from django.db.models import Case, When
from django.db.models.functions import Least

from fleetmaint.contracts.models import VehicleContract
from fleetmaint.vehicles.units import Conversion, Counted, holds_distance

GIVEN_DISTANCES = ("start_odometer", "distance_limit")


def contracts_count_distances(*, vehicle_id: int) -> list[Counted]:
    count = (
        VehicleContract.objects.filter(vehicle_id=vehicle_id)
        .filter(holds_distance(*GIVEN_DISTANCES))
        .count()
    )
    return [Counted("contract", "contracts", count)]


def contracts_convert_distances(*, vehicle_id: int, conversion: Conversion) -> None:
    """One statement for every contract of the vehicle.

    The end is ``start + limit`` from the converted values, as
    ``services.derive_thresholds`` has it, so editing the contract later does
    not move it. The warning point is converted where it is (it was the
    fleet's warning distance in the old unit before the end), and kept at or
    before the end.
    """
    start = conversion.column("start_odometer")
    ends_at = start + conversion.column("distance_limit")
    VehicleContract.objects.filter(vehicle_id=vehicle_id).filter(
        holds_distance(*GIVEN_DISTANCES)
    ).update(
        start_odometer=start,
        distance_limit=conversion.column("distance_limit"),
        ends_at_odometer=ends_at,
        # PostgreSQL's LEAST skips NULLs: a contract without a warning point keeps none.
        warn_at_odometer=Case(
            When(
                warn_at_odometer__isnull=False,
                then=Least(conversion.column("warn_at_odometer"), ends_at),
            ),
            default=None,
        ),
    )
