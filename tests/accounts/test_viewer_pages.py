"""A viewer never meets a form they cannot send.

Every page a viewer reaches from the menu shows the fleet read-only: no form
that changes the fleet, no tick boxes to select work for a quote. The pages
that exist only to change something (a new task, an edit, a quote request)
answer 403 with the styled explanation instead of a form.
"""

import re
from collections import deque
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client

from fleetmaint.contracts.models import VehicleContract
from fleetmaint.demo import seed_demo
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.orders import quotes
from fleetmaint.orders.models import Quote, ServiceOrder, Servicer, ServiceType
from fleetmaint.tasks.models import ServiceTask
from fleetmaint.vehicles.models import Reading

VIEWER_REASON = (
    "Your role is Viewer: you can see this fleet but not change it. "
    "Ask an admin of Demo Fleet to change your role."
)
# What a viewer may send: their own things, not the fleet's.
PERSONAL_ACTIONS = re.compile(
    r"^/(logout/|settings/switch/|account/password/|notifications/(read-all/|\d+/read/|preferences/))$"
)
# Files and programs, not pages.
NOT_PAGES = ("/logout/", "/static/", "/media/", "/api/", "/admin/", ".ics", "format=", "/files/")
MAX_PAGES = 250


@pytest.fixture
def demo(db):
    seed_demo(vehicle_count=3)


@pytest.fixture
def demo_viewer(demo) -> Client:
    client = Client()
    client.force_login(User.objects.get(username="viewer"))
    return client


def _a_quote() -> Quote:
    """The demo's waiting quote, or one asked for now (the demo asks only for work due)."""
    quote = Quote.objects.order_by("pk").first()
    if quote is not None:
        return quote
    interval = ServiceInterval.objects.open().select_related("vehicle__org").first()
    return quotes.quote_create(
        org=interval.vehicle.org,
        vehicle=interval.vehicle,
        servicer=Servicer.objects.order_by("pk").first(),
        service_type=ServiceType.SCHEDULED_MAINTENANCE,
        items=quotes.items_for_due_work([interval], []),
        pre_authorized=Decimal(0),
        interval_ids=[interval.pk],
    )


def _an_order(quote: Quote) -> ServiceOrder:
    """The demo's first order, or the quote accepted now (the demo's orders depend on
    which vehicles it drew, which depends on the ids earlier tests used)."""
    order = ServiceOrder.objects.order_by("pk").first()
    return order if order is not None else quotes.quote_accept(quote=quote)


def _writes(html: str, page: str) -> list[str]:
    """The forms and htmx requests on a page that would send something, by their address."""
    sends = []
    for tag in re.findall(r"<form\b[^>]*>", html):
        if re.search(r'method="post"', tag, re.I):
            action = re.search(r'action="([^"]*)"', tag)
            sends.append(action.group(1) if action else page)
    sends += re.findall(r'hx-(?:post|put|patch|delete)="([^"]*)"', html)
    return [url for url in sends if not PERSONAL_ACTIONS.match(url.split("?")[0])]


def _shape(url: str) -> str:
    return re.sub(r"\d+", "N", url)


def _crawl(client: Client, *starts: str) -> dict[str, str]:
    """Every page reachable from ``starts`` by following links, one of each shape."""
    pages: dict[str, str] = {}
    shapes: set[str] = set()
    queue = deque(starts)
    while queue and len(pages) < MAX_PAGES:
        url = queue.popleft()
        if _shape(url) in shapes:
            continue
        shapes.add(_shape(url))
        response = client.get(url)
        assert response.status_code < 400, f"{url} answered {response.status_code}"
        if not response["Content-Type"].startswith("text/html"):
            continue
        html = response.content.decode()
        pages[url] = html
        for link in re.findall(r'href="(/[^"#]*)"', html):
            link = link.replace("&amp;", "&")
            if not any(part in link for part in NOT_PAGES) and _shape(link) not in shapes:
                queue.append(link)
    return pages


