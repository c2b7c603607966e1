from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "fleetmaint.contracts"
    label = "contracts"
    verbose_name = "Vehicle contracts"
