from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "fleetmaint.ingest"
    label = "ingest"
    verbose_name = "Telematics ingest"

    def ready(self) -> None:
        from fleetmaint.vehicles import reevaluation

        reevaluation.register(
            reevaluation.ReadingReevaluation(
                name="ingest",
                position=50,
                count_distances="fleetmaint.ingest.distances.ingest_count_distances",
                convert_distances="fleetmaint.ingest.distances.ingest_convert_distances",
            )
        )
