"""Paging through the Tasks list by its links: every task once, in order, whichever way."""

import html as htmllib
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fleetmaint.paging import Cursor
from fleetmaint.tasks import services
from fleetmaint.tasks.models import ServiceTask
from fleetmaint.tasks.services import Conditions, TaskInput
from fleetmaint.vehicles import services as vehicles
from tests.clock import NOW

pytestmark = pytest.mark.usefixtures("clock")

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def many(vehicle) -> list[int]:
    """62 tasks: pairs ending at the same moment (ties broken by id), and some with no
    predicted end (a mileage limit on a van with one reading: no daily distance yet),
    which come last."""
    vehicles.reading_record(vehicle=vehicle, odometer=5_000)
    vehicle.refresh_from_db()
    ids = []
    for n in range(62):
        if n % 9 == 4:
            conditions = Conditions(mileage={"limit": 1_000 + n})
        else:
            end = NOW + timedelta(days=1 + (n * 7) % 40, hours=n % 2)
            conditions = Conditions(date={"end": end.strftime("%Y-%m-%d %H:00:00")})
        data = TaskInput(description=f"Task {n:02d}", conditions=conditions)
        ids.append(services.task_create(vehicle=vehicle, data=data).pk)
    assert ServiceTask.objects.filter(predicted_end_date=None).count() == 7
    return ids


def expected_order(org) -> list[int]:
    return list(ServiceTask.objects.filter(org=org).values_list("id", flat=True))


def ids_on(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr id="task-(\d+)"', response.content.decode())]


def link(response, rel: str) -> str | None:
    """The pager's link by its rel (next, prev) or label (First page, Last page)."""
    html = response.content.decode()
    pattern = (
        rf'<a class="btn small" rel="{rel}" href="([^"]+)"'
        if rel in ("next", "prev")
        else rf'<a class="btn small" href="([^"]+)"[^>]*aria-label="{rel}"'
    )
    found = re.search(pattern, html)
    return htmllib.unescape(found.group(1)) if found else None


def test_next_links_walk_every_task_once_in_list_order(advisor_client, org, many):
    seen, url, pages = [], "/tasks/?status=all", 0
    while url:
        response = advisor_client.get(url if url.startswith("/") else f"/tasks/{url}")
        assert response.status_code == 200
        seen += ids_on(response)
        pages += 1
        assert f"Page {pages} of 3" in response.content.decode()
        url = link(response, "next")
    assert seen == expected_order(org)
    assert pages == 3


def test_previous_links_walk_back_from_the_last_page(advisor_client, org, many):
    first = advisor_client.get("/tasks/?status=all")
    response = advisor_client.get(f"/tasks/{link(first, 'Last page')}")
    assert "Page 3 of 3" in response.content.decode()
    assert "51\u201362 of 62" in response.content.decode()
    pages = [ids_on(response)]
    while previous := link(response, "prev"):
        response = advisor_client.get(f"/tasks/{previous}", **HTMX)
        pages.insert(0, ids_on(response))
    assert [pk for page in pages for pk in page] == expected_order(org)
    assert "Page 1 of 3" in response.content.decode()


def test_the_links_keep_the_filters(advisor_client, many):
    response = advisor_client.get("/tasks/?status=all&unplanned=no")
    next_url = link(response, "next")
    assert next_url.startswith("?status=all&unplanned=no&after=")


def test_a_deep_page_costs_the_queries_of_the_first(advisor_client, many):
    first = advisor_client.get("/tasks/?status=all")
    second = link(first, "next")
    with CaptureQueriesContext(connection) as on_first:
        advisor_client.get("/tasks/?status=all")
    with CaptureQueriesContext(connection) as on_second:
        advisor_client.get(f"/tasks/{second}")
    assert len(on_second) == len(on_first)


@pytest.mark.parametrize(
    "cursor", ["", "nonsense", "~", "2030-13-01T00:00:00+00:00~5", "2030-06-16T00:00:00~5", "x~y"]
)
def test_a_broken_cursor_is_ignored(advisor_client, org, many, cursor):
    """Without a cursor it can read, the page goes by its number."""
    response = advisor_client.get("/tasks/", {"status": "all", "after": cursor, "page": "2"})
    assert response.status_code == 200
    if Cursor.decode(cursor) is None:
        assert ids_on(response) == expected_order(org)[25:50]
    first = advisor_client.get("/tasks/", {"status": "all", "before": cursor})
    assert ids_on(first) == expected_order(org)[:25]


def test_an_old_page_number_link_still_works(advisor_client, org, many):
    response = advisor_client.get("/tasks/?status=all&page=2")
    assert ids_on(response) == expected_order(org)[25:50]
    assert "Page 2 of 3" in response.content.decode()


def test_cursors_survive_their_round_trip():
    moment = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert Cursor.decode(Cursor(moment, 17).encode()) == Cursor(moment, 17)
    assert Cursor.decode(Cursor(None, 17).encode()) == Cursor(None, 17)
