from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "fleetmaint.accounts"
    label = "accounts"
    verbose_name = "Organizations and access"

    def ready(self) -> None:
        # Registers the system checks on SITE_URL, which invitation, password-reset
        # and notification links are built from.
        from fleetmaint import links  # noqa: F401
