from django.urls import path

from fleetmaint.reports import record_views as views

app_name = "record"

urlpatterns = [
    path("vehicles/<int:pk>/history/", views.vehicle_history, name="history"),
    path("vehicles/<int:pk>/costs/", views.vehicle_cost_page, name="costs"),
]
