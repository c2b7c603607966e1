"""Background jobs of the imports app (django-q2); the work is in imports.services."""

from fleetmaint.imports import services


def import_readings(upload_id: int) -> None:
    services.upload_run(upload_id)
