from django.urls import path

from fleetmaint.reports import calendar, month_views

app_name = "calendar"

urlpatterns = [
    path("calendar/", month_views.month_page, name="month"),
    path("calendar/<slug:token>.ics", calendar.feed, name="feed"),
]
