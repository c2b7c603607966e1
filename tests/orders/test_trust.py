"""Issue 15's order rules, on every face: work on one open order at most, events on an
order canceled after acceptance, servicer event dates, and a decided issue's notice read.

Uses the fleet of ``conftest.py``: the van at 10,000 km with its preset schedule, the
garage (depot repairs and scheduled maintenance) and the mobile mechanics (onsite).
"""

import json
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fleetmaint.errors import ValidationFailed
from fleetmaint.notifications import delivery
from fleetmaint.notifications.models import Channel, Message
from fleetmaint.orders import queries, quotes, servicers, services
from fleetmaint.orders.events import FUTURE_TOLERANCE
from fleetmaint.orders.models import OrderEvent, OrderStatus, Quote, ServiceOrder, ServiceType
from fleetmaint.orders.services import IllegalMove
from tests.orders.api_support import post_event
from tests.orders.conftest import NOW

pytestmark = pytest.mark.usefixtures("clock")


def post_json(client: Client, path: str, body: dict, **headers):
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def quote_for(make_quote, *work) -> Quote:
    intervals = tuple(w for w in work if hasattr(w, "service_at_mileage"))
    tasks = tuple(w for w in work if not hasattr(w, "service_at_mileage"))
    return make_quote(chosen_intervals=intervals, chosen_tasks=tasks)


# --- work is on one open order at most ------------------------------------------------


def test_a_second_quote_for_an_interval_is_refused_naming_the_first(make_quote, oil):
    first = quote_for(make_quote, oil)
    with pytest.raises(quotes.WorkTaken) as refused:
        quote_for(make_quote, oil)
    assert refused.value.message == (
        f"Oil Change is already on quote {first.pk}; accept or decline that quote "
        "(or let it expire) before asking again."
    )
    assert (refused.value.status, refused.value.code) == (409, "conflict")
    assert refused.value.field == "interval_ids"
    assert refused.value.holder.url == f"/quotes/{first.pk}/"
    assert Quote.objects.count() == 1


def test_a_second_quote_for_a_task_is_refused(make_quote, wipers, washer):
    first = quote_for(make_quote, wipers)
    with pytest.raises(quotes.WorkTaken, match=f"Replace wipers is already on quote {first.pk}"):
        quote_for(make_quote, washer, wipers)
    assert Quote.objects.count() == 1


def test_work_on_an_open_order_is_refused_naming_the_order(make_quote, oil, washer):
    order = quotes.quote_accept(quote=quote_for(make_quote, oil, washer))
    with pytest.raises(quotes.WorkTaken) as refused:
        quote_for(make_quote, washer, oil)
    assert refused.value.message == (
        f"Oil Change and Washer fluid are already on order {order.pk}; "
        "it is free again once that order is completed or canceled."
    )
    assert refused.value.holder.url == f"/orders/{order.pk}/"


def test_other_work_of_the_same_vehicle_is_quoted_freely(make_quote, oil, washer):
    quote_for(make_quote, oil)
    assert quote_for(make_quote, washer).intervals.get() == washer


@pytest.mark.parametrize("ending", ["declined", "expired", "order canceled"])
def test_work_is_free_again_once_its_quote_or_order_is_over(make_quote, oil, clock, ending):
    first = quote_for(make_quote, oil)
    if ending == "declined":
        quotes.quote_decline(quote=first)
    elif ending == "expired":
        clock.shift(timedelta(days=quotes.QUOTE_VALID_DAYS, seconds=1))
    else:
        order = quotes.quote_accept(quote=first)
        services.order_set_status(order=order, status=OrderStatus.CANCELED, reason="Sold")
    assert quote_for(make_quote, oil).pk != first.pk


def test_a_completed_order_leaves_the_next_interval_free(make_quote, oil, van):
    order = quotes.quote_accept(quote=quote_for(make_quote, oil))
    for step in (OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS, OrderStatus.COMPLETED):
        order = services.order_set_status(order=order, status=step)
    following = van.intervals.get(name="Oil Change", serviced_at=None)
    assert quote_for(make_quote, following).intervals.get() == following


