"""The orders' side of a vehicle's change of unit (``vehicles.unit_change``): the
odometer an order was completed at. Registered in ``OrdersConfig.ready``.

What a servicer reported in an event's body stays as it was sent: it is their
message, kept as received.
"""

from fleetmaint.orders.models import ServiceOrder
from fleetmaint.vehicles.units import Conversion, Counted


def orders_count_distances(*, vehicle_id: int) -> list[Counted]:
    count = ServiceOrder.objects.filter(
        vehicle_id=vehicle_id, completion_odometer__isnull=False
    ).count()
    return [Counted("order", "orders", count)]


def orders_convert_distances(*, vehicle_id: int, conversion: Conversion) -> None:
    ServiceOrder.objects.filter(vehicle_id=vehicle_id, completion_odometer__isnull=False).update(
        completion_odometer=conversion.column("completion_odometer")
    )
