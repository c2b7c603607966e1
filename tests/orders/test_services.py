"""The rules of quotes and service orders (seeds 000 and 001), through the services."""

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from standardwebhooks import Webhook

from fleetmaint.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.notifications import delivery
from fleetmaint.notifications import services as notifications
from fleetmaint.notifications.models import Event
from fleetmaint.orders import queries, quotes, servicers, services
from fleetmaint.orders.events import MOMENT_EVENTS
from fleetmaint.orders.models import (
    FoundIssue,
    IssueStatus,
    OrderEvent,
    OrderItem,
    OrderStatus,
    Quote,
    QuoteStatus,
    ServiceOrder,
    ServiceType,
)
from fleetmaint.orders.quotes import ItemRequest
from fleetmaint.orders.services import IllegalMove
from fleetmaint.tasks.models import ServiceTask
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Reading
from tests.orders.api_support import post_event
from tests.orders.conftest import NOW

pytestmark = pytest.mark.usefixtures("clock")

TS = int(datetime(2030, 6, 15, 9, 0, tzinfo=UTC).timestamp())  # seconds, an hour ago
WHEN = datetime(2030, 6, 15, 9, 0, tzinfo=UTC)
STATUSES = [s.value for s in OrderStatus]
# Seed 000: which status may follow which.
LEGAL = {
    ("pending", "accepted"),
    ("pending", "canceled"),
    ("accepted", "in-progress"),
    ("accepted", "delayed"),
    ("accepted", "completed"),
    ("accepted", "canceled"),
    ("in-progress", "delayed"),
    ("in-progress", "completed"),
    ("in-progress", "canceled"),
    ("delayed", "in-progress"),
    ("delayed", "completed"),
    ("delayed", "canceled"),
    ("completed", "closed"),
    ("canceled", "closed"),
}
# Seed 001: the listed events, their fields and types.
DEPOT = {
    "product_received": {"receivedBy": "string", "receptionDate": "number"},
    "product_delivered": {"deliveredTo": "string", "deliveredDate": "number"},
    "product_diagnosed": {
        "diagnosedBy": "string",
        "diagnosticExplanation": "string",
        "diagnosticCompletedAt": "number",
    },
    "repair_eta": {
        "estimatedRepairCompletionAt": "number",
        "isDelayed": "boolean",
        "delayReason": "string",
    },
    "repair_started": {"repairStartedAt": "number"},
    "repair_completed": {"repairCompletedAt": "number"},
}
ONSITE = {
    "part_management": {"partManagementEventType": "string"},
    "appointment_scheduling": {"appointmentEventType": "string", "appointmentDate": "number"},
    "customer_contact": {
        "customerContactEventType": "string",
        "method": "string",
        "contactTimestamp": "number",
        "appointmentTimestamps": "number[]",
    },
    "batched": {"availabilityWindows": "number[]"},
    "resolved": {"resolutionType": "string", "reason": "string"},
}
OTHER = {"eventDate": "number", "metadata": "object"}
VALID = {
    "string": "Front desk",
    "number": TS,
    "boolean": False,
    "number[]": [TS, TS + 3600],
    "object": {"bay": 3, "lift": "B"},
}
WRONG = {
    "string": [42, True, {"name": "x"}],
    "number": ["2030-06-16", True, [TS]],
    "boolean": ["true", 1, 0],
    "number[]": [TS, "soon", [TS, "soon"], [True]],
    "object": ["bay 3", [1, 2], 7],
}


def every_event():
    for name, fields in DEPOT.items():
        yield pytest.param(False, name, fields, id=name)
    for name, fields in ONSITE.items():
        yield pytest.param(True, name, fields, id=name)


def every_wrong_field():
    for onsite, events in ((False, DEPOT), (True, ONSITE)):
        for name, fields in events.items():
            for field, kind in fields.items():
                for number, value in enumerate(WRONG[kind]):
                    yield pytest.param(onsite, name, field, value, id=f"{name}.{field}-{number}")


def valid_body(name: str, fields: dict[str, str]) -> dict:
    return {"event": name, **{field: VALID[kind] for field, kind in fields.items()}}


def deliver() -> int:
    return delivery.deliver_due()


def timeline(order: ServiceOrder) -> list[tuple[str, str]]:
    return list(order.events.order_by("id").values_list("event", "status_after"))


def fresh(order: ServiceOrder) -> ServiceOrder:
    return ServiceOrder.objects.select_related("vehicle", "servicer", "org").get(pk=order.pk)


# --- quotes ---------------------------------------------------------------------------


def test_a_quote_is_priced_from_the_servicers_catalogue(org, van, garage, oil):
    quote = quotes.quote_create(
        org=org,
        vehicle=van,
        servicer=garage,
        service_type=ServiceType.SCHEDULED_MAINTENANCE,
        items=[ItemRequest("oil-change"), ItemRequest("brake-pads", quantity=2)],
        pre_authorized=Decimal("150"),
        interval_ids=[oil.pk],
    )

    lines = list(quote.items.values_list("code", "name", "quantity", "unit_price", "total"))
    assert lines == [
        ("oil-change", "Oil change, 5W-30", 1, Decimal("89.00"), Decimal("89.00")),
        ("brake-pads", "Brake pads, front axle", 2, Decimal("220.50"), Decimal("441.00")),
    ]
    assert quote.total == Decimal("530.00")
    assert quote.estimated_minutes == 45 + 2 * 90
    assert quote.pre_authorized == Decimal("150.00")
    assert quote.status == QuoteStatus.PENDING
    assert quote.service_type == "scheduled_maintenance"
    assert quote.valid_until == NOW + timedelta(days=14)
    assert list(quote.intervals.all()) == [oil]


def test_an_unknown_code_is_refused_and_nothing_is_quoted(make_quote):
    with pytest.raises(ValidationFailed, match="Bay Garage does not offer 'teleport'") as caught:
        make_quote(codes=("oil-change", "teleport"))
    assert caught.value.field == "items"
    assert Quote.objects.count() == 0
    assert OrderItem.objects.count() == 0