def test_a_quote_from_before_the_rule_cannot_order_work_already_ordered(make_quote, oil):
    first = quote_for(make_quote, oil)
    older = make_quote()
    older.intervals.add(oil)  # as two quotes could hold it before the rule
    order = quotes.quote_accept(quote=first)
    with pytest.raises(quotes.WorkTaken, match=f"already on order {order.pk}"):
        quotes.quote_accept(quote=older)
    assert ServiceOrder.objects.count() == 1


def test_holders_of_a_page_of_rows_are_read_in_one_statement(org, make_quote, schedule, wipers):
    rows = list(schedule.values())
    quote = quote_for(make_quote, rows[0], wipers)
    order = quotes.quote_accept(quote=quote_for(make_quote, rows[1]))
    with CaptureQueriesContext(connection) as captured:
        queries.mark_work_holders(org, rows, [wipers])
    assert len(captured) == 1
    assert (rows[0].on_work.label, rows[1].on_work.label) == (
        f"quote {quote.pk}",
        f"order {order.pk}",
    )
    assert all(row.on_work is None for row in rows[2:])
    assert wipers.on_work.label == f"quote {quote.pk}"


def test_another_fleets_quotes_hold_nothing_here(other_org, make_quote, oil):
    quote_for(make_quote, oil)
    assert not queries.work_holders(other_org, [oil.pk], [])


def _at_once(count: int, work) -> tuple[list, list]:
    """Runs ``work`` in ``count`` threads released together; returns (results, errors)."""
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(work())
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs row-level concurrency"
)


@pytest.mark.django_db(transaction=True)
@on_postgres
def test_two_requests_at_once_for_the_same_work_make_one_quote(org, van, garage, oil):
    def ask():
        return quotes.quote_create(
            org=org,
            vehicle=van,
            servicer=garage,
            service_type=ServiceType.SCHEDULED_MAINTENANCE,
            items=[quotes.ItemRequest(code="oil-change")],
            interval_ids=[oil.pk],
        ).pk

    made, refused = _at_once(2, ask)
    assert len(made) == 1
    assert [type(e) for e in refused] == [quotes.WorkTaken]
    assert refused[0].holder.label == f"quote {made[0]}"
    assert Quote.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@on_postgres
