from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from fleetmaint.accounts.sign_in import AdminSignInForm, SignInView
from fleetmaint.api.main import api
from fleetmaint.compat import extend, voyo
from fleetmaint.reports import views as report_views

admin.site.login_form = AdminSignInForm

# Styled pages for what cannot be answered (fleetmaint/error_pages.py); the CSRF
# failure page is settings.CSRF_FAILURE_VIEW.
handler403 = "fleetmaint.error_pages.forbidden"
handler404 = "fleetmaint.error_pages.not_found"
handler500 = "fleetmaint.error_pages.server_error"

urlpatterns = [
    path("", report_views.dashboard, name="home"),
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("fleetmaint.accounts.account_urls")),
    path("settings/", include("fleetmaint.accounts.urls")),
    path("vehicles/", include("fleetmaint.vehicles.urls")),
    path("imports/", include("fleetmaint.imports.urls")),
    path("notifications/", include("fleetmaint.notifications.urls")),
    # The vehicle record's History and Costs tabs, before the schedule's routes.
    path("", include("fleetmaint.reports.record_urls", namespace="record")),
    path("", include("fleetmaint.intervals.urls")),
    path("", include("fleetmaint.tasks.urls")),
    path("", include("fleetmaint.orders.urls")),
    path("", include("fleetmaint.contracts.urls")),
    path("reports/", include("fleetmaint.reports.task_urls", namespace="task-reports")),
    path("reports/", include("fleetmaint.reports.history_urls", namespace="history-reports")),
    path("", include("fleetmaint.reports.calendar_urls", namespace="calendar")),
    path("", include("fleetmaint.search.urls", namespace="search")),
    path("api/v1/", api.urls),
    path("voyorequest/<str:method>", voyo.dispatch, name="compat-voyo"),
    path("v2/", include("fleetmaint.compat.navixy_urls")),
    path(
        "service-orders/<str:order_id>/accept-repair",
        extend.accept_repair,
        name="compat-extend-accept",
    ),
    path(
        "service-orders/<str:order_id>/update-repair",
        extend.update_repair,
        name="compat-extend-update",
    ),
    path("admin/", admin.site.urls),
]
