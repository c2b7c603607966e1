from django.apps import AppConfig


class IntervalsConfig(AppConfig):
    name = "fleetmaint.intervals"
    label = "intervals"
    verbose_name = "Maintenance schedule"