def test_two_api_calls_at_once_make_one_quote_and_one_order(api_key, van, garage, oil):
    def ask():
        client = Client(headers={"Authorization": f"Bearer {api_key}"})
        body = {"vehicle_id": van.pk, "interval_ids": [oil.pk], "servicer_id": garage.pk}
        return post_json(client, "/api/v1/quotes", body)

    answers, errors = _at_once(2, ask)
    assert errors == []
    assert sorted(a.status_code for a in answers) == [201, 409]
    quote = Quote.objects.get()
    refusal = next(a for a in answers if a.status_code == 409).json()
    assert refusal["code"] == "conflict"
    assert f"quote {quote.pk}" in refusal["message"]

    def accept():
        client = Client(headers={"Authorization": f"Bearer {api_key}"})
        return client.post(f"/api/v1/quotes/{quote.pk}/accept")

    answers, errors = _at_once(2, accept)
    assert errors == []
    assert [a.status_code for a in answers] == [201, 201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert ServiceOrder.objects.count() == 1


def test_the_api_refuses_a_second_quote_with_409_naming_the_first(api, van, garage, oil):
    body = {"vehicle_id": van.pk, "interval_ids": [oil.pk], "servicer_id": garage.pk}
    first = post_json(api, "/api/v1/quotes", body)
    assert first.status_code == 201, first.content
    again = post_json(api, "/api/v1/quotes", body)
    assert again.status_code == 409
    assert again.json() == {
        "code": "conflict",
        "message": f"Oil Change is already on quote {first.json()['id']}; accept or decline "
        "that quote (or let it expire) before asking again.",
        "field": "interval_ids",
    }


def test_the_quote_page_refuses_taken_work_with_a_link_to_its_quote(
    advisor_client, make_quote, garage, oil
):
    first = quote_for(make_quote, oil)
    asked = advisor_client.get(f"/quotes/new/?interval={oil.pk}")
    text = asked.content.decode()
    assert f"Oil Change is already on quote {first.pk}" in text
    assert f'<a href="/quotes/{first.pk}/">Open quote {first.pk}</a>' in text
    posted = advisor_client.post(
        "/quotes/new/",
        {"interval": oil.pk, "servicer": garage.pk, "type": "scheduled_maintenance"},
    )
    assert posted.status_code == 422
    assert f'<a href="/quotes/{first.pk}/">Open quote {first.pk}</a>' in posted.content.decode()
    assert Quote.objects.count() == 1


def test_the_due_page_marks_quoted_and_ordered_work(advisor_client, make_quote, oil, washer):
    quote = quote_for(make_quote, oil)
    order = quotes.quote_accept(quote=quote_for(make_quote, washer))
    text = advisor_client.get("/due/").content.decode()
    assert f'href="/quotes/{quote.pk}/"' in text and f"on quote {quote.pk}</a>" in text
    assert f'href="/orders/{order.pk}/"' in text and f"on order {order.pk}</a>" in text


def test_the_task_list_marks_a_quoted_task(advisor_client, make_quote, wipers):
    quote = quote_for(make_quote, wipers)
    text = advisor_client.get("/tasks/").content.decode()
    assert f'href="/quotes/{quote.pk}/"' in text and f"on quote {quote.pk}</a>" in text


def test_the_vehicles_task_tab_marks_an_ordered_task(advisor_client, make_quote, van, wipers):
    order = quotes.quote_accept(quote=quote_for(make_quote, wipers))
    text = advisor_client.get(f"/vehicles/{van.pk}/tasks/").content.decode()
    assert f'href="/orders/{order.pk}/"' in text and f"on order {order.pk}</a>" in text
    assert "on quote" not in text  # the accepted quote holds it no longer


def test_the_schedule_marks_an_ordered_interval(advisor_client, make_quote, van, oil):
    order = quotes.quote_accept(quote=quote_for(make_quote, oil))
    text = advisor_client.get(f"/vehicles/{van.pk}/schedule/").content.decode()
    assert f'href="/orders/{order.pk}/"' in text and f"on order {order.pk}</a>" in text


# --- events on an order canceled after acceptance --------------------------------------


@pytest.fixture
def canceled(make_order):
    """A depot order the fleet canceled after the garage had accepted it."""
    order = make_order(OrderStatus.IN_PROGRESS)
    return services.order_set_status(
        order=order, status=OrderStatus.CANCELED, reason="Vehicle sold", by="fleet"
    )


@pytest.mark.parametrize(
    "body",
    [
        {"event": "product_delivered", "deliveredTo": "Front desk"},
        {"event": "repair_started"},
        {"event": "repair_completed"},
        {"event": "repair_eta", "isDelayed": True, "delayReason": "Part missing"},
        {"event": "vehicle_returned", "metadata": {"bay": 2}},
    ],
    ids=lambda body: body["event"],
)
def test_an_order_canceled_after_acceptance_takes_events_and_stays_canceled(canceled, body):
    eta = canceled.estimated_completion
    stored = post_event(canceled, dict(body))
    canceled.refresh_from_db()
    assert (stored.event, stored.status_after) == (body["event"], "canceled")
    assert (canceled.status, canceled.status_reason) == ("canceled", "Vehicle sold")
    assert canceled.estimated_completion == eta
    assert canceled.intervals.filter(serviced_at__isnull=False).count() == 0


def test_an_eta_on_a_canceled_order_does_not_move_its_estimate(canceled):
    eta = canceled.estimated_completion
    later = int((NOW + timedelta(days=3)).timestamp())
    post_event(canceled, {"event": "repair_eta", "estimatedRepairCompletionAt": later})
    canceled.refresh_from_db()
    assert canceled.estimated_completion == eta


def test_an_order_declined_while_pending_takes_no_events(make_order):
    order = make_order(OrderStatus.PENDING)
    order = services.order_accept(order=order, accepted=False, reason="Fully booked")
    with pytest.raises(IllegalMove) as refused:
        post_event(order, {"event": "product_received"})
    assert refused.value.message == (
        "Events are taken once the order is accepted and until it is closed; "
        "this one was canceled before it was accepted."
    )


def test_a_closed_order_takes_no_events(canceled):
    order = services.order_set_status(order=canceled, status=OrderStatus.CLOSED, by="fleet")
    with pytest.raises(IllegalMove, match="this one is closed"):
        post_event(order, {"event": "repair_completed"})


def test_update_repair_takes_an_event_on_a_canceled_order(canceled, garage):
    key = servicers.servicer_apikey_create(servicer=garage, name="k")[1]
    client = Client(headers={"Authorization": f"Bearer {key}"})
    answer = post_json(
        client,
        f"/service-orders/{canceled.pk}/update-repair",
        {"event": "product_delivered", "deliveredTo": "Owner"},
    )
    assert answer.status_code == 201, answer.content
    assert (answer.json()["event"], answer.json()["status"]) == ("product_delivered", "canceled")


def test_the_native_api_takes_an_event_on_a_canceled_order(canceled, garage):
    key = servicers.servicer_apikey_create(servicer=garage, name="k")[1]
    client = Client(headers={"Authorization": f"Bearer {key}"})
    answer = post_json(
        client, f"/api/v1/orders/{canceled.pk}/events", {"event": "repair_completed"}
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["status"] == "canceled"


def test_the_portal_offers_and_takes_events_on_a_canceled_order(garage_client, canceled):
    page = garage_client.get(f"/portal/orders/{canceled.pk}/").content.decode()
    assert "Post an event" in page
    assert "events are still recorded until the fleet closes it" in page
    garage_client.post(
        f"/portal/orders/{canceled.pk}/events/",
        {"event": "product_delivered", "deliveredTo": "Owner"},
    )
    assert canceled.events.filter(event="product_delivered", status_after="canceled").exists()


# --- servicer event dates --------------------------------------------------------------


def _stamp(moment) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture
def depot(make_order):
    return make_order(OrderStatus.ACCEPTED)


def test_a_date_just_within_the_tolerance_is_taken(depot):
    moment = NOW + FUTURE_TOLERANCE
    stored = post_event(depot, {"event": "repair_started", "repairStartedAt": _stamp(moment)})
    assert (stored.event_date, stored.date_received) == (moment, False)


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ("product_received", "receptionDate"),
        ("product_delivered", "deliveredDate"),
        ("product_diagnosed", "diagnosticCompletedAt"),
        ("repair_started", "repairStartedAt"),
        ("repair_completed", "repairCompletedAt"),
        ("tow_truck_called", "eventDate"),
    ],
)
def test_a_date_of_what_happened_past_the_tolerance_is_refused(depot, event, field):
    moment = NOW + FUTURE_TOLERANCE + timedelta(minutes=1)
    with pytest.raises(ValidationFailed) as refused:
        post_event(depot, {"event": event, field: _stamp(moment)})
    assert refused.value.field == field
    assert refused.value.message == (
        f"{field} is 2030-06-15 10:16 UTC, which has not happened yet: a date of something "
        "that happened may be at most 15 minutes ahead of the current time."
    )
    assert not OrderEvent.objects.filter(order=depot, kind__in=["depot", "other"]).exists()
    depot.refresh_from_db()
    assert depot.status == OrderStatus.ACCEPTED


