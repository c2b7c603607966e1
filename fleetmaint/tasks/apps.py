from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "fleetmaint.tasks"
    label = "tasks"
    verbose_name = "Service tasks"
