from django.apps import AppConfig


class IntervalsConfig(AppConfig):
    name = "fleetmaint.intervals"
    label = "intervals"
    verbose_name = "Maintenance schedule"

    def ready(self) -> None:
        from fleetmaint.vehicles import reevaluation

        reevaluation.register(
            reevaluation.ReadingReevaluation(
                name="intervals",
                position=10,
                first_meter="fleetmaint.intervals.services.intervals_on_first_meter",
                vehicles_created="fleetmaint.intervals.services.intervals_on_vehicles_created",
                refresh_predictions="fleetmaint.intervals.services.intervals_refresh_predictions",
                evaluate="fleetmaint.intervals.services.intervals_evaluate",
                count_distances="fleetmaint.intervals.distances.intervals_count_distances",
                convert_distances="fleetmaint.intervals.distances.intervals_convert_distances",
                settle="fleetmaint.intervals.services.intervals_settle",
            )
        )