def test_dates_about_the_future_are_taken(depot, make_order):
    far = _stamp(NOW + timedelta(days=30))
    post_event(depot, {"event": "repair_eta", "estimatedRepairCompletionAt": far})
    onsite = make_order(OrderStatus.ACCEPTED, onsite=True)
    for body in (
        {"event": "appointment_scheduling", "appointmentDate": far},
        {"event": "batched", "availabilityWindows": [far, far + 3_600_000]},
        {"event": "customer_contact", "appointmentTimestamps": [far]},
    ):
        post_event(onsite, body)
    assert onsite.events.filter(kind="onsite").count() == 3


def test_repair_started_without_a_time_takes_the_time_it_was_received(depot, advisor_client):
    stored = post_event(depot, {"event": "repair_started"})
    assert (stored.event_date, stored.date_received) == (NOW, True)
    assert stored.body == {"event": "repair_started"}  # what the servicer sent, untouched
    page = advisor_client.get(f"/orders/{depot.pk}/").content.decode()
    assert "received at 2030-06-15 12:00" in page  # Berlin


def test_update_repair_refuses_a_future_date_in_the_native_envelope(depot, garage):
    key = servicers.servicer_apikey_create(servicer=garage, name="k")[1]
    client = Client(headers={"X-Extend-Access-Token": key})
    moment = NOW + timedelta(days=1)
    answer = post_json(
        client,
        f"/service-orders/{depot.pk}/update-repair",
        {"event": "product_diagnosed", "diagnosticCompletedAt": _stamp(moment)},
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "code": "invalid",
        "message": "diagnosticCompletedAt is 2030-06-16 10:00 UTC, which has not happened yet: "
        "a date of something that happened may be at most 15 minutes ahead of the current time.",
        "field": "diagnosticCompletedAt",
    }


