"""The servicer portal: staff see their servicer's orders only, and move them on."""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from fleetmaint.orders.models import (
    FoundIssue,
    IssueStatus,
    OrderEvent,
    OrderStatus,
    ServicerStaff,
)
from fleetmaint.vehicles.models import Reading
from tests.orders.conftest import HTMX

pytestmark = pytest.mark.usefixtures("clock")

# The fleet is in Berlin (UTC+2 in June): a time typed into the portal is the fleet's.
TYPED = "2030-06-15T11:00"
MEANT = datetime(2030, 6, 15, 9, 0, tzinfo=UTC)


def page(response) -> str:
    return response.content.decode()


def shown_messages(response) -> list[str]:
    return [m.message for m in response.context["messages"]] if response.context else []


def portal_rows(response) -> list[int]:
    return [int(n) for n in re.findall(r'href="/portal/orders/(\d+)/"><strong>', page(response))]


def url(order, action: str = "") -> str:
    return f"/portal/orders/{order.pk}/{action}"


@pytest.fixture
def garage_order(make_order):
    return make_order("accepted")


@pytest.fixture
def mobile_order(make_order):
    return make_order(onsite=True)


# --- who sees what ------------------------------------------------------------------------


def test_staff_see_only_their_servicers_orders(garage_client, make_order, mobile_order):
    mine = [make_order(s) for s in ("pending", "in-progress", "completed")]
    response = garage_client.get("/portal/?status=all")
    assert response.status_code == 200
    assert sorted(portal_rows(response)) == sorted(o.pk for o in mine)
    assert "Acme Logistics" in page(response)


def test_the_portal_lists_the_active_orders_by_default_and_filters(garage_client, make_order):
    pending, done = make_order("pending"), make_order("completed")
    assert portal_rows(garage_client.get("/portal/")) == [pending.pk]
    response = garage_client.get("/portal/?status=completed", **HTMX)
    assert b"<html" not in response.content
    assert portal_rows(response) == [done.pk]


@pytest.mark.parametrize(
    ("method", "action", "data"),
    [
        ("get", "", {}),
        ("post", "accept/", {"accepted": "true"}),
        ("post", "status/", {"action": "start"}),
        ("post", "events/", {"event": "product_received"}),
        ("post", "issues/", {"description": "Belt", "cost": "1"}),
    ],
)
def test_another_servicers_order_is_not_found(garage_client, mobile_order, method, action, data):
    before = mobile_order.events.count()
    assert getattr(garage_client, method)(url(mobile_order, action), data).status_code == 404
    assert mobile_order.events.count() == before


FLEET_PAGES = [
    "/",
    "/vehicles/",
    "/vehicles/{vehicle}/",
    "/vehicles/{vehicle}/schedule/",
    "/tasks/",
    "/due/",
    "/orders/",
    "/orders/{order}/",
    "/quotes/{quote}/",
    "/quotes/new/?interval={interval}",
    "/settings/servicers/",
]


@pytest.mark.parametrize("address", FLEET_PAGES)
def test_fleet_pages_send_servicer_staff_to_the_portal(
    garage_client, garage_order, van, oil, address
):
    address = address.format(
        vehicle=van.pk, order=garage_order.pk, quote=garage_order.quote_id, interval=oil.pk
    )
    response = garage_client.get(address)
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response["Location"] == "/portal/"
    assert "Van 1" not in page(response)


@pytest.mark.parametrize(
    "address",
    ["/orders/{order}/cancel/", "/orders/{order}/close/", "/quotes/new/", "/settings/servicers/"],
)
def test_servicer_staff_change_nothing_on_the_fleets_side(garage_client, garage_order, address):
    response = garage_client.post(address.format(order=garage_order.pk), {"reason": "Mine."})
    assert response.status_code in (302, 403)
    garage_order.refresh_from_db()
    assert garage_order.status == OrderStatus.ACCEPTED


def test_the_portal_shows_nothing_that_leads_into_the_fleet(garage_client, garage_order, van):
    html = page(garage_client.get(url(garage_order)))
    assert "Van 1" in html
    assert f'href="/vehicles/{van.pk}/' not in html
    assert 'href="/due/"' not in html
    assert 'href="/orders/' not in html


