from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from fleetmaint.accounts import views as account_views
from fleetmaint.api.main import api
from fleetmaint.compat import voyo

urlpatterns = [
    path("", account_views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/", include("fleetmaint.accounts.urls")),
    path("vehicles/", include("fleetmaint.vehicles.urls")),
    path("notifications/", include("fleetmaint.notifications.urls")),
    path("", include("fleetmaint.intervals.urls")),
    path("api/v1/", api.urls),
    path("voyorequest/<str:method>", voyo.dispatch, name="compat-voyo"),
    path("admin/", admin.site.urls),
]