def test_the_api_refuses_a_future_date_and_says_when_a_date_was_received(depot, garage):
    key = servicers.servicer_apikey_create(servicer=garage, name="k")[1]
    client = Client(headers={"Authorization": f"Bearer {key}"})
    path = f"/api/v1/orders/{depot.pk}/events"
    future = {"event": "repair_completed", "repairCompletedAt": _stamp(NOW + timedelta(hours=1))}
    refused = post_json(client, path, future)
    assert (refused.status_code, refused.json()["field"]) == (400, "repairCompletedAt")
    taken = post_json(client, path, {"event": "repair_started"})
    assert taken.status_code == 201, taken.content
    assert (taken.json()["eventDate"], taken.json()["eventDateReceived"]) == (
        "2030-06-15T10:00:00Z",
        True,
    )


def test_the_portal_refuses_a_future_time_in_the_fleets_zone(garage_client, depot):
    response = garage_client.post(
        f"/portal/orders/{depot.pk}/events/",
        {"event": "repair_started", "repairStartedAt": "2030-06-15T13:00"},
        follow=True,
    )
    assert "Repair started at is 2030-06-15 13:00 CEST, which has not happened yet" in (
        response.content.decode()
    )
    assert not depot.events.filter(event="repair_started").exists()


# --- a decided issue's notice is read for everyone ---------------------------------------


def _awaiting_notices(order: ServiceOrder):
    return Message.objects.filter(
        channel=Channel.PUSH,
        event__subject__endswith="an issue needs your approval",
        event__link=f"/orders/{order.pk}/",
    )


@pytest.mark.parametrize("approve", [True, False], ids=["approved", "declined"])
def test_deciding_an_issue_marks_its_notice_read_for_everyone(make_order, advisors, approve):
    order = make_order(OrderStatus.IN_PROGRESS)
    issue = services.issue_report(order=order, description="Leaky hose", cost=Decimal("80"))
    other = services.issue_report(order=order, description="Cracked mirror", cost=Decimal("60"))
    delivery.deliver_due()
    notices = _awaiting_notices(order)
    assert notices.count() == 4  # two issues, two advisors
    assert notices.filter(read_at=None).count() == 4

    services.issue_decide(issue=issue, approve=approve, actor=advisors[0])

    decided = notices.filter(event__dedupe_key=f"issue:{issue.pk}:awaiting")
    assert decided.count() == 2
    assert decided.filter(read_at=None).count() == 0
    assert notices.filter(event__dedupe_key=f"issue:{other.pk}:awaiting", read_at=None).count() == 2


def test_an_issue_decided_before_its_notice_is_delivered_arrives_read(make_order, advisors):
    order = make_order(OrderStatus.IN_PROGRESS)
    issue = services.issue_report(order=order, description="Leaky hose", cost=Decimal("80"))
    services.issue_decide(issue=issue, approve=True)
    delivery.deliver_due()
    notices = _awaiting_notices(order)
    assert notices.count() == 2
    assert notices.filter(read_at=None).count() == 0


def test_approving_over_the_api_marks_the_notice_read(api, make_order, advisors):
    order = make_order(OrderStatus.IN_PROGRESS)
    issue = services.issue_report(order=order, description="Leaky hose", cost=Decimal("80"))
    delivery.deliver_due()
    answer = api.post(f"/api/v1/orders/{order.pk}/issues/{issue.pk}/approve")
    assert answer.status_code == 200, answer.content
    assert _awaiting_notices(order).filter(read_at=None).count() == 0