def test_work_asked_for_by_name_is_quoted_on_inspection(org, van, garage):
    quote = quotes.quote_create(
        org=org,
        vehicle=van,
        servicer=garage,
        service_type=ServiceType.REPAIR_DEPOT,
        items=[ItemRequest("oil-change"), ItemRequest("rattle", name="Rattle in the dashboard")],
    )
    lines = list(quote.items.values_list("code", "name", "unit_price"))
    assert lines[1] == ("rattle", "Rattle in the dashboard", Decimal("0.00"))
    assert quote.total == Decimal("89.00")


@pytest.mark.parametrize("quantity", [0, -1, 1001])
def test_a_quantity_out_of_range_is_refused(org, van, garage, quantity):
    with pytest.raises(ValidationFailed, match="quantity must be between 1 and 1000"):
        quotes.quote_create(
            org=org,
            vehicle=van,
            servicer=garage,
            service_type=ServiceType.REPAIR_DEPOT,
            items=[ItemRequest("oil-change", quantity=quantity)],
        )


def test_a_quote_needs_at_least_one_item(org, van, garage):
    with pytest.raises(ValidationFailed, match="at least one item"):
        quotes.quote_create(
            org=org, vehicle=van, servicer=garage, service_type=ServiceType.REPAIR_DEPOT, items=[]
        )


@pytest.mark.parametrize(
    ("servicer_name", "service_type", "message"),
    [
        ("garage", ServiceType.REPAIR_ONSITE, "Bay Garage does not offer repair onsite."),
        (
            "mobile",
            ServiceType.SCHEDULED_MAINTENANCE,
            "RoadReady Mobile does not offer scheduled maintenance",
        ),
        ("mobile", ServiceType.REPAIR_DEPOT, "RoadReady Mobile does not offer repair depot"),
    ],
)
def test_a_service_type_the_servicer_does_not_offer_is_refused(
    request, org, van, servicer_name, service_type, message
):
    servicer = request.getfixturevalue(servicer_name)
    with pytest.raises(ValidationFailed, match=message) as caught:
        quotes.quote_create(
            org=org,
            vehicle=van,
            servicer=servicer,
            service_type=service_type,
            items=[ItemRequest("oil-change")],
        )
    assert caught.value.field == "type"
    assert Quote.objects.count() == 0


@pytest.mark.parametrize(
    "spelling", ["scheduled-maintenance", "scheduled_maintenance", "SCHEDULED-MAINTENANCE"]
)
def test_the_seeds_type_names_are_understood(spelling):
    assert ServiceType.named(spelling) == ServiceType.SCHEDULED_MAINTENANCE


@pytest.mark.parametrize("name", ["teleportation", "", "repair depot"])
def test_other_type_names_are_not_types(name):
    assert ServiceType.named(name) is None


def test_a_servicer_the_fleet_does_not_work_with_is_not_found(org, garage, stranger):
    assert queries.servicer_for(org, garage.pk) == garage
    with pytest.raises(NotFound, match=re.escape("This fleet does not work with that servicer.")):
        queries.servicer_for(org, stranger.pk)


def test_a_servicer_the_fleet_stopped_working_with_is_not_found(org, garage):
    servicers.partnership_set(org=org, servicer=garage, active=False)
    with pytest.raises(NotFound):
        queries.servicer_for(org, garage.pk)


def test_a_fleet_cannot_start_with_a_servicer_closed_to_new_fleets(org, closed_shop, stranger):
    with pytest.raises(PermissionDenied, match=r"Private Fleet Works is not taking new fleets\."):
        servicers.partnership_set(org=org, servicer=closed_shop, active=True)
    assert list(queries.servicers_for(org)) == []
    servicers.partnership_set(org=org, servicer=stranger, active=True)
    assert list(queries.servicers_for(org)) == [stranger]


def test_an_inactive_servicer_is_not_offered(org, garage):
    garage.active = False
    garage.save()
    assert list(queries.servicers_for(org)) == []
    with pytest.raises(NotFound):
        queries.servicer_for(org, garage.pk)


def test_a_quote_from_a_servicer_the_fleet_does_not_work_with_is_refused(org, van, stranger):
    with pytest.raises(NotFound, match="does not work with"):
        quotes.quote_create(
            org=org,
            vehicle=van,
            servicer=stranger,
            service_type=ServiceType.SCHEDULED_MAINTENANCE,
            items=[ItemRequest("oil-change")],
        )
    assert Quote.objects.count() == 0


def test_a_quote_for_another_fleets_vehicle_is_refused(org, other_org, garage):
    theirs = vehicles.vehicle_create(org=other_org, label="Their van", vehicle_key="THEIRS")
    with pytest.raises(NotFound, match=re.escape("Vehicle not found.")):
        quotes.quote_create(
            org=org,
            vehicle=theirs,
            servicer=garage,
            service_type=ServiceType.REPAIR_DEPOT,
            items=[ItemRequest("oil-change")],
        )


def test_intervals_and_tasks_must_be_open_and_on_the_quoted_vehicle(
    org, van, truck, garage, oil, wipers, make_quote
):
    trucks_interval = ServiceInterval.objects.create(
        org=org, vehicle=truck, name="Oil Change", service_at_mileage=60_000
    )
    with pytest.raises(ValidationFailed, match="must be open and belong to the vehicle"):
        make_quote(chosen_intervals=(oil, trucks_interval))
    services_done = quotes.quote_accept(quote=make_quote(chosen_tasks=(wipers,)))
    services.order_set_status(order=services_done, status="accepted")
    services.order_set_status(order=services_done, status="completed")
    with pytest.raises(ValidationFailed, match="must be open"):
        make_quote(chosen_tasks=(wipers,))  # done now


