from django.urls import path

from fleetmaint.tasks import views

app_name = "tasks"

urlpatterns = [
    path("tasks/", views.task_list, name="list"),
    path("tasks/new/", views.task_create, name="create"),
    path("tasks/batch/", views.task_batch, name="batch"),
    path("tasks/<int:task_id>/", views.task_detail, name="detail"),
    path("tasks/<int:task_id>/edit/", views.task_edit, name="edit"),
    path("tasks/<int:task_id>/reopen/", views.task_reopen, name="reopen"),
    path("tasks/<int:task_id>/done/", views.task_done, name="done"),
    path("tasks/<int:task_id>/delete/", views.task_delete, name="delete"),
    path("tasks/<int:task_id>/files/", views.file_attach, name="attach"),
    path("tasks/<int:task_id>/files/<int:file_id>/", views.file_download, name="file"),
    path("tasks/<int:task_id>/files/<int:file_id>/remove/", views.file_remove, name="file-remove"),
    path("vehicles/<int:pk>/tasks/", views.vehicle_tasks, name="vehicle"),
]
