from django.urls import path

from fleetmaint.contracts import views

app_name = "contracts"

urlpatterns = [
    path("contracts/", views.contract_list, name="list"),
    path("vehicles/<int:pk>/contracts/", views.vehicle_contracts, name="vehicle"),
    path("vehicles/<int:pk>/contracts/save/", views.contract_save, name="save"),
    path(
        "vehicles/<int:pk>/contracts/<int:contract_id>/cancel/",
        views.contract_cancel,
        name="cancel",
    ),
    path(
        "vehicles/<int:pk>/contracts/<int:contract_id>/documents/",
        views.document_attach,
        name="attach",
    ),
    path(
        "vehicles/<int:pk>/contracts/<int:contract_id>/documents/<int:document_id>/",
        views.document_download,
        name="document",
    ),
    path(
        "vehicles/<int:pk>/contracts/<int:contract_id>/documents/<int:document_id>/remove/",
        views.document_remove,
        name="document-remove",
    ),
]
