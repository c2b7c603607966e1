from django.urls import path

from fleetmaint.accounts import views

app_name = "accounts"

urlpatterns = [
    path("switch/", views.switch_org, name="switch"),
    path("", views.settings_page, name="settings"),
    path("members/", views.member_invite, name="member-invite"),
    path("members/<int:membership_id>/role/", views.member_role, name="member-role"),
    path("members/<int:membership_id>/remove/", views.member_remove, name="member-remove"),
    path("api-keys/", views.apikey_create, name="apikey-create"),
    path("api-keys/<int:key_id>/revoke/", views.apikey_revoke, name="apikey-revoke"),
    path("calendar/rotate/", views.calendar_rotate, name="calendar-rotate"),
]