def test_due_work_is_matched_to_the_catalogue_by_name(org, van, garage, schedule, wipers):
    chosen = [schedule["Oil Change"], schedule["Tire Rotation"]]
    requests = quotes.items_for_due_work(chosen, [wipers])
    assert [(r.code, r.name) for r in requests] == [
        ("oil-change", "Oil Change"),
        ("tire-rotation", "Tire Rotation"),
        ("replace-wipers", "Replace wipers"),
    ]

    quote = quotes.quote_create(
        org=org,
        vehicle=van,
        servicer=garage,
        service_type=ServiceType.SCHEDULED_MAINTENANCE,
        items=requests,
        interval_ids=[i.pk for i in chosen],
        task_ids=[wipers.pk],
    )
    lines = list(quote.items.values_list("code", "name", "unit_price"))
    assert lines == [
        ("oil-change", "Oil change, 5W-30", Decimal("89.00")),
        ("tire-rotation", "Tire rotation", Decimal("40.00")),
        ("replace-wipers", "Replace wipers", Decimal("0.00")),  # priced on inspection
    ]
    assert quote.total == Decimal("129.00")


def test_the_same_work_twice_is_asked_for_once(garage, van, oil):
    twin = ServiceInterval(name="Oil Change")
    assert [r.code for r in quotes.items_for_due_work([oil, twin], [])] == ["oil-change"]


def test_accepting_a_quote_places_exactly_one_order_even_when_clicked_twice(make_quote, oil):
    quote = make_quote(codes=("oil-change", "tire-rotation"), chosen_intervals=(oil,))
    first = quotes.quote_accept(quote=quote)
    second = quotes.quote_accept(quote=quote)  # the same stale object, as a double click sends

    assert first.pk == second.pk
    assert ServiceOrder.objects.count() == 1
    order = fresh(first)
    assert order.status == OrderStatus.PENDING
    assert order.quote == quote
    assert [i.code for i in order.items.all()] == ["oil-change", "tire-rotation"]
    assert list(order.intervals.all()) == [oil]
    assert order.estimated_completion == NOW + timedelta(minutes=75)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED
    assert Event.objects.filter(name="service.created").count() == 1
    assert timeline(order) == [("order_placed", "pending")]


def test_an_expired_quote_is_refused_and_marked_expired(make_quote, clock):
    quote = make_quote()
    clock.move_to(quote.valid_until + timedelta(seconds=1))

    with pytest.raises(Conflict, match=re.escape("This quote has expired; ask for a new one.")):
        quotes.quote_accept(quote=quote)
    assert ServiceOrder.objects.count() == 0
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.EXPIRED
    with pytest.raises(Conflict, match=re.escape("This quote is expired.")):
        quotes.quote_accept(quote=quote)


def test_a_quote_is_good_until_its_last_moment(make_quote, clock):
    quote = make_quote()
    clock.move_to(quote.valid_until)
    assert quotes.quote_accept(quote=quote).status == OrderStatus.PENDING


def test_a_declined_quote_places_no_order(make_quote):
    quote = make_quote()
    quotes.quote_decline(quote=quote)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DECLINED

    with pytest.raises(Conflict, match=re.escape("This quote is declined.")):
        quotes.quote_accept(quote=quote)
    with pytest.raises(Conflict, match="already declined"):
        quotes.quote_decline(quote=quote)
    assert ServiceOrder.objects.count() == 0


def test_an_accepted_quote_cannot_be_declined(make_quote):
    quote = make_quote()
    quotes.quote_accept(quote=quote)
    quote.refresh_from_db()
    with pytest.raises(Conflict, match="already accepted"):
        quotes.quote_decline(quote=quote)


def test_a_quote_of_another_fleet_is_not_found(make_quote, other_org):
    quote = make_quote()
    with pytest.raises(NotFound):
        queries.quote_for(other_org, quote.pk)


# --- progression ----------------------------------------------------------------------


def test_the_typical_progression(make_order, garage_staff, advisor, clock):
    order = make_order()
    services.order_accept(order=order, actor=garage_staff)
    assert fresh(order).accepted_at == NOW
    services.order_set_status(order=order, status="in-progress", actor=garage_staff)
    clock.shift(timedelta(hours=2))
    services.order_set_status(order=order, status="completed", actor=garage_staff)
    order = fresh(order)
    assert order.completed_at == NOW + timedelta(hours=2)
    services.order_set_status(order=order, status="closed", actor=advisor)

    order = fresh(order)
    assert order.status == OrderStatus.CLOSED
    assert timeline(order) == [
        ("order_placed", "pending"),
        ("status_accepted", "accepted"),
        ("status_in_progress", "in-progress"),
        ("status_completed", "completed"),
        ("status_closed", "closed"),
    ]
    assert order.events.get(event="status_closed").by_user == advisor
    assert order.version == 5


def test_an_auto_accepting_servicer_accepts_at_once(make_order):
    order = make_order(onsite=True)
    assert order.status == OrderStatus.ACCEPTED
    assert order.accepted_at == NOW
    assert timeline(order) == [("order_placed", "pending"), ("status_accepted", "accepted")]
    assert order.events.get(event="status_accepted").notes == "Accepted automatically."


def test_accepting_twice_changes_nothing(make_order):
    order = make_order()
    services.order_accept(order=order)
    version = fresh(order).version
    services.order_accept(order=order)
    assert fresh(order).version == version
    assert order.events.filter(event="status_accepted").count() == 1


def test_a_servicer_declines_with_a_reason_which_cancels_the_order(make_order, garage_staff):
    order = make_order()
    with pytest.raises(ValidationFailed, match=re.escape("Say why.")):
        services.order_accept(order=order, accepted=False, reason="  ")
    assert fresh(order).status == OrderStatus.PENDING

    services.order_accept(order=order, accepted=False, reason="No lift free.", actor=garage_staff)
    order = fresh(order)
    assert (order.status, order.status_reason) == (OrderStatus.CANCELED, "No lift free.")


@pytest.mark.parametrize("status", ["accepted", "in-progress", "completed", "closed"])
def test_only_a_pending_order_is_accepted_or_declined(make_order, status):
    order = make_order(status)
    if status != "accepted":
        with pytest.raises(
            IllegalMove, match=f"Only a pending order can be accepted; this one is {status}."
        ):
            services.order_accept(order=order)
    with pytest.raises(IllegalMove, match="Only a pending order can be declined"):
        services.order_accept(order=order, accepted=False, reason="No.")
    assert fresh(order).status == status


