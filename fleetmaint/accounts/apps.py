from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "fleetmaint.accounts"
    label = "accounts"
    verbose_name = "Organizations and access"
