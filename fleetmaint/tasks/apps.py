from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "fleetmaint.tasks"
    label = "tasks"
    verbose_name = "Service tasks"

    def ready(self) -> None:
        from fleetmaint.vehicles import reevaluation

        # Readings and a vehicle's return from the archive move its tasks; a change
        # of the vehicle's unit converts their distances.
        reevaluation.register(
            reevaluation.ReadingReevaluation(
                name="tasks",
                position=20,
                refresh_predictions="fleetmaint.tasks.services.tasks_refresh_predictions",
                evaluate="fleetmaint.tasks.services.tasks_evaluate",
                count_distances="fleetmaint.tasks.distances.tasks_count_distances",
                convert_distances="fleetmaint.tasks.distances.tasks_convert_distances",
                settle="fleetmaint.tasks.services.tasks_settle",
            )
        )
