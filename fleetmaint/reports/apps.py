from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "fleetmaint.reports"
    label = "reports"
    verbose_name = "Reports and dashboard"
