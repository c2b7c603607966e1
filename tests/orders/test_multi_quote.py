"""Quotes for the due work of several vehicles at once: one per vehicle, all or none.

The fleet of ``conftest.py``: the van (Van 1, 10,000 km) with its preset schedule
and the truck (Truck 2, 50,000 km) with a tire rotation due; the garage quotes.
"""

import re
from decimal import Decimal

import pytest

from fleetmaint.errors import ValidationFailed
from fleetmaint.intervals import services as intervals
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.orders import queries, quotes
from fleetmaint.orders.models import Quote, ServiceType
from fleetmaint.orders.vehicle_quotes import QuotesRefused, quotes_create_per_vehicle
from fleetmaint.vehicles import services as vehicles
from fleetmaint.web import INVALID
from tests.orders.conftest import HTMX

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def rotation(org, truck) -> ServiceInterval:
    return ServiceInterval.objects.create(
        org=org, vehicle=truck, name="Tire Rotation", service_at_mileage=55_000
    )


def _selection(org, *chosen: ServiceInterval) -> list[queries.DueWork]:
    return queries.due_work_by_vehicle(
        org=org, interval_ids=[i.pk for i in chosen], task_ids=[]
    ).groups


def _ask(org, garage, work, **extra) -> list[Quote]:
    return quotes_create_per_vehicle(
        org=org,
        servicer=garage,
        service_type=ServiceType.SCHEDULED_MAINTENANCE,
        work=work,
        **extra,
    )


# --- the service ---------------------------------------------------------------------------


def test_the_selection_is_grouped_by_vehicle_by_label(org, van, truck, oil, washer, rotation):
    selection = queries.due_work_by_vehicle(
        org=org, interval_ids=[oil.pk, rotation.pk, washer.pk], task_ids=[]
    )
    assert [(w.vehicle, w.size) for w in selection.groups] == [(truck, 1), (van, 2)]
    assert selection.missing == 0


def test_it_makes_one_quote_per_vehicle(org, advisor, van, truck, garage, oil, washer, rotation):
    made = _ask(
        org,
        garage,
        _selection(org, oil, washer, rotation),
        pre_authorized=Decimal("50"),
        actor=advisor,
    )

    assert [q.vehicle for q in made] == [truck, van]
    truck_quote, van_quote = made
    assert list(truck_quote.intervals.all()) == [rotation]
    assert set(van_quote.intervals.all()) == {oil, washer}
    assert list(van_quote.items.values_list("code", flat=True).order_by("code")) == [
        "oil-change",
        "washer-fluid",
    ]
    assert {(q.servicer, q.pre_authorized, q.created_by) for q in made} == {
        (garage, Decimal("50.00"), advisor)
    }
    assert Quote.objects.count() == 2


def test_held_work_refuses_its_vehicle_with_a_link_and_nothing_is_made(
    org, van, truck, garage, make_quote, oil, washer, rotation
):
    held = make_quote(chosen_intervals=(oil,))

    with pytest.raises(QuotesRefused) as refused:
        _ask(org, garage, _selection(org, oil, washer, rotation))

    assert set(refused.value.refusals) == {van.pk}
    error = refused.value.refusals[van.pk]
    assert isinstance(error, quotes.WorkTaken)
    assert error.holder.url == f"/quotes/{held.pk}/"
    assert f"Oil Change is already on quote {held.pk}" in error.message
    assert refused.value.message.startswith("No quote was made: the work of Van 1 cannot be")
    # All or nothing: the truck's quote, made first, is rolled back with the van's refusal.
    assert list(Quote.objects.all()) == [held]


def test_every_refused_vehicle_is_named(org, van, truck, garage, make_quote, oil, rotation):
    make_quote(chosen_intervals=(oil,))
    make_quote(vehicle=truck, chosen_intervals=(rotation,), codes=("tire-rotation",))

    with pytest.raises(QuotesRefused) as refused:
        _ask(org, garage, _selection(org, oil, rotation))

    assert set(refused.value.refusals) == {van.pk, truck.pk}
    assert "the work of Truck 2 and Van 1 cannot be quoted" in refused.value.message
    assert Quote.objects.count() == 2


