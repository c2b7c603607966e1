"""The site's URLs plus one view that fails, to see the 500 page a person would get."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from fleetmaint.urls import handler403, handler404, handler500  # noqa: F401  (read by Django)
from fleetmaint.urls import urlpatterns as site


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a fault in the code")


urlpatterns = [path("failing/", fail), *site]
