"""Absolute links come from SITE_URL, and development says when SITE_URL is not where we are."""

import logging

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from django.urls import reverse

from fleetmaint.links import absolute_url, check_site_url, check_site_url_deploy

WARNING_START = "SITE_URL is http://127.0.0.1:8000 but this request came to 127.0.0.1:8101"


def _warnings(caplog) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "fleetmaint.links" and record.levelno == logging.WARNING
    ]


def test_an_absolute_url_is_the_path_on_site_url(settings):
    settings.SITE_URL = "http://127.0.0.1:8101"
    assert absolute_url("/vehicles/1/") == "http://127.0.0.1:8101/vehicles/1/"
    assert absolute_url() == "http://127.0.0.1:8101"
    settings.SITE_URL = "https://fleet.example.com/"
    assert absolute_url("/") == "https://fleet.example.com/"


def test_it_refuses_a_path_that_is_not_on_the_site():
    with pytest.raises(ValueError, match="starts with '/'"):
        absolute_url("vehicles/1/")


@pytest.mark.django_db
def test_it_warns_once_in_development_when_requests_come_to_another_port(settings, caplog):
    settings.DEBUG = True
    settings.SITE_URL = "http://127.0.0.1:8000"
    client = Client()
    caplog.set_level(logging.WARNING, logger="fleetmaint.links")

    client.get(reverse("login"), HTTP_HOST="127.0.0.1:8101")
    client.get(reverse("login"), HTTP_HOST="127.0.0.1:8101")
    client.get(reverse("login"), HTTP_HOST="localhost:8102")

    [warning] = _warnings(caplog)
    assert warning.startswith(WARNING_START)
    assert "links in e-mails and the calendar feed will point to the wrong place" in warning
    assert "Set SITE_URL=http://127.0.0.1:8101" in warning


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("site_url", "host"),
    [
        ("http://127.0.0.1:8101", "127.0.0.1:8101"),
        ("http://127.0.0.1:8101/", "localhost:8101"),  # the same machine by another name
        ("http://localhost", "127.0.0.1"),  # port 80 either way
        ("https://fleet.example.com", "fleet.example.com"),  # behind a proxy, scheme aside
    ],
)
def test_it_is_silent_in_development_when_requests_come_where_site_url_points(
    settings, caplog, site_url, host
):
    settings.DEBUG = True
    settings.SITE_URL = site_url.rstrip("/")
    settings.ALLOWED_HOSTS = ["*"]
    caplog.set_level(logging.WARNING, logger="fleetmaint.links")

    Client().get(reverse("login"), HTTP_HOST=host)

    assert _warnings(caplog) == []


@pytest.mark.django_db
def test_it_is_silent_in_production(settings, caplog):
    settings.DEBUG = False
    settings.SITE_URL = "http://127.0.0.1:8000"
    caplog.set_level(logging.WARNING, logger="fleetmaint.links")

    response = Client().get(reverse("login"), HTTP_HOST="127.0.0.1:8101")

    assert response.status_code == 200
    assert _warnings(caplog) == []


@pytest.mark.parametrize(
    "site_url",
    ["fleet.example.com", "ftp://fleet.example.com", "https://", "https://fleet.example.com/app"],
)
def test_the_system_check_warns_about_a_site_url_that_is_no_address(settings, site_url):
    settings.SITE_URL = site_url

    [warning] = check_site_url()

    assert warning.id == "fleetmaint.W001"
    assert repr(site_url) in warning.msg


@pytest.mark.parametrize(
    "site_url", ["http://127.0.0.1:8000", "https://fleet.example.com", "http://[::1]:8101"]
)
def test_the_system_check_accepts_a_whole_address(settings, site_url):
    settings.SITE_URL = site_url
    assert check_site_url() == []


def test_the_deploy_check_warns_when_production_links_lead_to_loopback(settings):
    settings.DEBUG = False
    settings.SITE_URL = "http://127.0.0.1:8000"

    [warning] = check_site_url_deploy()

    assert warning.id == "fleetmaint.W002"
    assert "the reader's own machine" in warning.msg
    settings.SITE_URL = "https://fleet.example.com"
    assert check_site_url_deploy() == []
    settings.DEBUG = True
    settings.SITE_URL = "http://127.0.0.1:8000"
    assert check_site_url_deploy() == []


def test_manage_py_check_runs_the_site_url_check(settings):
    settings.SITE_URL = "fleet.example.com"
    with pytest.raises(SystemCheckError, match=r"fleetmaint\.W001"):
        call_command("check", fail_level="WARNING")
