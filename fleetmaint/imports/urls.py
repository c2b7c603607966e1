from django.urls import path

from fleetmaint.imports import views

app_name = "imports"

urlpatterns = [
    path("readings/", views.upload_page, name="readings"),
    path("readings/export.csv", views.export_csv, name="readings-export"),
    path("readings/<int:pk>/", views.map_page, name="readings-map"),
    path("readings/<int:pk>/rejected.csv", views.rejected_csv, name="readings-rejected"),
]
