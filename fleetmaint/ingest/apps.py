from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "fleetmaint.ingest"
    label = "ingest"
    verbose_name = "Telematics ingest"