def test_work_closed_meanwhile_refuses_everything(org, van, truck, garage, oil, rotation):
    work = _selection(org, oil, rotation)
    intervals.interval_mark_serviced(interval=oil, odometer=10_000)

    with pytest.raises(QuotesRefused) as refused:
        _ask(org, garage, work)

    assert set(refused.value.refusals) == {van.pk}
    assert Quote.objects.count() == 0


def test_a_servicer_refusal_concerns_every_vehicle(org, mobile, oil, rotation):
    with pytest.raises(ValidationFailed) as refused:
        _ask(org, mobile, _selection(org, oil, rotation))
    assert refused.value.field == "type"
    assert Quote.objects.count() == 0


def test_nothing_ticked_is_refused(org, garage):
    with pytest.raises(ValidationFailed, match=r"Tick the due work to quote first\."):
        _ask(org, garage, [])


# --- the page ------------------------------------------------------------------------------


def _post(client, *chosen: ServiceInterval, listed=(), **data):
    return client.post(
        "/quotes/new/",
        {
            "interval": [i.pk for i in chosen],
            "listed_interval": [i.pk for i in listed],
            "type": "scheduled_maintenance",
            **data,
        },
    )


def _ticked(html: str) -> dict[int, bool]:
    """Each interval's tick box on the page: ticked or not."""
    found = re.findall(r'<input type="checkbox" name="interval" value="(\d+)"( checked)?>', html)
    return {int(pk): bool(checked) for pk, checked in found}


