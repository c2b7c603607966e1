from django.urls import path

from fleetmaint.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("badge/", views.badge, name="badge"),
    path("panel/", views.panel, name="panel"),
    path("read-all/", views.mark_all_read, name="read-all"),
    path("preferences/", views.preferences, name="preferences"),
    path("<int:message_id>/", views.open_notification, name="open"),
    path("<int:message_id>/read/", views.mark_read, name="read"),
    path("webhooks/", views.webhook_list, name="webhooks"),
    path("webhooks/<int:endpoint_id>/", views.webhook_detail, name="webhook"),
    path("webhooks/<int:endpoint_id>/delete/", views.webhook_delete, name="webhook-delete"),
    path("webhooks/<int:endpoint_id>/ping/", views.webhook_ping, name="webhook-ping"),
    path(
        "webhooks/<int:endpoint_id>/deliveries/<int:message_id>/redeliver/",
        views.redeliver,
        name="redeliver",
    ),
]
