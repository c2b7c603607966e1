from django.apps import AppConfig


class VehiclesConfig(AppConfig):
    name = "fleetmaint.vehicles"
    label = "vehicles"
    verbose_name = "Vehicles and readings"
