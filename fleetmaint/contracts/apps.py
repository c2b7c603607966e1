from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "fleetmaint.contracts"
    label = "contracts"
    verbose_name = "Vehicle contracts"

    def ready(self) -> None:
        from fleetmaint.accounts import reactions
        from fleetmaint.vehicles import reevaluation

        reevaluation.register(
            reevaluation.ReadingReevaluation(
                name="contracts",
                position=30,
                evaluate="fleetmaint.contracts.services.contracts_evaluate",
                count_distances="fleetmaint.contracts.distances.contracts_count_distances",
                convert_distances="fleetmaint.contracts.distances.contracts_convert_distances",
                settle="fleetmaint.contracts.services.contracts_settle",
            )
        )
        reactions.register_settings_reaction(
            "contracts", "fleetmaint.contracts.services.contracts_settings_changed"
        )
