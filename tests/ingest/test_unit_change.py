"""A held tracker reading keeps its odometer in the vehicle's unit, through a change of unit."""

import pytest
from django.utils import timezone

from fleetmaint.ingest.models import IngestIssue
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.inputs import VehicleChanges
from fleetmaint.vehicles.unit_change import UnitConversionRequired

pytestmark = pytest.mark.django_db


def test_a_held_reading_converts_with_the_vehicle_and_is_named_before(org, vehicle, clock):
    held = IngestIssue.objects.create(
        org=org,
        vehicle=vehicle,
        odometer=16093,
        recorded_at=timezone.now(),
        code="implausible_jump",
        message="held",
    )
    with pytest.raises(UnitConversionRequired, match="1 held tracker reading"):
        vehicles.vehicle_update(vehicle=vehicle, changes=VehicleChanges(distance_unit="mi"))
    held.refresh_from_db()
    assert held.odometer == 16093  # nothing changed without the confirmation

    vehicles.vehicle_update(
        vehicle=vehicle, changes=VehicleChanges(distance_unit="mi", convert_distances=True)
    )
    held.refresh_from_db()
    assert held.odometer == 10000
