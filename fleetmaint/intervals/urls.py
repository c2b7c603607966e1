from django.urls import path

from fleetmaint.intervals import views

app_name = "intervals"

urlpatterns = [
    path("due/", views.due, name="due"),
    path("schedule/presets/", views.presets, name="presets"),
    path("schedule/generate/", views.generate_for_fleet, name="generate-fleet"),
    path("vehicles/<int:pk>/schedule/", views.schedule, name="schedule"),
    path("vehicles/<int:pk>/schedule/new/", views.interval_create, name="create"),
    path("vehicles/<int:pk>/schedule/generate/", views.generate_for_vehicle, name="generate"),
    path("vehicles/<int:pk>/schedule/<int:interval_id>/note/", views.interval_note, name="note"),
    path(
        "vehicles/<int:pk>/schedule/<int:interval_id>/serviced/",
        views.interval_serviced,
        name="serviced",
    ),
    path(
        "vehicles/<int:pk>/schedule/services/<int:service_id>/reopen/",
        views.interval_reopen,
        name="reopen",
    ),
    path(
        "vehicles/<int:pk>/schedule/<int:interval_id>/remove/",
        views.interval_remove,
        name="remove",
    ),
]
