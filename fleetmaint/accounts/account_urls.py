"""A person's own pages, at the site's root: account, passwords, invitations.

The password routes keep Django's names (``password_reset_done`` and so on),
which Django's views reverse.
"""

from django.urls import path

from fleetmaint.accounts import account_views as views

urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/password/", views.password_change, name="password_change"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/sent/", views.password_reset_done, name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password-reset/done/", views.password_reset_complete, name="password_reset_complete"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
]
