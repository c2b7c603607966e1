from django.apps import AppConfig


class VehiclesConfig(AppConfig):
    name = "fleetmaint.vehicles"
    label = "vehicles"
    verbose_name = "Vehicles and readings"

    def ready(self) -> None:
        # SQLite connections need the functions set-based statements call.
        from fleetmaint import sql  # noqa: F401
