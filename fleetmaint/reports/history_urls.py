from django.urls import path

from fleetmaint.reports import history_views as views

app_name = "history"

urlpatterns = [
    path("vehicles/<int:pk>/history.pdf", views.vehicle_history_pdf, name="vehicle-pdf"),
    path("vehicles/<int:pk>/history.xlsx", views.vehicle_history_xlsx, name="vehicle-xlsx"),
    path("costs.xlsx", views.costs_xlsx, name="costs-xlsx"),
    path("costs.csv", views.costs_csv, name="costs-csv"),
]
