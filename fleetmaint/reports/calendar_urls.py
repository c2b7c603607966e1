from django.urls import path

from fleetmaint.reports import calendar

app_name = "calendar"

urlpatterns = [
    path("calendar/<slug:token>.ics", calendar.feed, name="feed"),
]