@pytest.mark.parametrize("who", ["admin_client", "advisor_client", "viewer_client"])
def test_fleet_users_may_not_open_the_portal(request, garage_order, who):
    client = request.getfixturevalue(who)
    assert client.get("/portal/").status_code == 403
    assert client.get(url(garage_order)).status_code == 403
    assert client.post(url(garage_order, "status/"), {"action": "start"}).status_code == 403
    garage_order.refresh_from_db()
    assert garage_order.status == OrderStatus.ACCEPTED


def test_signed_out_visitors_are_sent_to_sign_in(client, garage_order):
    response = client.get(url(garage_order))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_staff_of_an_inactive_servicer_are_turned_away(garage_client, garage):
    garage.active = False
    garage.save()
    assert garage_client.get("/portal/").status_code == 403


# --- accepting and moving orders -----------------------------------------------------------


def test_a_pending_order_offers_accept_and_decline(garage_client, make_order):
    order = make_order()
    html = page(garage_client.get(url(order)))
    assert f'action="/portal/orders/{order.pk}/accept/"' in html
    assert 'name="accepted" value="true"' in html
    assert 'name="accepted" value="false"' in html


def test_staff_accept_an_order(garage_client, garage_staff, make_order):
    order = make_order()
    response = garage_client.post(url(order, "accept/"), {"accepted": "true"}, follow=True)
    assert response.redirect_chain[-1][0] == url(order)
    assert "Order accepted." in shown_messages(response)
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED
    assert order.events.get(event="status_accepted").by_user == garage_staff


def test_staff_decline_an_order_with_a_reason(garage_client, make_order):
    order = make_order()
    refused = garage_client.post(url(order, "accept/"), {"accepted": "false"}, follow=True)
    assert "Say why." in shown_messages(refused)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING

    response = garage_client.post(
        url(order, "accept/"), {"accepted": "false", "reason": "Fully booked."}, follow=True
    )
    assert "Order declined." in shown_messages(response)
    order.refresh_from_db()
    assert (order.status, order.status_reason) == ("canceled", "Fully booked.")


def test_the_work_is_started_delayed_resumed_and_completed(garage_client, garage_order):
    def act(action: str, **data):
        response = garage_client.post(url(garage_order, "status/"), {"action": action, **data})
        assert response.status_code == 302
        garage_order.refresh_from_db()
        return garage_order

    assert act("start").status == OrderStatus.IN_PROGRESS
    delayed = act("delay", reason="Waiting for parts.")
    assert (delayed.status, delayed.status_reason) == ("delayed", "Waiting for parts.")
    assert act("resume").status == OrderStatus.IN_PROGRESS
    assert act("complete").status == OrderStatus.COMPLETED
    assert [e for e in garage_order.events.values_list("event", flat=True)][-4:] == [
        "status_in_progress",
        "status_delayed",
        "status_in_progress",
        "status_completed",
    ]


def test_the_page_offers_the_moves_the_order_allows(garage_client, make_order):
    accepted = page(garage_client.get(url(make_order("accepted"))))
    assert 'name="action" value="start"' in accepted
    assert 'name="action" value="delay"' in accepted
    assert 'name="action" value="complete"' in accepted
    delayed = page(garage_client.get(url(make_order("delayed"))))
    assert 'name="action" value="resume"' in delayed
    assert 'name="action" value="delay"' not in delayed
    closed = page(garage_client.get(url(make_order("closed"))))
    assert 'name="action"' not in closed
    assert "Post an event" not in closed


def test_a_delay_without_a_reason_is_refused(garage_client, make_order):
    order = make_order("in-progress")
    response = garage_client.post(url(order, "status/"), {"action": "delay"}, follow=True)
    assert "Say why." in shown_messages(response)
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROGRESS


def test_staff_cancel_with_a_reason(garage_client, make_order):
    order = make_order("in-progress")
    garage_client.post(url(order, "status/"), {"action": "cancel", "reason": "Wrong vehicle."})
    order.refresh_from_db()
    assert (order.status, order.status_reason) == ("canceled", "Wrong vehicle.")


@pytest.mark.parametrize("action", ["", "close", "accept", "explode"])
def test_an_unknown_action_is_refused(garage_client, garage_order, action):
    response = garage_client.post(url(garage_order, "status/"), {"action": action}, follow=True)
    assert "Unknown action." in shown_messages(response)
    garage_order.refresh_from_db()
    assert garage_order.status == OrderStatus.ACCEPTED


def test_an_illegal_move_is_explained(garage_client, make_order):
    order = make_order("completed")
    response = garage_client.post(url(order, "status/"), {"action": "start"}, follow=True)
    assert "An order that is completed cannot become in-progress." in shown_messages(response)


def test_completing_with_the_odometer_moves_the_schedule(
    garage_client, make_order, van, oil, wipers
):
    order = make_order("in-progress", chosen_intervals=(oil,), chosen_tasks=(wipers,))
    html = page(garage_client.get(url(order)))
    assert 'name="odometer" min="0" value="10000"' in html

    garage_client.post(url(order, "status/"), {"action": "complete", "odometer": "12500"})
    order.refresh_from_db()
    oil.refresh_from_db()
    wipers.refresh_from_db()
    assert (order.status, order.completion_odometer) == ("completed", 12_500)
    assert oil.serviced_odometer == 12_500
    assert (wipers.status, wipers.completion_mileage) == ("done", 12_500)
    assert Reading.objects.filter(vehicle=van, odometer=12_500, source="servicer").exists()


def test_a_bad_odometer_is_explained(garage_client, make_order):
    order = make_order("in-progress")
    response = garage_client.post(
        url(order, "status/"), {"action": "complete", "odometer": "lots"}, follow=True
    )
    assert "Odometer must be a whole number." in shown_messages(response)
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROGRESS


# --- events through the forms ---------------------------------------------------------------


def posted(order) -> OrderEvent:
    return order.events.exclude(kind="status").latest("id")


def test_the_forms_are_the_events_of_the_orders_service_type(
    garage_client, mobile_client, garage_order, mobile_order
):
    depot = page(garage_client.get(url(garage_order)))
    assert 'name="event" value="product_received"' in depot
    assert 'name="event" value="resolved"' not in depot
    assert 'id="product_received-receptionDate" name="receptionDate" type="datetime-local"' in depot
    assert 'type="checkbox" id="repair_eta-isDelayed" name="isDelayed"' in depot
    onsite = page(mobile_client.get(url(mobile_order)))
    assert 'name="event" value="resolved"' in onsite
    assert 'name="event" value="repair_started"' not in onsite
    assert 'name="event" value="other"' in onsite


def test_a_typed_time_becomes_the_timestamp_of_that_moment_where_the_fleet_is(
    garage_client, advisor_client, garage_order
):
    response = garage_client.post(
        url(garage_order, "events/"),
        {
            "event": "product_received",
            "receivedBy": " Front desk ",
            "receptionDate": TYPED,
            "notes": "Keys in box 4.",
        },
        follow=True,
    )
    assert "Posted product received." in shown_messages(response)
    event = posted(garage_order)
    assert event.body == {
        "event": "product_received",
        "receivedBy": "Front desk",
        "receptionDate": MEANT.timestamp(),
        "notes": "Keys in box 4.",
    }
    assert event.event_date == MEANT
    assert "at 2030-06-15 11:00" in page(response)
    fleet_view = page(advisor_client.get(f"/orders/{garage_order.pk}/"))
    assert "at 2030-06-15 11:00" in fleet_view  # the fleet sees the time that was typed


def test_a_time_with_seconds_is_understood(garage_client, garage_order):
    garage_client.post(
        url(garage_order, "events/"),
        {"event": "repair_started", "repairStartedAt": TYPED + ":30"},
    )
    assert posted(garage_order).event_date == MEANT.replace(second=30)


