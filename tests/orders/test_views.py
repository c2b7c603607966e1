"""The fleet's pages: from the Due page to a quote, an order and its timeline."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fleetmaint.intervals import services as intervals
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.orders import queries, servicers, services
from fleetmaint.orders.models import (
    FoundIssue,
    IssueStatus,
    OrderStatus,
    Partnership,
    Quote,
    QuoteStatus,
    ServiceOrder,
)
from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.services import Conditions, TaskInput
from fleetmaint.vehicles import services as vehicles
from fleetmaint.web import INVALID
from tests.orders.api_support import post_event
from tests.orders.conftest import HTMX

pytestmark = pytest.mark.usefixtures("clock")


def page(response) -> str:
    return response.content.decode()


def is_full_page(response) -> bool:
    return b"<html" in response.content


def shown_messages(response) -> list[str]:
    return [m.message for m in response.context["messages"]] if response.context else []


def order_rows(response) -> list[int]:
    return [int(n) for n in re.findall(r'href="/orders/(\d+)/"><strong>', page(response))]


@pytest.fixture
def due_task(van):
    """A task on the van that has reached its reminder."""
    task = tasks.task_create(
        vehicle=van,
        data=TaskInput(
            description="Replace wipers",
            conditions=Conditions(mileage={"limit": 1_000, "notification_interval": 500}),
        ),
    )
    vehicles.reading_record(vehicle=van, odometer=10_600)
    task.refresh_from_db()
    assert task.status == "notified"
    return task


# --- the Due page and asking for a quote --------------------------------------------------


def test_the_due_page_lets_an_advisor_tick_work_for_a_quote(advisor_client, oil, due_task):
    response = advisor_client.get("/due/")
    html = page(response)
    assert '<form method="get" action="/quotes/new/" id="quote-form">' in html
    assert f'name="interval" value="{oil.pk}"' in html
    assert f'name="task" value="{due_task.pk}"' in html
    assert "Ask for a quote" in html


def test_a_viewer_sees_no_checkboxes_on_the_due_page(viewer_client, oil, due_task):
    html = page(viewer_client.get("/due/"))
    assert 'name="interval"' not in html
    assert "Ask for a quote" not in html


def test_the_selection_shows_the_work_and_the_servicers(
    advisor_client, oil, due_task, garage, mobile, stranger
):
    response = advisor_client.get(f"/quotes/new/?interval={oil.pk}&task={due_task.pk}")
    assert response.status_code == 200
    html = page(response)
    assert "Ask for a quote · Van 1" in html
    assert f'<input type="checkbox" name="interval" value="{oil.pk}" checked> Oil Change' in html
    wipers = f'<input type="checkbox" name="task" value="{due_task.pk}" checked> Replace wipers'
    assert wipers in html
    assert f'<option value="{garage.pk}"' in html
    assert f'<option value="{mobile.pk}"' in html
    assert "Far Away Motors" not in html  # the fleet does not work with it


def test_asking_for_the_quote_prices_the_selected_work(
    advisor_client, advisor, van, oil, due_task, garage
):
    response = advisor_client.post(
        "/quotes/new/",
        {
            "interval": [oil.pk],
            "task": [due_task.pk],
            "servicer": garage.pk,
            "type": "scheduled_maintenance",
            "pre_authorized": "150",
        },
    )
    quote = Quote.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/quotes/{quote.pk}/"
    assert (quote.vehicle, quote.servicer, quote.created_by) == (van, garage, advisor)
    assert quote.pre_authorized == Decimal("150.00")
    assert list(quote.items.values_list("code", "unit_price")) == [
        ("oil-change", Decimal("89.00")),
        ("replace-wipers", Decimal("0.00")),
    ]
    assert list(quote.intervals.all()) == [oil]
    assert list(quote.tasks.all()) == [due_task]

    html = page(advisor_client.get(response["Location"]))
    assert "Oil change, 5W-30" in html
    assert "price on inspection" in html
    assert "89.00 EUR" in html


def test_an_htmx_request_for_the_quote_is_sent_to_the_quote_page(advisor_client, oil, garage):
    response = advisor_client.post(
        "/quotes/new/",
        {"interval": [oil.pk], "servicer": garage.pk, "type": "scheduled_maintenance"},
        **HTMX,
    )
    assert response["HX-Redirect"] == f"/quotes/{Quote.objects.get().pk}/"


@pytest.mark.parametrize(
    ("servicer", "service_type", "message"),
    [
        ("stranger", "scheduled_maintenance", "This fleet does not work with that servicer."),
        (
            "mobile",
            "scheduled_maintenance",
            "RoadReady Mobile does not offer scheduled maintenance",
        ),
        ("garage", "nonsense", "Choose scheduled maintenance, depot repair or onsite repair."),
        (None, "scheduled_maintenance", "Choose a servicer."),
    ],
)
def test_a_refused_quote_is_explained_on_the_form(
    request, advisor_client, oil, garage, mobile, stranger, servicer, service_type, message
):
    chosen = request.getfixturevalue(servicer).pk if servicer else ""
    response = advisor_client.post(
        "/quotes/new/", {"interval": [oil.pk], "servicer": chosen, "type": service_type}
    )
    assert response.status_code == INVALID
    assert message in page(response)
    assert Quote.objects.count() == 0


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("selection", [{}, {"interval": ["abc", "-1"]}, {"task": ["999999"]}])
def test_nothing_selected_is_refused_with_the_way_back(advisor_client, garage, method, selection):
    response = getattr(advisor_client, method)("/quotes/new/", {**selection, "servicer": garage.pk})
    assert response.status_code == INVALID
    html = page(response)
    assert "Nothing to quote: tick the due work of one or more vehicles on the Due page." in html
    assert '<a href="/due/">Back to Due</a>' in html
    assert Quote.objects.count() == 0


def test_serviced_intervals_and_another_fleets_work_count_as_nothing(
    advisor_client, other_org, garage, oil
):
    theirs = vehicles.vehicle_create(org=other_org, label="Their van", vehicle_key="T-1")
    their_interval = ServiceInterval.objects.create(
        org=other_org, vehicle=theirs, name="Oil Change", service_at_mileage=1_000
    )
    intervals.interval_mark_serviced(interval=oil, odometer=10_000)
    response = advisor_client.post(
        "/quotes/new/", {"interval": [oil.pk, their_interval.pk], "servicer": garage.pk}
    )
    assert response.status_code == INVALID
    html = page(response)
    assert "Nothing to quote" in html
    assert "Their van" not in html
    assert Quote.objects.count() == 0


@pytest.mark.parametrize("selection", ["valid", "empty"])
def test_a_viewer_may_not_ask_for_a_quote(viewer_client, oil, garage, selection):
    data = {"servicer": garage.pk, "type": "scheduled_maintenance"}
    if selection == "valid":
        data["interval"] = [oil.pk]
    assert viewer_client.post("/quotes/new/", data).status_code == 403
    assert Quote.objects.count() == 0


def test_the_fleet_without_servicers_is_told_to_choose_some(advisor_client, org, oil):
    response = advisor_client.get(f"/quotes/new/?interval={oil.pk}")
    assert "This fleet works with no servicer yet." in page(response)


# --- the quote page ------------------------------------------------------------------------


def test_the_quote_page_shows_its_prices_and_the_choices(advisor_client, make_quote):
    quote = make_quote(codes=("oil-change", "tire-rotation"), pre_authorized=Decimal("75"))
    html = page(advisor_client.get(f"/quotes/{quote.pk}/"))
    assert f"Quote {quote.pk} · Van 1" in html
    assert "Bay Garage" in html
    assert "129.00 EUR" in html
    assert "75.00 EUR" in html
    assert f'action="/quotes/{quote.pk}/accept/"' in html
    assert f'action="/quotes/{quote.pk}/decline/"' in html


def test_accepting_the_quote_opens_its_order_and_a_second_click_places_no_other(
    advisor_client, advisor, make_quote
):
    quote = make_quote()
    first = advisor_client.post(f"/quotes/{quote.pk}/accept/")
    second = advisor_client.post(f"/quotes/{quote.pk}/accept/")

    order = ServiceOrder.objects.get()
    assert first["Location"] == second["Location"] == f"/orders/{order.pk}/"
    assert order.events.get(event="order_placed").by_user == advisor
    html = page(advisor_client.get(f"/quotes/{quote.pk}/"))
    assert f'href="/orders/{order.pk}/">Open order {order.pk}' in html
    assert "/accept/" not in html


def test_declining_the_quote(advisor_client, make_quote):
    quote = make_quote()
    response = advisor_client.post(f"/quotes/{quote.pk}/decline/", follow=True)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DECLINED
    assert "Quote declined." in shown_messages(response)
    assert f'action="/quotes/{quote.pk}/accept/"' not in page(response)

    again = advisor_client.post(f"/quotes/{quote.pk}/accept/", follow=True)
    assert "This quote is declined." in shown_messages(again)
    assert ServiceOrder.objects.count() == 0


def test_an_expired_quote_is_refused_on_its_page(advisor_client, make_quote):
    quote = make_quote()
    # Made 15 days ago; moving the clock instead would also end the advisor's session.
    Quote.objects.filter(pk=quote.pk).update(valid_until=quote.valid_until - timedelta(days=15))
    response = advisor_client.post(f"/quotes/{quote.pk}/accept/", follow=True)
    assert response.redirect_chain[-1][0] == f"/quotes/{quote.pk}/"
    assert "This quote has expired; ask for a new one." in shown_messages(response)
    assert ServiceOrder.objects.count() == 0
    assert "expired" in page(response)


def test_a_stale_quote_reads_expired_with_no_accept_button_and_is_not_listed_as_waiting(
    advisor_client, make_quote
):
    """Past its validity a quote is expired wherever it is shown, before anyone tries it."""
    stale, fresh = make_quote(), make_quote()
    Quote.objects.filter(pk=stale.pk).update(valid_until=stale.valid_until - timedelta(days=15))

    html = page(advisor_client.get(f"/quotes/{stale.pk}/"))
    assert '<span class="badge">expired</span>' in html
    assert f'action="/quotes/{stale.pk}/accept/"' not in html
    assert f'action="/quotes/{stale.pk}/decline/"' not in html

    listed = page(advisor_client.get("/orders/"))
    assert f'href="/quotes/{fresh.pk}/"' in listed
    assert f'href="/quotes/{stale.pk}/"' not in listed
    stale.refresh_from_db()
    assert stale.status == QuoteStatus.PENDING  # expiry is read, not written, until accepted


def test_a_viewer_sees_the_quote_but_may_not_decide(viewer_client, make_quote):
    quote = make_quote()
    html = page(viewer_client.get(f"/quotes/{quote.pk}/"))
    assert "/accept/" not in html
    assert viewer_client.post(f"/quotes/{quote.pk}/accept/").status_code == 403
    assert viewer_client.post(f"/quotes/{quote.pk}/decline/").status_code == 403
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.PENDING


@pytest.mark.parametrize("action", ["", "accept/", "decline/"])
def test_another_fleets_quote_is_not_found(outsider_client, make_quote, action):
    quote = make_quote()
    method = outsider_client.get if not action else outsider_client.post
    assert method(f"/quotes/{quote.pk}/{action}").status_code == 404
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.PENDING


def test_deciding_a_quote_takes_a_post(advisor_client, make_quote):
    quote = make_quote()
    assert advisor_client.get(f"/quotes/{quote.pk}/accept/").status_code == 405
    assert advisor_client.get(f"/quotes/{quote.pk}/decline/").status_code == 405


# --- the orders list -------------------------------------------------------------------------


@pytest.fixture
def one_of_each(make_order) -> dict[str, ServiceOrder]:
    return {status: make_order(status) for status in OrderStatus.values}


def test_the_list_shows_the_active_orders_by_default(advisor_client, one_of_each):
    shown = order_rows(advisor_client.get("/orders/"))
    active = ["pending", "accepted", "in-progress", "delayed"]
    assert sorted(shown) == sorted(one_of_each[s].pk for s in active)


@pytest.mark.parametrize("status", OrderStatus.values)
def test_the_list_filters_by_status(advisor_client, one_of_each, status):
    assert order_rows(advisor_client.get(f"/orders/?status={status}")) == [one_of_each[status].pk]


def test_all_shows_every_order_newest_first(advisor_client, one_of_each):
    assert order_rows(advisor_client.get("/orders/?status=all")) == sorted(
        (o.pk for o in one_of_each.values()), reverse=True
    )


def test_an_htmx_filter_gets_only_the_results(advisor_client, one_of_each):
    response = advisor_client.get("/orders/?status=completed", **HTMX)
    assert not is_full_page(response)
    assert page(response).lstrip().startswith('<div id="results">')
    assert order_rows(response) == [one_of_each["completed"].pk]


def test_the_list_shows_quotes_waiting_for_a_decision(advisor_client, make_quote):
    quote = make_quote()
    html = page(advisor_client.get("/orders/"))
    assert "Quotes waiting for you" in html
    assert f'href="/quotes/{quote.pk}/">Quote {quote.pk}' in html


def test_another_fleets_orders_are_not_listed(outsider_client, make_order):
    make_order("accepted")
    assert order_rows(outsider_client.get("/orders/?status=all")) == []


def test_the_list_takes_as_many_queries_for_30_orders_as_for_3(advisor_client, make_order):
    for _ in range(3):
        make_order("accepted")
    advisor_client.get("/orders/")  # the session and the first-request work
    with CaptureQueriesContext(connection) as few:
        advisor_client.get("/orders/")
    for _ in range(27):
        make_order("accepted")
    with CaptureQueriesContext(connection) as many:
        response = advisor_client.get("/orders/")
    assert len(order_rows(response)) == 25  # one page
    assert len(many) == len(few)


# --- an order ----------------------------------------------------------------------------------


def test_the_order_page_shows_its_timeline(advisor_client, make_order, garage_staff):
    order = make_order("accepted")
    post_event(
        order,
        {"event": "product_received", "receivedBy": "Front desk", "notes": "Keys in box 4."},
        actor=garage_staff,
    )
    post_event(order, {"event": "repair_started"})
    html = page(advisor_client.get(f"/orders/{order.pk}/"))

    labels = re.findall(r'<div class="tl-what"><strong>([^<]+)</strong>', html)
    assert labels == [
        "Order placed",
        "Accepted",
        "Product received",
        "Repair started",
        "In progress",
    ]
    assert "Keys in box 4." in html
    assert "Front desk" in html
    assert "Bay Garage" in html
    assert "Oil change, 5W-30" in html


def test_the_order_page_refreshes_as_a_fragment(advisor_client, make_order):
    order = make_order("accepted")
    response = advisor_client.get(f"/orders/{order.pk}/", **HTMX)
    assert not is_full_page(response)
    assert 'id="order-live"' in page(response)
    assert "Timeline" in page(response)


def test_the_advisor_cancels_an_order_with_a_reason(advisor_client, advisor, make_order):
    order = make_order("accepted")
    html = page(advisor_client.get(f"/orders/{order.pk}/"))
    assert f'action="/orders/{order.pk}/cancel/"' in html

    refused = advisor_client.post(f"/orders/{order.pk}/cancel/", {"reason": " "}, follow=True)
    assert "Say why." in shown_messages(refused)
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED

    response = advisor_client.post(f"/orders/{order.pk}/cancel/", {"reason": "Van sold."})
    assert response["Location"] == f"/orders/{order.pk}/"
    order.refresh_from_db()
    assert (order.status, order.status_reason) == ("canceled", "Van sold.")
    assert order.events.get(event="status_canceled").by_user == advisor


@pytest.mark.parametrize("status", ["completed", "canceled"])
def test_a_finished_order_is_closed_from_its_page(advisor_client, make_order, status):
    order = make_order(status)
    assert f'action="/orders/{order.pk}/close/"' in page(advisor_client.get(f"/orders/{order.pk}/"))
    advisor_client.post(f"/orders/{order.pk}/close/")
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED
    html = page(advisor_client.get(f"/orders/{order.pk}/"))
    assert "/close/" not in html
    assert "/cancel/" not in html


def test_an_order_at_work_cannot_be_closed(advisor_client, make_order):
    order = make_order("in-progress")
    response = advisor_client.post(f"/orders/{order.pk}/close/", follow=True)
    assert "An order that is in-progress cannot become closed." in shown_messages(response)
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROGRESS


@pytest.mark.parametrize("action", ["start", "complete", "accept", "in-progress"])
def test_the_fleet_cannot_do_the_servicers_moves(advisor_client, make_order, action):
    order = make_order("accepted")
    assert advisor_client.post(f"/orders/{order.pk}/{action}/").status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED


@pytest.fixture
def waiting_issue(make_order) -> FoundIssue:
    order = make_order("in-progress", pre_authorized=Decimal("50"))
    return services.issue_report(order=order, description="Leaky hose", cost=Decimal("180"))


def issue_url(issue: FoundIssue) -> str:
    return f"/orders/{issue.order_id}/issues/{issue.pk}/"


def test_an_issue_waiting_for_approval_is_shown_with_its_choices(advisor_client, waiting_issue):
    html = page(advisor_client.get(f"/orders/{waiting_issue.order_id}/"))
    assert "Leaky hose" in html
    assert "awaiting approval" in html
    assert f'action="{issue_url(waiting_issue)}"' in html


def test_approving_an_issue_adds_it_to_the_order(advisor_client, advisor, waiting_issue):
    response = advisor_client.post(issue_url(waiting_issue), {"decision": "approve"}, follow=True)
    assert "Issue approved." in shown_messages(response)
    waiting_issue.refresh_from_db()
    assert (waiting_issue.status, waiting_issue.decided_by) == (IssueStatus.APPROVED, advisor)
    assert waiting_issue.order.items.filter(source="issue").count() == 1
    assert "found issue" in page(response)

    again = advisor_client.post(issue_url(waiting_issue), {"decision": "decline"}, follow=True)
    assert "This issue is already approved." in shown_messages(again)
    waiting_issue.refresh_from_db()
    assert waiting_issue.status == IssueStatus.APPROVED


def test_declining_an_issue_adds_nothing(advisor_client, waiting_issue):
    response = advisor_client.post(issue_url(waiting_issue), {"decision": "decline"}, follow=True)
    assert "Issue declined." in shown_messages(response)
    waiting_issue.refresh_from_db()
    assert waiting_issue.status == IssueStatus.DECLINED
    assert waiting_issue.order.items.filter(source="issue").count() == 0


def test_an_issue_of_another_order_is_not_found(advisor_client, make_order, waiting_issue):
    other = make_order("accepted")
    url = f"/orders/{other.pk}/issues/{waiting_issue.pk}/"
    assert advisor_client.post(url, {"decision": "approve"}).status_code == 404
    waiting_issue.refresh_from_db()
    assert waiting_issue.status == IssueStatus.AWAITING


def test_a_viewer_reads_the_order_but_changes_nothing(viewer_client, waiting_issue):
    order = waiting_issue.order
    html = page(viewer_client.get(f"/orders/{order.pk}/"))
    assert "Leaky hose" in html
    assert "/cancel/" not in html
    assert issue_url(waiting_issue) not in html
    assert viewer_client.post(f"/orders/{order.pk}/cancel/", {"reason": "x"}).status_code == 403
    assert viewer_client.post(f"/orders/{order.pk}/close/").status_code == 403
    assert viewer_client.post(issue_url(waiting_issue), {"decision": "approve"}).status_code == 403
    order.refresh_from_db()
    waiting_issue.refresh_from_db()
    assert (order.status, waiting_issue.status) == ("in-progress", "awaiting")


@pytest.mark.parametrize(
    ("method", "suffix", "data"),
    [
        ("get", "", {}),
        ("post", "cancel/", {"reason": "Mine now."}),
        ("post", "close/", {}),
        ("post", "issues/{issue}/", {"decision": "approve"}),
    ],
)
def test_another_fleets_order_is_not_found(outsider_client, waiting_issue, method, suffix, data):
    order = waiting_issue.order
    url = f"/orders/{order.pk}/" + suffix.format(issue=waiting_issue.pk)
    assert getattr(outsider_client, method)(url, data).status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROGRESS


def test_signed_out_visitors_are_sent_to_sign_in(client, make_order):
    order = make_order()
    for url in ("/orders/", f"/orders/{order.pk}/", "/quotes/new/", "/settings/servicers/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


# --- the servicers settings page -----------------------------------------------------------------


def test_the_admin_sees_every_servicer_and_which_the_fleet_works_with(
    admin_client, garage, stranger
):
    html = page(admin_client.get("/settings/servicers/"))
    assert "Bay Garage" in html
    assert "Far Away Motors" in html
    assert "Oil change, 5W-30 (89.00 EUR)" in html
    assert re.search(rf'value="{garage.pk}" aria-label="Work with Bay Garage" checked', html)
    assert re.search(rf'value="{stranger.pk}" aria-label="Work with Far Away Motors" >', html)


def test_the_admin_chooses_the_servicers(admin_client, org, garage, mobile, stranger):
    response = admin_client.post("/settings/servicers/", {"servicer": [garage.pk, stranger.pk]})
    assert response.status_code == 302
    chosen = set(Partnership.objects.filter(org=org).values_list("servicer__name", flat=True))
    assert chosen == {"Bay Garage", "Far Away Motors"}
    assert queries.servicer_for(org, stranger.pk) == stranger


def test_saving_the_servicers_takes_a_fixed_number_of_statements(
    admin_client, org, garage, mobile, stranger, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        admin_client.post("/settings/servicers/", {"servicer": [stranger.pk]})
    chosen = set(Partnership.objects.filter(org=org).values_list("servicer__name", flat=True))
    assert chosen == {"Far Away Motors"}


def test_choosing_servicers_leaves_other_fleets_alone(admin_client, other_org, garage):
    servicers.partnership_link(org=other_org, servicer=garage)
    admin_client.post("/settings/servicers/", {})
    assert Partnership.objects.filter(org=other_org, servicer=garage).exists()


def test_a_servicer_closed_to_new_fleets_is_neither_listed_nor_chosen(
    admin_client, org, garage, closed_shop
):
    assert "Private Fleet Works" not in page(admin_client.get("/settings/servicers/"))
    response = admin_client.post("/settings/servicers/", {"servicer": [garage.pk, closed_shop.pk]})
    assert response.status_code == 302
    chosen = set(Partnership.objects.filter(org=org).values_list("servicer__name", flat=True))
    assert chosen == {"Bay Garage"}


def test_a_fleet_the_operator_linked_keeps_its_closed_servicer_on_the_page(
    admin_client, org, closed_shop
):
    servicers.partnership_link(org=org, servicer=closed_shop)
    html = page(admin_client.get("/settings/servicers/"))
    assert re.search(
        rf'value="{closed_shop.pk}" aria-label="Work with Private Fleet Works" checked', html
    )
    admin_client.post("/settings/servicers/", {"servicer": [closed_shop.pk]})
    assert Partnership.objects.filter(org=org, servicer=closed_shop).exists()
    # Leaving is always possible; coming back is not.
    admin_client.post("/settings/servicers/", {})
    assert not Partnership.objects.filter(org=org, servicer=closed_shop).exists()
    admin_client.post("/settings/servicers/", {"servicer": [closed_shop.pk]})
    assert not Partnership.objects.filter(org=org, servicer=closed_shop).exists()


@pytest.mark.parametrize("who", ["advisor_client", "viewer_client"])
def test_only_admins_choose_servicers(request, org, garage, stranger, who):
    client = request.getfixturevalue(who)
    assert client.get("/settings/servicers/").status_code == 403
    assert client.post("/settings/servicers/", {"servicer": [stranger.pk]}).status_code == 403
    assert not Partnership.objects.filter(org=org, servicer=stranger).exists()
