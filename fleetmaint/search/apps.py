from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "fleetmaint.search"
    label = "search"
    verbose_name = "Search"