def test_a_delayed_eta_from_the_form_delays_the_order(garage_client, make_order):
    order = make_order("in-progress")
    garage_client.post(
        url(order, "events/"),
        {
            "event": "repair_eta",
            "estimatedRepairCompletionAt": TYPED,
            "isDelayed": "on",
            "delayReason": "The part ships Monday.",
        },
    )
    order.refresh_from_db()
    assert (order.status, order.status_reason) == ("delayed", "The part ships Monday.")
    assert order.estimated_completion == MEANT
    assert posted(order).body["isDelayed"] is True


def test_an_eta_left_unticked_is_not_delayed(garage_client, make_order):
    order = make_order("in-progress")
    garage_client.post(
        url(order, "events/"), {"event": "repair_eta", "estimatedRepairCompletionAt": TYPED}
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROGRESS
    assert posted(order).body["isDelayed"] is False


def test_a_list_of_times_becomes_a_list_of_timestamps(mobile_client, mobile_order):
    mobile_client.post(
        url(mobile_order, "events/"),
        {
            "event": "customer_contact",
            "customerContactEventType": "call",
            "method": "phone",
            "contactTimestamp": TYPED,
            "appointmentTimestamps": "2030-06-15T11:00, 2030-06-17T14:30,",
        },
    )
    body = posted(mobile_order).body
    assert body["appointmentTimestamps"] == [
        MEANT.timestamp(),
        datetime(2030, 6, 17, 12, 30, tzinfo=UTC).timestamp(),
    ]
    assert body["contactTimestamp"] == MEANT.timestamp()


def test_resolved_from_the_form_completes_an_onsite_order(mobile_client, mobile_order):
    mobile_client.post(
        url(mobile_order, "events/"),
        {"event": "resolved", "resolutionType": "fixed", "reason": "Blown fuse replaced."},
    )
    mobile_order.refresh_from_db()
    assert mobile_order.status == OrderStatus.COMPLETED


def test_an_other_event_with_its_date_and_metadata(garage_client, garage_order):
    response = garage_client.post(
        url(garage_order, "events/"),
        {
            "event": "other",
            "other_name": "tow_truck_called",
            "eventDate": TYPED,
            "metadata": '{"bay": 3}',
            "notes": "Flat tyre on the way in.",
        },
        follow=True,
    )
    assert "Posted tow truck called." in shown_messages(response)
    event = posted(garage_order)
    assert (event.event, event.kind, event.event_date) == ("tow_truck_called", "other", MEANT)
    assert event.body["metadata"] == {"bay": 3}
    assert event.notes == "Flat tyre on the way in."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"event": "product_received", "receptionDate": "tomorrow"},
            "Reception date must be a date and time.",
        ),
        (
            {"event": "other", "other_name": "x", "metadata": "{bay: 3"},
            "Metadata is not valid JSON: Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1).",
        ),
        (
            {"event": "other", "other_name": "x", "metadata": "[1, 2]"},
            "metadata must be an object.",
        ),
        ({"event": "other", "other_name": " "}, "event is required and must be a string."),
        ({"event": "resolved"}, "resolved is not an event for repair depot orders."),
    ],
)
def test_a_bad_event_form_is_explained(garage_client, garage_order, data, message):
    before = garage_order.events.count()
    response = garage_client.post(url(garage_order, "events/"), data, follow=True)
    assert message in shown_messages(response)
    assert garage_order.events.count() == before


def test_a_pending_order_takes_no_events_from_the_form(garage_client, make_order):
    order = make_order()
    response = garage_client.post(url(order, "events/"), {"event": "repair_started"}, follow=True)
    assert any("once the order is accepted" in m for m in shown_messages(response))
    assert order.status == OrderStatus.PENDING


# --- found issues ----------------------------------------------------------------------------


def test_the_issue_form_shows_while_the_work_is_in_progress(garage_client, make_order):
    working = make_order("in-progress", pre_authorized=Decimal("100"))
    html = page(garage_client.get(url(working)))
    assert "Report an issue found" in html
    assert "Up to 100.00 EUR is pre-authorised (0.00 used)" in html
    assert "Report an issue found" not in page(garage_client.get(url(make_order("accepted"))))


