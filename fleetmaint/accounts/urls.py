from django.urls import path

from fleetmaint.accounts import views

app_name = "accounts"

urlpatterns = [
    path("switch/", views.switch_org, name="switch"),
    path("", views.settings_page, name="settings"),
    path("invitations/", views.invitation_create, name="invitation-create"),
    path(
        "invitations/<int:invitation_id>/resend/",
        views.invitation_resend,
        name="invitation-resend",
    ),
    path(
        "invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation-revoke",
    ),
    path("members/<int:membership_id>/role/", views.member_role, name="member-role"),
    path("members/<int:membership_id>/remove/", views.member_remove, name="member-remove"),
    path("api-keys/", views.apikey_create, name="apikey-create"),
    path("api-keys/<int:key_id>/revoke/", views.apikey_revoke, name="apikey-revoke"),
    path("calendar/rotate/", views.calendar_rotate, name="calendar-rotate"),
]
