"""Background jobs of the vehicles app."""

from django.db import transaction

from fleetmaint.vehicles import readings


def refresh_predictions(vehicle_ids: list[int]) -> int:
    """Queued after a batch of readings: re-predicts its vehicles' dates in two statements."""
    with transaction.atomic():
        return readings.refresh_predictions(vehicle_ids)