def test_no_page_a_viewer_reaches_offers_a_change(demo_viewer):
    # From the dashboard, and from pages a colleague's link leads to.
    quote = _a_quote()
    order = _an_order(quote)
    starts = ("/", f"/quotes/{quote.pk}/", f"/orders/{order.pk}/", "/schedule/presets/")
    pages = _crawl(demo_viewer, *starts)
    expected = {"/vehicles/", "/due/", "/tasks/", "/orders/", "/contracts/", "/settings/"}
    assert expected | {f"/quotes/{quote.pk}/", "/schedule/presets/"} <= set(pages)
    assert any(re.fullmatch(r"/vehicles/\d+/schedule/", url) for url in pages)
    assert any(re.fullmatch(r"/orders/\d+/", url) for url in pages)
    offered = {url: _writes(html, url) for url, html in pages.items()}
    assert {url: sends for url, sends in offered.items() if sends} == {}


def test_the_due_page_has_no_tick_boxes_or_quote_button_for_a_viewer(demo_viewer):
    html = demo_viewer.get("/due/").content.decode()
    assert "Ask for a quote" not in html
    assert not re.search(r'<input[^>]*type="checkbox"[^>]*name="(interval|task)"', html)


def _write_pages() -> list[str]:
    task = ServiceTask.objects.order_by("pk").first()
    interval = ServiceInterval.objects.order_by("pk").first()
    contract = VehicleContract.objects.order_by("pk").first()
    reading = Reading.objects.order_by("pk").first()
    return [
        "/vehicles/new/",
        f"/vehicles/{interval.vehicle_id}/edit/",
        f"/vehicles/{reading.vehicle_id}/readings/{reading.pk}/void/",
        f"/vehicles/{interval.vehicle_id}/schedule/{interval.pk}/serviced/",
        f"/vehicles/{contract.vehicle_id}/contracts/?edit={contract.pk}",
        "/tasks/new/",
        "/tasks/batch/",
        f"/tasks/{task.pk}/edit/",
        f"/tasks/{task.pk}/done/",
        "/quotes/new/",
        f"/quotes/new/?interval={interval.pk}",
    ]


def test_pages_that_only_change_things_explain_the_refusal(demo_viewer):
    for url in _write_pages():
        response = demo_viewer.get(url)
        assert response.status_code == 403, url
        html = response.content.decode()
        assert 'aria-label="Main"' in html, url
        assert VIEWER_REASON in re.sub(r"\s+", " ", html), url
        assert _writes(html, url) == [], url


def test_an_advisor_still_gets_the_quote_form(demo):
    client = Client()
    client.force_login(User.objects.get(username="advisor"))
    interval = ServiceInterval.objects.order_by("pk").first()
    response = client.get(f"/quotes/new/?interval={interval.pk}")
    assert response.status_code in (200, 422)
    assert 'action="/quotes/new/"' in response.content.decode()


def test_a_viewer_reads_the_presets_as_text(viewer_client, org):
    response = viewer_client.get("/schedule/presets/")
    assert response.status_code == 200
    html = response.content.decode()
    oil = re.search(r'<tr id="preset-\d+" class="preset-row">(.*?)</tr>', html, re.S).group(1)
    assert "Oil Change" in oil
    assert "15,000 km / 12 months" in oil
    assert not re.search(r"<(input|select|textarea)\b", html.split("<main", 1)[1])
    assert _writes(html, "/schedule/presets/") == []
    assert "Save presets" not in html


def test_a_viewers_presets_post_is_refused_with_the_reason(viewer_client, org):
    response = viewer_client.post("/schedule/presets/", {"for_new_vehicles": "on"})
    assert response.status_code == 403
    assert "Your role is Viewer" in response.content.decode()
    org.refresh_from_db()
    assert not org.generate_presets_for_new_vehicles


def test_an_advisor_still_edits_the_presets(advisor_client, org):
    html = advisor_client.get("/schedule/presets/").content.decode()
    assert 'id="presets-form"' in html
    assert "Save presets" in html