def test_the_page_lists_the_vehicles_and_their_items(
    advisor_client, garage, van, truck, oil, washer, rotation
):
    response = advisor_client.get(
        f"/quotes/new/?interval={oil.pk}&interval={washer.pk}&interval={rotation.pk}"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ask for quotes · 2 vehicles" in html
    assert "One quote for each vehicle: Truck 2 (1 item), Van 1 (2 items)." in html
    assert _ticked(html) == {rotation.pk: True, oil.pk: True, washer.pk: True}
    assert f'id="quote-vehicle-{truck.pk}"' in html and f'id="quote-vehicle-{van.pk}"' in html
    assert "Ask for the quotes" in html


def test_asking_makes_the_quotes_and_lists_them(advisor_client, garage, van, truck, oil, rotation):
    response = _post(advisor_client, oil, rotation, servicer=garage.pk)

    truck_quote, van_quote = Quote.objects.order_by("vehicle__label")
    assert (truck_quote.vehicle, van_quote.vehicle) == (truck, van)
    assert response.status_code == 302
    made_url = f"/quotes/made/?quote={truck_quote.pk}&quote={van_quote.pk}"
    assert response["Location"] == made_url

    made = advisor_client.get(made_url)
    html = made.content.decode()
    assert "2 quotes from Bay Garage are ready." in html
    assert "Quotes asked · 2 vehicles" in html
    for quote in (truck_quote, van_quote):
        assert f'<a href="/quotes/{quote.pk}/"><strong>Quote {quote.pk}</strong></a>' in html


def test_an_htmx_request_is_sent_to_the_list_of_quotes(advisor_client, garage, oil, rotation):
    response = advisor_client.post(
        "/quotes/new/",
        {"interval": [oil.pk, rotation.pk], "servicer": garage.pk},
        **HTMX,
    )
    assert response["HX-Redirect"].startswith("/quotes/made/?quote=")


def test_a_refusal_keeps_the_ticks_and_says_why_beside_the_vehicle(
    advisor_client, garage, make_quote, van, truck, oil, washer, rotation
):
    held = make_quote(chosen_intervals=(oil,))

    # The washer fluid was listed but unticked: it stays on the page, unticked.
    response = _post(advisor_client, oil, rotation, listed=(washer,), servicer=garage.pk)

    assert response.status_code == INVALID
    html = response.content.decode()
    assert _ticked(html) == {rotation.pk: True, oil.pk: True, washer.pk: False}
    assert f'<option value="{garage.pk}" selected>' in html
    assert "No quote was made: the work of Van 1 cannot be quoted as it stands" in html
    beside_van = re.search(
        rf'<p class="form-errors" role="alert" id="quote-vehicle-{van.pk}-error">(.*?)</p>', html
    )
    assert beside_van is not None
    assert f"Oil Change is already on quote {held.pk}" in beside_van.group(1)
    assert f'<a href="/quotes/{held.pk}/">Open quote {held.pk}</a>' in beside_van.group(1)
    assert f'id="quote-vehicle-{truck.pk}-error"' not in html
    assert list(Quote.objects.all()) == [held]

    # Unticking the held oil change and asking again makes both quotes.
    again = _post(advisor_client, rotation, washer, listed=(oil,), servicer=garage.pk)
    assert again.status_code == 302
    assert Quote.objects.count() == 3


def test_held_work_is_named_before_asking(advisor_client, garage, make_quote, van, oil, rotation):
    held = make_quote(chosen_intervals=(oil,))
    response = advisor_client.get(f"/quotes/new/?interval={oil.pk}&interval={rotation.pk}")
    assert response.status_code == INVALID
    html = response.content.decode()
    assert "The work ticked for Van 1 cannot be quoted as it stands (see below)" in html
    assert f'id="quote-vehicle-{van.pk}-error"' in html
    assert f'<a href="/quotes/{held.pk}/">Open quote {held.pk}</a>' in html


def test_a_servicer_error_keeps_every_tick(advisor_client, mobile, oil, rotation):
    response = _post(advisor_client, oil, rotation, servicer=mobile.pk)
    assert response.status_code == INVALID
    html = response.content.decode()
    assert "RoadReady Mobile does not offer scheduled maintenance." in html
    assert _ticked(html) == {rotation.pk: True, oil.pk: True}
    assert Quote.objects.count() == 0


def test_nothing_left_ticked_is_refused_with_the_list_kept(advisor_client, garage, oil, rotation):
    response = _post(advisor_client, listed=(oil, rotation), servicer=garage.pk)
    assert response.status_code == INVALID
    html = response.content.decode()
    assert "Tick at least one item to quote." in html
    assert _ticked(html) == {rotation.pk: False, oil.pk: False}
    assert Quote.objects.count() == 0


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_viewer_may_not_ask_for_quotes(viewer_client, garage, oil, rotation, method):
    data = {"interval": [oil.pk, rotation.pk], "servicer": garage.pk}
    assert getattr(viewer_client, method)("/quotes/new/", data).status_code == 403
    assert Quote.objects.count() == 0


def test_an_outsider_cannot_quote_the_fleets_work(outsider_client, garage, oil, rotation):
    response = _post(outsider_client, oil, rotation, servicer=garage.pk)
    assert response.status_code == INVALID
    html = response.content.decode()
    assert "Nothing to quote" in html
    assert "Van 1" not in html and "Truck 2" not in html
    assert Quote.objects.count() == 0


def test_another_fleets_item_among_the_ticks_is_refused_unnamed(
    advisor_client, other_org, garage, oil, rotation
):
    theirs = vehicles.vehicle_create(org=other_org, label="Their van", vehicle_key="T-1")
    their_interval = ServiceInterval.objects.create(
        org=other_org, vehicle=theirs, name="Secret service", service_at_mileage=1_000
    )
    response = _post(advisor_client, oil, rotation, their_interval, servicer=garage.pk)

    assert response.status_code == INVALID
    html = response.content.decode()
    assert "1 ticked item is no longer due or could not be found, and left out." in html
    assert "No quote was made: check the work below and ask again." in html
    assert "Their van" not in html and "Secret service" not in html
    assert _ticked(html) == {rotation.pk: True, oil.pk: True}
    assert Quote.objects.count() == 0


def test_the_list_of_quotes_made_shows_only_the_fleets_own(
    advisor_client, outsider_client, viewer_client, make_quote
):
    quote = make_quote()
    assert outsider_client.get(f"/quotes/made/?quote={quote.pk}").status_code == 404
    assert advisor_client.get("/quotes/made/?quote=abc").status_code == 404
    assert viewer_client.get(f"/quotes/made/?quote={quote.pk}").status_code == 200


def test_the_due_page_offers_quotes_for_several_vehicles(advisor_client, oil, rotation):
    html = advisor_client.get("/due/").content.decode()
    assert "Tick due work of one or more vehicles (one quote each), then" in html