def test_a_delay_needs_a_reason_and_the_work_resumes(make_order):
    order = make_order("in-progress")
    with pytest.raises(ValidationFailed, match=re.escape("Say why.")) as caught:
        services.order_set_status(order=order, status="delayed")
    assert caught.value.field == "reason"
    assert fresh(order).status == OrderStatus.IN_PROGRESS

    services.order_set_status(order=order, status="delayed", reason="Waiting for parts.")
    order = fresh(order)
    assert (order.status, order.status_reason) == ("delayed", "Waiting for parts.")

    services.order_set_status(order=order, status="in-progress")
    order = fresh(order)
    assert (order.status, order.status_reason) == ("in-progress", "")
    assert timeline(order)[-2:] == [
        ("status_delayed", "delayed"),
        ("status_in_progress", "in-progress"),
    ]


@pytest.mark.parametrize("status", ["pending", "accepted", "in-progress", "delayed"])
@pytest.mark.parametrize("who", ["advisor", "garage_staff"])
def test_the_fleet_or_the_servicer_cancels_with_a_reason(request, make_order, status, who):
    actor = request.getfixturevalue(who)
    order = make_order(status)
    with pytest.raises(ValidationFailed, match=re.escape("Say why.")):
        services.order_set_status(order=order, status="canceled", actor=actor)

    services.order_set_status(order=order, status="canceled", reason="Van sold.", actor=actor)
    order = fresh(order)
    assert (order.status, order.status_reason) == ("canceled", "Van sold.")
    entry = order.events.get(event="status_canceled")
    assert (entry.notes, entry.by_user) == ("Van sold.", actor)


@pytest.mark.parametrize("status", ["completed", "canceled"])
def test_a_finished_order_is_closed(make_order, status):
    order = make_order(status)
    services.order_set_status(order=order, status="closed")
    assert fresh(order).status == OrderStatus.CLOSED


def test_a_reason_longer_than_500_characters_is_refused(make_order):
    order = make_order("in-progress")
    with pytest.raises(ValidationFailed, match="at most 500 characters"):
        services.order_set_status(order=order, status="delayed", reason="x" * 501)


@pytest.mark.parametrize("status", ["done", "", "IN-PROGRESS"])
def test_an_unknown_status_is_refused(make_order, status):
    with pytest.raises(ValidationFailed, match="Unknown status"):
        services.order_set_status(order=make_order("accepted"), status=status)


@pytest.mark.parametrize("target", STATUSES)
@pytest.mark.parametrize("current", STATUSES)
def test_every_move_is_allowed_or_refused_by_the_seeds_progression(make_order, current, target):
    order = make_order(current)
    before = (order.status, order.version, order.events.count())

    if (current, target) in LEGAL:
        services.order_set_status(order=order, status=target, reason="Because.")
        assert fresh(order).status == target
        return
    with pytest.raises(IllegalMove) as caught:
        services.order_set_status(order=order, status=target, reason="Because.")
    message = caught.value.message
    verb = "be completed" if target == "completed" else f"become {target}"
    assert message == f"An order that is {current} cannot {verb}."
    assert caught.value.field == "status"
    order = fresh(order)
    assert (order.status, order.version, order.events.count()) == before


def test_a_closed_order_takes_no_events(make_order):
    order = make_order("closed")
    with pytest.raises(IllegalMove, match="until it is closed; this one is closed"):
        post_event(order, {"event": "repair_started"})
    assert not order.events.filter(event="repair_started").exists()


# --- found issues -----------------------------------------------------------------------


@pytest.fixture
def working(make_order):
    """An order in progress with 100.00 pre-authorised for issues found."""
    return make_order("in-progress", pre_authorized=Decimal("100.00"))


def issue_items(order: ServiceOrder) -> list[tuple[str, Decimal]]:
    return list(order.items.filter(source="issue").values_list("name", "total"))


def test_an_issue_at_exactly_the_remaining_amount_is_authorized_at_once(working, smtp, advisors):
    issue = services.issue_report(order=working, description="Worn belt", cost=Decimal("100.00"))
    assert issue.status == IssueStatus.AUTHORIZED
    assert issue_items(working) == [("Worn belt", Decimal("100.00"))]
    assert working.items.get(source="issue").code == "found-issue"
    assert queries.authorized_spend(working) == Decimal("100.00")
    deliver()
    assert smtp.received == []  # nothing to decide, nobody is e-mailed


def test_an_issue_one_cent_over_waits_for_approval_and_emails_the_advisors(
    working, smtp, advisors, viewer
):
    issue = services.issue_report(order=working, description="Leaky hose", cost=Decimal("100.01"))
    assert issue.status == IssueStatus.AWAITING
    assert issue_items(working) == []
    assert queries.authorized_spend(working) == Decimal("0.00")

    deliver()
    subject = f"[Acme Logistics] Order {working.pk} for Van 1: an issue needs your approval"
    assert sorted(m["To"] for m in smtp.received) == ["alice@example.com", "bob@example.com"]
    assert {m["Subject"] for m in smtp.received} == {subject}
    assert smtp.to("victor@example.com") == []  # viewers are not told


def test_several_issues_consume_the_pre_authorised_amount(working):
    first = services.issue_report(order=working, description="Wiper blades", cost=Decimal("60"))
    too_much = services.issue_report(order=working, description="Battery", cost=Decimal("40.01"))
    rest = services.issue_report(order=working, description="Bulb", cost=Decimal("40.00"))
    nothing_left = services.issue_report(order=working, description="Fuse", cost=Decimal("0.01"))

    assert [i.status for i in (first, too_much, rest, nothing_left)] == [
        IssueStatus.AUTHORIZED,
        IssueStatus.AWAITING,
        IssueStatus.AUTHORIZED,
        IssueStatus.AWAITING,
    ]
    assert issue_items(working) == [
        ("Wiper blades", Decimal("60.00")),
        ("Bulb", Decimal("40.00")),
    ]
    assert queries.authorized_spend(working) == Decimal("100.00")
    notes = list(working.events.filter(event="issue_found").values_list("notes", flat=True))
    assert notes[1].startswith("Battery (40.01")
    assert notes[1].endswith("— awaiting approval")


