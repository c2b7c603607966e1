"""The ingest's side of a vehicle's change of unit (``vehicles.unit_change``): the odometer
a held tracker reading keeps is in the vehicle's unit, so it converts with the vehicle's
readings. Registered in ``IngestConfig.ready``.
"""

from fleetmaint.ingest.models import IngestIssue
from fleetmaint.vehicles.units import Conversion, Counted


def _held(vehicle_id: int):
    return IngestIssue.objects.filter(vehicle_id=vehicle_id, odometer__isnull=False)


def ingest_count_distances(*, vehicle_id: int) -> list[Counted]:
    # Named only when there are some: most vehicles never have a held reading.
    count = _held(vehicle_id).count()
    return [Counted("held tracker reading", "held tracker readings", count)] if count else []


def ingest_convert_distances(*, vehicle_id: int, conversion: Conversion) -> None:
    _held(vehicle_id).update(odometer=conversion.column("odometer"))
