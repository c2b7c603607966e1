from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "fleetmaint.imports"
    label = "imports"
    verbose_name = "Imports"