def test_without_a_pre_authorised_amount_every_issue_waits(make_order):
    order = make_order("in-progress")
    issue = services.issue_report(
        order=order, description="Chip in the windscreen", cost=Decimal("5")
    )
    assert issue.status == IssueStatus.AWAITING


def test_issues_are_also_reported_while_delayed(make_order):
    order = make_order("delayed", pre_authorized=Decimal("10"))
    assert (
        services.issue_report(order=order, description="Bulb", cost=Decimal("3")).status
        == "authorized"
    )


@pytest.mark.parametrize("status", ["pending", "accepted", "completed", "canceled", "closed"])
def test_issues_are_reported_only_while_the_work_is_in_progress(make_order, status):
    order = make_order(status, pre_authorized=Decimal("100"))
    with pytest.raises(IllegalMove, match=f"while the work is in progress; this order is {status}"):
        services.issue_report(order=order, description="Bulb", cost=Decimal("3"))
    assert FoundIssue.objects.count() == 0


@pytest.mark.parametrize(
    ("description", "cost", "field"),
    [
        ("", Decimal("10"), "description"),
        ("   ", Decimal("10"), "description"),
        ("x" * 501, Decimal("10"), "description"),
        ("Bulb", Decimal("-1"), "cost"),
        ("Bulb", Decimal("NaN"), "cost"),
        ("Bulb", Decimal("10000000"), "cost"),
    ],
)
def test_an_invalid_issue_is_refused(working, description, cost, field):
    with pytest.raises(ValidationFailed) as caught:
        services.issue_report(order=working, description=description, cost=cost)
    assert caught.value.field == field
    assert FoundIssue.objects.count() == 0


def test_approving_an_issue_adds_its_item(working, advisor):
    issue = services.issue_report(order=working, description="Leaky hose", cost=Decimal("180"))
    decided = services.issue_decide(issue=issue, approve=True, actor=advisor)
    assert decided.status == IssueStatus.APPROVED
    assert (decided.decided_at, decided.decided_by) == (NOW, advisor)
    assert issue_items(working) == [("Leaky hose", Decimal("180.00"))]
    assert timeline(working)[-1] == ("issue_approved", "in-progress")


def test_an_approved_issue_leaves_the_pre_authorised_amount_alone(working):
    big = services.issue_report(order=working, description="Gearbox", cost=Decimal("900"))
    services.issue_decide(issue=big, approve=True)
    small = services.issue_report(order=working, description="Bulb", cost=Decimal("100"))
    assert small.status == IssueStatus.AUTHORIZED
    assert queries.authorized_spend(working) == Decimal("100.00")


def test_declining_an_issue_adds_nothing(working, advisor):
    issue = services.issue_report(order=working, description="Leaky hose", cost=Decimal("180"))
    decided = services.issue_decide(issue=issue, approve=False, actor=advisor)
    assert decided.status == IssueStatus.DECLINED
    assert issue_items(working) == []
    assert timeline(working)[-1] == ("issue_declined", "in-progress")


@pytest.mark.parametrize("first", [True, False])
@pytest.mark.parametrize("second", [True, False])
def test_an_issue_is_decided_once(working, first, second):
    issue = services.issue_report(order=working, description="Leaky hose", cost=Decimal("180"))
    services.issue_decide(issue=issue, approve=first)
    with pytest.raises(Conflict, match=r"This issue is already (approved|declined)\."):
        services.issue_decide(issue=issue, approve=second)
    assert len(issue_items(working)) == (1 if first else 0)


def test_an_issue_authorized_in_advance_needs_no_decision(working):
    issue = services.issue_report(order=working, description="Bulb", cost=Decimal("3"))
    with pytest.raises(Conflict, match="already authorized in advance"):
        services.issue_decide(issue=issue, approve=True)


def test_an_issue_of_a_canceled_order_is_not_decided(working):
    issue = services.issue_report(order=working, description="Leaky hose", cost=Decimal("180"))
    services.order_set_status(order=working, status="canceled", reason="Van sold.")
    with pytest.raises(IllegalMove, match=re.escape("The order is canceled.")):
        services.issue_decide(issue=issue, approve=True)
    issue.refresh_from_db()
    assert issue.status == IssueStatus.AWAITING


# --- servicer events ------------------------------------------------------------------


@pytest.fixture
def depot(make_order):
    return make_order("accepted", service_type=ServiceType.REPAIR_DEPOT)


@pytest.fixture
def onsite(make_order):
    return make_order(onsite=True)


def order_for(request, onsite: bool) -> ServiceOrder:
    return request.getfixturevalue("onsite" if onsite else "depot")


@pytest.mark.parametrize(("is_onsite", "name", "fields"), list(every_event()))
def test_every_listed_event_is_stored_with_its_typed_fields(request, is_onsite, name, fields):
    order = order_for(request, is_onsite)
    body = valid_body(name, fields)

    stored = post_event(order, body)

    assert stored.event == name
    assert stored.kind == ("onsite" if is_onsite else "depot")
    assert stored.body == body
    scalar_dates = [f for f, kind in fields.items() if kind == "number"]
    assert stored.event_date == (WHEN if scalar_dates else None)
    assert OrderEvent.objects.get(pk=stored.pk).body == body


@pytest.mark.parametrize(("is_onsite", "name", "field", "value"), list(every_wrong_field()))
def test_a_wrong_typed_field_is_refused(request, is_onsite, name, field, value):
    order = order_for(request, is_onsite)
    fields = (ONSITE if is_onsite else DEPOT)[name]
    body = {**valid_body(name, fields), field: value}
    before = order.events.count()

    with pytest.raises(ValidationFailed, match=f"{field} must be (a |an |true or false)") as caught:
        post_event(order, body)
    assert caught.value.field == field
    assert order.events.count() == before


@pytest.mark.parametrize(("is_onsite", "name", "fields"), list(every_event()))
def test_every_field_is_optional_except_the_event_name(request, is_onsite, name, fields):
    order = order_for(request, is_onsite)
    stored = post_event(order, {"event": name})
    assert stored.event == name
    if name in MOMENT_EVENTS:
        # About a moment, and sent without it: the moment it was received, said as such.
        assert (stored.event_date, stored.date_received) == (NOW, True)
    else:
        assert (stored.event_date, stored.date_received) == (None, False)


