"""Background jobs of the imports app (django-q2); the work is in imports.services."""

from fleetmaint.imports import services


def import_upload(upload_id: int) -> None:
    services.upload_run(upload_id)


# Imports queued before the other kinds existed name the readings' job.
import_readings = import_upload