def test_an_issue_within_the_pre_authorised_amount_goes_ahead(garage_client, make_order):
    order = make_order("in-progress", pre_authorized=Decimal("100"))
    response = garage_client.post(
        url(order, "issues/"), {"description": "Worn belt", "cost": "100.00"}, follow=True
    )
    assert "Issue added: it fits the pre-authorised amount, go ahead." in shown_messages(response)
    issue = FoundIssue.objects.get()
    assert (issue.status, issue.cost) == (IssueStatus.AUTHORIZED, Decimal("100.00"))
    assert "(100.00 used)" in page(response)


def test_an_issue_above_it_waits_for_the_fleet(
    garage_client, advisor_client, make_order, smtp, advisors
):
    order = make_order("in-progress", pre_authorized=Decimal("100"))
    response = garage_client.post(
        url(order, "issues/"), {"description": "Leaky hose", "cost": "100.01"}, follow=True
    )
    assert "Issue reported: it waits for the fleet's approval." in shown_messages(response)
    assert FoundIssue.objects.get().status == IssueStatus.AWAITING

    html = page(advisor_client.get(f"/orders/{order.pk}/"))
    assert "awaiting approval" in html
    assert 'name="decision" value="approve"' in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"description": "", "cost": "5"}, "Describe the issue."),
        ({"description": "Belt", "cost": "five"}, "Cost must be an amount."),
        ({"description": "Belt", "cost": ""}, "Give the cost of the work found."),
    ],
)
def test_a_bad_issue_is_explained(garage_client, make_order, data, message):
    order = make_order("in-progress", pre_authorized=Decimal("100"))
    response = garage_client.post(url(order, "issues/"), data, follow=True)
    assert message in shown_messages(response)
    assert FoundIssue.objects.count() == 0


def test_an_issue_before_the_work_starts_is_refused(garage_client, garage_order):
    response = garage_client.post(
        url(garage_order, "issues/"), {"description": "Belt", "cost": "5"}, follow=True
    )
    assert any("while the work is in progress" in m for m in shown_messages(response))
    assert FoundIssue.objects.count() == 0


def test_the_portal_takes_posts_only_for_changes(garage_client, garage_order):
    for action in ("accept/", "status/", "events/", "issues/"):
        assert garage_client.get(url(garage_order, action)).status_code == 405


def test_a_staff_member_of_two_servicers_is_not_possible(garage_staff, mobile):
    """A person works for one servicer: the portal never has to guess whose orders to show."""
    with pytest.raises(IntegrityError), transaction.atomic():
        ServicerStaff.objects.create(user=garage_staff, servicer=mobile)


def test_a_portal_user_logs_in_and_lands_in_the_portal(garage_staff, garage_order):
    client = Client()
    response = client.post("/login/", {"username": "gary", "password": "pw"}, follow=True)
    assert response.redirect_chain[-1][0] == "/portal/"
    assert portal_rows(response) == [garage_order.pk]


def test_a_refused_event_shows_its_form_again_with_what_was_typed(
    clock, garage_client, garage_order
):
    typed = {
        "event": "product_received",
        "receivedBy": "Front desk",
        "receptionDate": "2099-01-01T09:00",
        "notes": "Two boxes",
    }
    before = garage_order.events.count()
    response = garage_client.post(url(garage_order, "events/"), typed)
    assert response.status_code == 422
    page = response.content.decode()
    assert "has not happened yet" in " ".join(shown_messages(response))
    assert 'value="Front desk"' in page and 'value="Two boxes"' in page
    assert 'value="2099-01-01T09:00"' in page
    assert '<details class="event-form" open><summary>Product received' in page
    assert garage_order.events.count() == before


def test_a_refused_issue_keeps_its_description_and_cost(garage_client, make_order):
    order = make_order("in-progress")
    response = garage_client.post(url(order, "issues/"), {"description": "Worn belt", "cost": "-5"})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'value="Worn belt"' in page and 'value="-5"' in page
    assert FoundIssue.objects.count() == 0