@pytest.mark.parametrize("name", list(ONSITE))
def test_onsite_events_are_refused_on_a_depot_order(depot, name):
    with pytest.raises(ValidationFailed, match=f"{name} is not an event for repair depot orders."):
        post_event(depot, {"event": name})
    assert not depot.events.filter(event=name).exists()


@pytest.mark.parametrize("name", list(DEPOT))
def test_depot_events_are_refused_on_an_onsite_order(onsite, name):
    with pytest.raises(ValidationFailed, match=f"{name} is not an event for repair onsite orders."):
        post_event(onsite, {"event": name})
    assert not onsite.events.filter(event=name).exists()


def test_scheduled_maintenance_takes_the_depot_events(make_order):
    order = make_order("accepted", service_type=ServiceType.SCHEDULED_MAINTENANCE)
    assert post_event(order, {"event": "product_received"}).kind == "depot"
    with pytest.raises(ValidationFailed, match="not an event for scheduled maintenance orders"):
        post_event(order, {"event": "resolved"})


@pytest.mark.parametrize("is_onsite", [False, True])
def test_other_events_carry_an_event_date_and_metadata(request, is_onsite):
    order = order_for(request, is_onsite)
    body = {"event": "tow_truck_called", "eventDate": TS, "metadata": {"bay": 3, "tags": ["a"]}}
    stored = post_event(order, body)
    assert (stored.kind, stored.event_date, stored.body) == ("other", WHEN, body)
    assert fresh(order).status == order.status  # other events do not move the order


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("eventDate", "yesterday"),
        ("eventDate", True),
        ("metadata", "bay 3"),
        ("metadata", [1, 2]),
        ("notes", 5),
    ],
)
def test_an_other_event_with_wrong_typed_fields_is_refused(depot, field, value):
    with pytest.raises(ValidationFailed, match=f"{field} must be a") as caught:
        post_event(depot, {"event": "tow_truck_called", field: value})
    assert caught.value.field == field


def test_any_event_may_carry_more_data_than_the_seed_lists(depot):
    body = {"event": "product_received", "receivedBy": "Front desk", "bayNumber": 4}
    assert post_event(depot, body).body == body


@pytest.mark.parametrize(
    ("is_onsite", "name"),
    [(False, n) for n in DEPOT] + [(True, n) for n in ONSITE] + [(False, "custom_event")],
)
def test_any_event_may_carry_notes(request, is_onsite, name):
    order = order_for(request, is_onsite)
    stored = post_event(order, {"event": name, "notes": "Called the driver."})
    assert stored.notes == "Called the driver."
    with pytest.raises(ValidationFailed, match=re.escape("notes must be a string.")):
        post_event(order, {"event": name, "notes": ["x"]})


@pytest.mark.parametrize(
    "body",
    [{}, {"event": ""}, {"event": "   "}, {"event": 5}, {"event": None}, {"receivedBy": "x"}],
)
def test_the_event_name_is_required(depot, body):
    with pytest.raises(
        ValidationFailed, match=re.escape("event is required and must be a string.")
    ) as caught:
        post_event(depot, body)
    assert caught.value.field == "event"


@pytest.mark.parametrize("body", [None, [], "repair_started", 5])
def test_the_body_must_be_an_object(depot, body):
    with pytest.raises(ValidationFailed, match=re.escape("The body must be a JSON object.")):
        post_event(depot, body)


def test_an_overlong_event_name_is_refused(depot):
    with pytest.raises(ValidationFailed, match="at most 80 characters"):
        post_event(depot, {"event": "x" * 81})


@pytest.mark.parametrize(
    ("field", "value"),
    [("receptionDate", TS), ("receptionDate", TS * 1000), ("receptionDate", TS + 0.5)],
    ids=["seconds", "milliseconds", "fractional-seconds"],
)
def test_timestamps_are_seconds_or_milliseconds(depot, field, value):
    stored = post_event(depot, {"event": "product_received", field: value})
    assert stored.event_date.replace(microsecond=0) == WHEN


def test_milliseconds_and_seconds_give_the_same_eta(depot):
    post_event(depot, {"event": "repair_eta", "estimatedRepairCompletionAt": TS})
    assert fresh(depot).estimated_completion == WHEN
    later = (TS + 3600) * 1000
    post_event(depot, {"event": "repair_eta", "estimatedRepairCompletionAt": later})
    assert fresh(depot).estimated_completion == WHEN + timedelta(hours=1)


@pytest.mark.parametrize("value", [10**20, -(10**20), float("inf")])
def test_an_impossible_timestamp_is_refused(depot, value):
    with pytest.raises(
        ValidationFailed, match=re.escape("receptionDate is not a valid timestamp.")
    ):
        post_event(depot, {"event": "product_received", "receptionDate": value})


def test_repair_started_puts_the_order_in_progress(depot, garage_staff):
    stored = post_event(
        depot, {"event": "repair_started", "repairStartedAt": TS}, actor=garage_staff
    )
    assert fresh(depot).status == OrderStatus.IN_PROGRESS
    assert stored.status_after == OrderStatus.IN_PROGRESS
    assert stored.by_user == garage_staff
    assert timeline(depot)[-2:] == [
        ("repair_started", "in-progress"),
        ("status_in_progress", "in-progress"),
    ]


def test_repair_started_resumes_a_delayed_order(make_order):
    order = make_order("delayed")
    post_event(order, {"event": "repair_started"})
    assert fresh(order).status == OrderStatus.IN_PROGRESS


@pytest.mark.parametrize("start", ["accepted", "in-progress", "delayed"])
def test_repair_completed_completes_the_order(make_order, start):
    order = make_order(start)
    stored = post_event(order, {"event": "repair_completed", "notes": "Done."})
    order = fresh(order)
    assert order.status == OrderStatus.COMPLETED
    assert order.completed_at == NOW
    assert stored.status_after == OrderStatus.COMPLETED
    assert order.events.get(event="status_completed").notes == "Done."


