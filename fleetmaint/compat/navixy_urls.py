"""The vendor API of seed 004, mounted at ``/v2/``."""

from django.urls import path

from fleetmaint.compat import navixy

urlpatterns = [
    path(
        "vehicle/service_task/create",
        navixy.service_task_create,
        name="navixy-service-task-create",
    ),
    path(
        "vehicle/service_task/batch/create",
        navixy.service_task_batch_create,
        name="navixy-service-task-batch-create",
    ),
    # The vendor's documentation names the batch both ways.
    path("vehicle/service_task/batch_create", navixy.service_task_batch_create),
    path(
        "vehicle/service_task/update",
        navixy.service_task_update,
        name="navixy-service-task-update",
    ),
    path(
        "vehicle/service_task/delete",
        navixy.service_task_delete,
        name="navixy-service-task-delete",
    ),
    path("vehicle/service_task/read", navixy.service_task_read, name="navixy-service-task-read"),
    path("vehicle/service_task/list", navixy.service_task_list, name="navixy-service-task-list"),
    path(
        "vehicle/service_task/set_status",
        navixy.service_task_set_status,
        name="navixy-service-task-set-status",
    ),
    path(
        "vehicle/service_task/download",
        navixy.service_task_download,
        name="navixy-service-task-download",
    ),
    path("vehicle/list", navixy.vehicle_list, name="navixy-vehicle-list"),
    path("vehicle/read", navixy.vehicle_read, name="navixy-vehicle-read"),
]
