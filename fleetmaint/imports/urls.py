from django.urls import path

from fleetmaint.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.index, name="index"),
    path("uploads/<int:pk>/", views.map_page, name="map"),
    path("uploads/<int:pk>/rejected.csv", views.rejected_csv, name="rejected"),
    path("<slug:kind>/", views.upload_page, name="upload"),
    path("<slug:kind>/export.csv", views.export_csv, name="export"),
    path("<slug:kind>/export.xlsx", views.export_xlsx, name="export-xlsx"),
]
