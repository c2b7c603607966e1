from django.urls import path

from fleetmaint.vehicles import reading_views, views

app_name = "vehicles"

urlpatterns = [
    path("", views.vehicle_list, name="list"),
    path("new/", views.vehicle_create, name="create"),
    path("suggest/", views.vehicle_suggest, name="suggest"),
    path("<int:pk>/", views.vehicle_detail, name="detail"),
    path("<int:pk>/edit/", views.vehicle_edit, name="edit"),
    path("<int:pk>/archive/", views.vehicle_archive, name="archive"),
    path("<int:pk>/readings/", views.reading_add, name="reading-add"),
    path(
        "<int:pk>/readings/<int:reading_id>/void/",
        reading_views.reading_void_page,
        name="reading-void",
    ),
]