def test_resolved_completes_an_onsite_order(onsite):
    post_event(onsite, {"event": "resolved", "resolutionType": "fixed", "reason": "Fuse"})
    assert fresh(onsite).status == OrderStatus.COMPLETED


def test_a_delayed_eta_delays_the_order_with_its_reason(make_order):
    order = make_order("in-progress")
    post_event(
        order,
        {
            "event": "repair_eta",
            "estimatedRepairCompletionAt": TS,
            "isDelayed": True,
            "delayReason": "The part ships on Monday.",
        },
    )
    order = fresh(order)
    assert (order.status, order.status_reason) == ("delayed", "The part ships on Monday.")
    assert order.estimated_completion == WHEN


def test_a_delayed_eta_without_a_reason_still_says_delayed(make_order):
    order = make_order("in-progress")
    post_event(order, {"event": "repair_eta", "isDelayed": True})
    order = fresh(order)
    assert (order.status, order.status_reason) == ("delayed", "Delayed")


def test_an_eta_that_is_not_delayed_only_moves_the_estimate(make_order):
    order = make_order("in-progress")
    post_event(
        order,
        {"event": "repair_eta", "estimatedRepairCompletionAt": TS, "isDelayed": False},
    )
    order = fresh(order)
    assert (order.status, order.estimated_completion) == ("in-progress", WHEN)


def test_events_that_arrive_out_of_order_are_kept_without_illegal_moves(make_order):
    order = make_order("completed")
    late = [
        {"event": "repair_started", "repairStartedAt": TS},
        {"event": "repair_eta", "isDelayed": True, "delayReason": "Late news"},
        {"event": "repair_completed", "repairCompletedAt": TS},
        {"event": "product_received"},
    ]
    for body in late:
        stored = post_event(order, body)
        assert stored.status_after == OrderStatus.COMPLETED
    order = fresh(order)
    assert order.status == OrderStatus.COMPLETED
    assert order.events.filter(event__startswith="status_").count() == 3  # no new moves
    assert [e for e, _ in timeline(order)[-4:]] == [b["event"] for b in late]


def test_repair_completed_before_repair_started_completes_and_the_late_start_is_kept(depot):
    post_event(depot, {"event": "repair_completed"})
    post_event(depot, {"event": "repair_started"})
    assert fresh(depot).status == OrderStatus.COMPLETED


def test_a_pending_order_takes_no_events(make_order):
    order = make_order()
    with pytest.raises(IllegalMove, match="once the order is accepted"):
        post_event(order, {"event": "product_received"})
    assert not order.events.filter(event="product_received").exists()


# --- completion moves the schedule ----------------------------------------------------


def test_completion_services_the_intervals_and_finishes_the_tasks(
    make_order, van, oil, washer, wipers, garage_staff
):
    order = make_order("in-progress", chosen_intervals=(oil, washer), chosen_tasks=(wipers,))

    services.order_set_status(order=order, status="completed", odometer=12345, actor=garage_staff)

    order = fresh(order)
    assert (order.status, order.completion_odometer) == ("completed", 12_345)
    oil.refresh_from_db()
    washer.refresh_from_db()
    assert (oil.serviced_at, oil.serviced_odometer) == (NOW, 12_345)
    assert (washer.serviced_at, washer.serviced_odometer) == (NOW, 12_345)
    following = ServiceInterval.objects.get(vehicle=van, name="Oil Change", serviced_at=None)
    assert following.preset_id == oil.preset_id
    assert following.service_at_mileage == 12_345 + 15_000
    assert following.service_at_date.date() == datetime(2031, 6, 15).date()
    assert not ServiceInterval.objects.filter(name="Washer fluid", serviced_at=None).exists()
    wipers.refresh_from_db()
    assert (wipers.status, wipers.completion_mileage) == ("done", 12_345)
    van.refresh_from_db()
    assert van.odometer == 12_345
    reading = Reading.objects.filter(vehicle=van).latest("id")
    assert (reading.odometer, reading.source) == (12_345, "servicer")


def test_completion_without_an_odometer_uses_the_vehicles(make_order, van, oil, wipers):
    order = make_order("in-progress", chosen_intervals=(oil,), chosen_tasks=(wipers,))
    readings = Reading.objects.filter(vehicle=van).count()
    services.order_set_status(order=order, status="completed")
    assert fresh(order).completion_odometer == 10_000
    oil.refresh_from_db()
    wipers.refresh_from_db()
    assert (oil.serviced_odometer, wipers.completion_mileage) == (10_000, 10_000)
    assert Reading.objects.filter(vehicle=van).count() == readings


def test_an_odometer_not_above_the_vehicles_records_no_reading(make_order, van, oil):
    order = make_order("in-progress", chosen_intervals=(oil,))
    readings = Reading.objects.filter(vehicle=van).count()
    services.order_set_status(order=order, status="completed", odometer=10_000)
    assert Reading.objects.filter(vehicle=van).count() == readings
    assert fresh(order).completion_odometer == 10_000


def test_an_odometer_below_a_tasks_start_refuses_the_completion(make_order, van, wipers):
    order = make_order("in-progress", chosen_tasks=(wipers,))
    # Below the vehicle's current reading (10,000), which the message names.
    with pytest.raises(ValidationFailed, match="cannot go down: the previous reading was 10,000"):
        services.order_set_status(order=order, status="completed", odometer=9_000)
    assert fresh(order).status == OrderStatus.IN_PROGRESS
    wipers.refresh_from_db()
    assert wipers.status != "done"


@pytest.mark.parametrize("odometer", [-5, 2_000_000])
def test_an_invalid_odometer_is_refused(make_order, odometer):
    order = make_order("in-progress")
    with pytest.raises(ValidationFailed, match="odometer"):
        services.order_set_status(order=order, status="completed", odometer=odometer)
    assert fresh(order).status == OrderStatus.IN_PROGRESS


def test_an_interval_serviced_meanwhile_is_left_alone(make_order, van, oil, washer):
    order = make_order("in-progress", chosen_intervals=(oil, washer))
    from fleetmaint.intervals import services as intervals

    intervals.interval_mark_serviced(interval=washer, odometer=10_000)
    services.order_set_status(order=order, status="completed", odometer=11_000)
    washer.refresh_from_db()
    oil.refresh_from_db()
    assert (washer.serviced_odometer, oil.serviced_odometer) == (10_000, 11_000)


