"""The product's URLs plus the page floor: a constant page behind the same login and layout.

The page benchmark points ROOT_URLCONF here. The floor view passes the same
access decorator as every fleet page and renders a template that extends
base.html through a TemplateResponse, as ``fleetmaint.web.render_page`` does,
so it pays for the middleware, the session, the organization, the context
processors and the base layout, and for nothing a page shows.
"""

from functools import cache

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import include, path

from fleetmaint.accounts.access import member_required

FLOOR_PATH = "bench/floor/"

# Constant content of about the size of a page head and a short card: the
# floor measures the frame every page shares, not an empty response.
FLOOR_SOURCE = """{% extends "base.html" %}
{% block title %}Floor{% endblock %}
{% block content %}
<div class="page-head">
  <div><h1>Floor</h1><p class="sub">A constant page behind the same login and layout.</p></div>
</div>
<div class="card"><p>Nothing on this page depends on the fleet.</p></div>
{% endblock %}
"""


@cache
def _floor_template():
    # Compiled once, as the cached template loader keeps the product's templates.
    return engines["django"].from_string(FLOOR_SOURCE)


@member_required
def floor(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, _floor_template(), {})


urlpatterns = [
    path(FLOOR_PATH, floor, name="bench-floor"),
    path("", include("fleetmaint.urls")),
]
