"""Orders in people's words: service types by name, quote lines without catalogue codes
for the fleet, the timeline's sources and statuses in words, checkboxes in the admin."""

import re

import pytest
from django.test import Client

from fleetmaint.orders import events as servicer_events
from fleetmaint.orders import services
from fleetmaint.orders.models import OrderStatus, Servicer, ServiceType

pytestmark = pytest.mark.usefixtures("clock")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def operator(django_user_model) -> Client:
    user = django_user_model.objects.create_superuser("operator", "op@example.net", "x" * 16)
    client = Client()
    client.force_login(user)
    return client


def test_the_quote_shows_each_line_by_its_name_not_its_code(advisor_client, make_quote):
    quote = make_quote(codes=("oil-change", "tire-rotation"))
    text = _text(advisor_client.get(f"/quotes/{quote.pk}/").content.decode())
    assert "Oil change, 5W-30" in text and "Tire rotation" in text
    assert "oil-change" not in text and "tire-rotation" not in text
    assert "Scheduled maintenance" in text and "scheduled_maintenance" not in text
    # Nothing pre-authorised is said so, not priced at 0.00.
    assert "Pre-authorised for issues found during the work none" in text
    assert "0.00 EUR" not in text


def test_the_order_shows_names_to_the_fleet_and_codes_to_the_servicer(
    advisor_client, garage_client, make_order
):
    order = make_order(OrderStatus.ACCEPTED)
    fleet = _text(advisor_client.get(f"/orders/{order.pk}/").content.decode())
    assert "Oil change, 5W-30" in fleet and "oil-change" not in fleet
    assert "Depot repair" in fleet and "repair_depot" not in fleet
    assert "Pre-authorised none" in fleet
    servicer = _text(garage_client.get(f"/portal/orders/{order.pk}/").content.decode())
    assert "oil-change" in servicer  # the servicer's own catalogue


def test_the_timeline_says_where_an_event_comes_from_and_what_it_left(advisor_client, make_order):
    order = make_order(OrderStatus.ACCEPTED)
    event = servicer_events.read(
        {"event": "repair_started", "notes": "On the lift."}, order.service_type
    )
    services.event_post(order=order, event=event)
    html = advisor_client.get(f"/orders/{order.pk}/").content.decode()
    assert '<span class="badge">at the depot</span>' in html
    assert "→ in progress" in _text(html)
    assert '<span class="badge">depot</span>' not in html


def test_the_servicers_page_names_their_service_types(admin_client, org, garage):
    Servicer.objects.filter(pk=garage.pk).update(open_to_new_fleets=True)
    text = _text(admin_client.get("/settings/servicers/").content.decode())
    assert "Scheduled maintenance, Depot repair" in text
    assert "scheduled_maintenance" not in text and "repair_depot" not in text


def test_the_admin_offers_service_types_as_checkboxes(operator, garage):
    html = operator.get(f"/admin/orders/servicer/{garage.pk}/change/").content.decode()
    assert "<textarea" not in html.split('name="service_types"')[0][-300:]
    boxes = re.findall(r'<input type="checkbox" name="service_types" value="([a-z_]+)"[^>]*>', html)
    assert boxes == ["scheduled_maintenance", "repair_depot", "repair_onsite"]
    checked = re.findall(
        r'<input type="checkbox" name="service_types" value="([a-z_]+)"[^>]*checked', html
    )
    assert checked == ["scheduled_maintenance", "repair_depot"]
    assert "Depot repair" in html and "Onsite repair" in html


def test_the_admin_stores_the_ticked_types_as_the_same_json_list(operator, db):
    response = operator.post(
        "/admin/orders/servicer/add/",
        {
            "name": "Hilltop Motors",
            "service_types": ["repair_onsite", "scheduled_maintenance"],
            "currency": "EUR",
            "active": "on",
            **_empty_inlines(operator),
        },
    )
    assert response.status_code == 302, _text(response.content.decode())[:2000]
    servicer = Servicer.objects.get(name="Hilltop Motors")
    assert servicer.service_types == [ServiceType.SCHEDULED_MAINTENANCE, ServiceType.REPAIR_ONSITE]
    assert servicer.offers("repair_onsite") and not servicer.offers("repair_depot")
    listed = _text(operator.get("/admin/orders/servicer/").content.decode())
    assert "Scheduled maintenance, Onsite repair" in listed


def _empty_inlines(client: Client) -> dict[str, str]:
    """The management forms of the add page's inlines, with no rows in them."""
    html = client.get("/admin/orders/servicer/add/").content.decode()
    data = {}
    for prefix in re.findall(r'name="([\w-]+)-TOTAL_FORMS"', html):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    return data
