from django.apps import AppConfig


class AttemptsConfig(AppConfig):
    name = "fleetmaint.attempts"
    label = "attempts"
    verbose_name = "Failed sign-ins and key attempts"
