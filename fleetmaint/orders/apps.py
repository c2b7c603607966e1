from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "fleetmaint.orders"
    label = "orders"
    verbose_name = "Servicers, quotes and service orders"
