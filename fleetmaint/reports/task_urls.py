from django.urls import path

from fleetmaint.reports import task_views

app_name = "task"

urlpatterns: list = [
    path("tasks/", task_views.download, name="tasks"),
    path("jobs/<int:pk>/", task_views.job_detail, name="job"),
    path("jobs/<int:pk>/file", task_views.job_file, name="job-file"),
]