def test_a_task_done_meanwhile_is_left_alone(make_order, van, wipers):
    order = make_order("in-progress", chosen_tasks=(wipers,))
    from fleetmaint.tasks import services as tasks

    tasks.task_mark_done(task=wipers, odometer=10_500)
    services.order_set_status(order=order, status="completed", odometer=11_000)
    assert ServiceTask.objects.get(pk=wipers.pk).completion_mileage == 10_500


def test_completion_by_a_servicer_event_moves_the_schedule_too(make_order, oil):
    order = make_order("in-progress", chosen_intervals=(oil,))
    post_event(order, {"event": "repair_completed"})
    oil.refresh_from_db()
    assert oil.serviced_at == NOW


# --- webhooks and e-mails ---------------------------------------------------------------


def text_of(message) -> str:
    """The plain-text part of an e-mail, decoded."""
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode()


def received_hooks(httpserver, endpoint) -> list[dict]:
    """Every webhook the receiver got, verified with the endpoint's secret."""
    verifier = Webhook(endpoint.secret)
    return [
        verifier.verify(request.get_data(as_text=True), dict(request.headers))
        for request, _ in httpserver.log
    ]


def test_the_orders_life_reaches_a_real_receiver_as_signed_webhooks(
    make_quote, oil, hook, httpserver
):
    order = quotes.quote_accept(quote=make_quote(chosen_intervals=(oil,)))
    deliver()
    services.order_accept(order=order)
    deliver()
    post_event(order, {"event": "product_received", "receivedBy": "Desk"})
    deliver()
    services.order_set_status(order=order, status="completed", odometer=11_000)
    deliver()

    hooks = received_hooks(httpserver, hook)
    assert [(h["type"], h["data"]["order"]["status"]) for h in hooks] == [
        ("service.created", "pending"),
        ("service.updated", "accepted"),
        ("service.updated", "accepted"),
        ("service.completed", "completed"),
    ]
    created = hooks[0]["data"]["order"]
    assert created["id"] == order.pk
    assert created["servicer"] == {"id": order.servicer_id, "name": "Bay Garage"}
    assert created["items"] == [
        {"code": "oil-change", "name": "Oil change, 5W-30", "quantity": 1, "total": "89.00"}
    ]
    assert created["type"] == "scheduled_maintenance"
    ids = [request.headers["webhook-id"] for request, _ in httpserver.log]
    assert len(set(ids)) == 4


def test_a_forged_order_webhook_does_not_verify(make_order, hook, httpserver):
    make_order()
    deliver()
    request, _ = httpserver.log[0]
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + "B" * 32).verify(request.get_data(as_text=True), dict(request.headers))
    tampered = json.loads(request.get_data())
    tampered["data"]["order"]["status"] = "completed"
    with pytest.raises(Exception, match="signature"):
        Webhook(hook.secret).verify(json.dumps(tampered), dict(request.headers))


def test_an_endpoint_subscribed_to_completions_gets_only_them(make_order, org, httpserver):
    httpserver.expect_request("/done", method="POST").respond_with_data("ok")
    endpoint = notifications.webhook_create(
        org=org, url=httpserver.url_for("/done"), events=["service.completed"]
    )
    make_order("closed")
    deliver()
    assert [h["type"] for h in received_hooks(httpserver, endpoint)] == ["service.completed"]


def test_issues_and_their_decisions_are_told_as_updates(working, hook, httpserver):
    deliver()
    httpserver.clear_log()
    issue = services.issue_report(order=working, description="Leaky hose", cost=Decimal("150"))
    services.issue_decide(issue=issue, approve=True)
    deliver()
    hooks = received_hooks(httpserver, hook)
    assert [h["type"] for h in hooks] == ["service.updated", "service.updated"]
    totals = sorted(len(h["data"]["order"]["items"]) for h in hooks)
    assert totals == [1, 2]  # the approved issue became an item of the order


@pytest.mark.parametrize(
    ("status", "reason", "word"),
    [
        ("delayed", "Waiting for parts.", "delayed"),
        ("canceled", "Van sold.", "canceled"),
        ("completed", "", "completed"),
    ],
)
def test_the_advisors_are_emailed_when_an_order_is_delayed_canceled_or_completed(
    make_order, smtp, advisors, viewer, status, reason, word
):
    order = make_order("in-progress")
    deliver()
    assert smtp.received == []

    services.order_set_status(order=order, status=status, reason=reason)
    deliver()

    subject = f"[Acme Logistics] Order {order.pk} for Van 1: {word}"
    assert sorted(m["To"] for m in smtp.received) == ["alice@example.com", "bob@example.com"]
    assert {m["Subject"] for m in smtp.received} == {subject}
    if reason:
        assert reason in text_of(smtp.received[0])


def test_a_delay_from_a_servicer_event_is_emailed(make_order, smtp, advisors):
    order = make_order("in-progress")
    post_event(order, {"event": "repair_eta", "isDelayed": True, "delayReason": "No part"})
    deliver()
    assert {m["Subject"] for m in smtp.received} == {
        f"[Acme Logistics] Order {order.pk} for Van 1: delayed"
    }


def test_plain_updates_email_nobody_but_reach_the_webhook(
    make_quote, smtp, advisors, hook, httpserver
):
    order = quotes.quote_accept(quote=make_quote(pre_authorized=Decimal("50")))
    services.order_accept(order=order)
    services.order_set_status(order=order, status="in-progress")
    post_event(order, {"event": "product_diagnosed", "diagnosedBy": "Kim"})
    services.issue_report(order=order, description="Bulb", cost=Decimal("5"))
    deliver()

    assert smtp.received == []
    assert len(httpserver.log) == 5


def test_nothing_is_told_about_a_refused_move(make_order, hook, httpserver):
    order = make_order("closed")
    deliver()
    httpserver.clear_log()
    with pytest.raises(IllegalMove):
        services.order_set_status(order=order, status="in-progress")
    deliver()
    assert httpserver.log == []
