from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "fleetmaint.orders"
    label = "orders"
    verbose_name = "Servicers, quotes and service orders"

    def ready(self) -> None:
        from fleetmaint.vehicles import reevaluation

        # Orders hold the odometer they were completed at: a change of the
        # vehicle's unit converts it. Nothing else of a vehicle's moves them.
        reevaluation.register(
            reevaluation.ReadingReevaluation(
                name="orders",
                position=40,
                count_distances="fleetmaint.orders.distances.orders_count_distances",
                convert_distances="fleetmaint.orders.distances.orders_convert_distances",
            )
        )
