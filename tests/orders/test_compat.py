"""Servicer events in the wire format of seed 001: /service-orders/<id>/update-repair and
/accept-repair, as a servicer's integration sends them."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from fleetmaint.accounts import services as accounts
from fleetmaint.orders.models import OrderEvent, OrderStatus, ServiceOrder, Servicer, ServiceType
from fleetmaint.orders.models import ServicerApiKey as Key
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.orders.api_support import (
    assert_error,
    bearer,
    make_order,
    make_servicer,
    post,
    servicer_key,
)

NOW = datetime(2030, 6, 15, 10, 0, tzinfo=UTC)
SECONDS = 1_700_000_000  # 2023-11-14T22:13:20Z
MS = SECONDS * 1000
WHEN = datetime.fromtimestamp(SECONDS, tz=UTC)

# A valid body for every listed event of seed 001, dates in milliseconds.
DEPOT_BODIES = {
    "product_received": {"receivedBy": "Gus at the desk", "receptionDate": MS},
    "product_delivered": {"deliveredTo": "Driver Dana", "deliveredDate": MS},
    "product_diagnosed": {
        "diagnosedBy": "Tech Tom",
        "diagnosticExplanation": "Worn brake pads.",
        "diagnosticCompletedAt": MS,
    },
    "repair_eta": {
        "estimatedRepairCompletionAt": MS,
        "isDelayed": False,
        "delayReason": "",
    },
    "repair_started": {"repairStartedAt": MS},
    "repair_completed": {"repairCompletedAt": MS},
}
ONSITE_BODIES = {
    "part_management": {"partManagementEventType": "part_ordered"},
    "appointment_scheduling": {"appointmentEventType": "scheduled", "appointmentDate": MS},
    "customer_contact": {
        "customerContactEventType": "outbound",
        "method": "phone",
        "contactTimestamp": MS,
        "appointmentTimestamps": [MS, MS + 3_600_000],
    },
    "batched": {"availabilityWindows": [MS, MS + 7_200_000]},
    "resolved": {"resolutionType": "repaired", "reason": "Replaced the sensor."},
}
# The field of each event that dates it on the timeline.
DATED_BY = {
    "product_received": "receptionDate",
    "product_delivered": "deliveredDate",
    "product_diagnosed": "diagnosticCompletedAt",
    "repair_eta": "estimatedRepairCompletionAt",
    "repair_started": "repairStartedAt",
    "repair_completed": "repairCompletedAt",
    "appointment_scheduling": "appointmentDate",
    "customer_contact": "contactTimestamp",
}
# The status each event leaves an accepted order in.
STATUS_AFTER = {
    "repair_started": "in-progress",
    "repair_completed": "completed",
    "resolved": "completed",
}
# A value of the wrong type for every typed field.
WRONG = {"string": 5, "number": "soon", "boolean": "yes", "number[]": [MS, "later"], "object": []}
FIELD_TYPES = {
    "receivedBy": "string",
    "receptionDate": "number",
    "deliveredTo": "string",
    "deliveredDate": "number",
    "diagnosedBy": "string",
    "diagnosticExplanation": "string",
    "diagnosticCompletedAt": "number",
    "estimatedRepairCompletionAt": "number",
    "isDelayed": "boolean",
    "delayReason": "string",
    "repairStartedAt": "number",
    "repairCompletedAt": "number",
    "partManagementEventType": "string",
    "appointmentEventType": "string",
    "appointmentDate": "number",
    "customerContactEventType": "string",
    "method": "string",
    "contactTimestamp": "number",
    "appointmentTimestamps": "number[]",
    "availabilityWindows": "number[]",
    "resolutionType": "string",
    "reason": "string",
}
WRONG_FIELDS = [
    (event, name, WRONG[FIELD_TYPES[name]])
    for bodies in (DEPOT_BODIES, ONSITE_BODIES)
    for event, body in bodies.items()
    for name in body
] + [
    ("custom_checkin", "eventDate", "yesterday"),
    ("custom_checkin", "metadata", "plain text"),
    ("custom_checkin", "metadata", [1, 2]),
    ("repair_started", "notes", 5),
    ("resolved", "notes", ["a"]),
    ("customer_contact", "appointmentTimestamps", MS),
    ("batched", "availabilityWindows", [True]),
    ("repair_started", "repairStartedAt", True),
]


# --- personas -------------------------------------------------------------------------


@pytest.fixture
def api_depot_servicer(org) -> Servicer:
    return make_servicer(
        "Bay Garage",
        ["scheduled_maintenance", "repair_depot"],
        [("brake-pads", "Brake pads", "220.00", 90)],
        fleets=(org,),
    )


@pytest.fixture
def api_onsite_servicer(org) -> Servicer:
    return make_servicer(
        "RoadReady Mobile",
        ["repair_onsite"],
        [("diagnostics", "On-site diagnostics", "95.00", 60)],
        fleets=(org,),
    )


@pytest.fixture
def api_depot_key(api_depot_servicer) -> str:
    return servicer_key(api_depot_servicer)


@pytest.fixture
def api_onsite_key(api_onsite_servicer) -> str:
    return servicer_key(api_onsite_servicer)


@pytest.fixture
def api_van(org) -> Vehicle:
    return vehicles.vehicle_create(org=org, label="Van 9", vehicle_key="VAN-9")


@pytest.fixture
def api_depot_order(org, api_van, api_depot_servicer):
    def make(
        status: str = OrderStatus.ACCEPTED, service_type: ServiceType = ServiceType.REPAIR_DEPOT
    ):
        return make_order(
            status,
            org=org,
            vehicle=api_van,
            servicer=api_depot_servicer,
            service_type=service_type,
            code="brake-pads",
        )

    return make


@pytest.fixture
def api_onsite_order(org, api_van, api_onsite_servicer):
    def make(status: str = OrderStatus.ACCEPTED):
        return make_order(
            status,
            org=org,
            vehicle=api_van,
            servicer=api_onsite_servicer,
            service_type=ServiceType.REPAIR_ONSITE,
            code="diagnostics",
        )

    return make


@pytest.fixture
def api_depot(api_depot_key) -> Client:
    return bearer(api_depot_key)


@pytest.fixture
def api_onsite(api_onsite_key) -> Client:
    return bearer(api_onsite_key)


def update(client: Client, order: ServiceOrder, body: object, **extra):
    return post(client, f"/service-orders/{order.pk}/update-repair", body, **extra)


def accept(client: Client, order: ServiceOrder, body: object, **extra):
    return post(client, f"/service-orders/{order.pk}/accept-repair", body, **extra)


def fresh(order: ServiceOrder) -> ServiceOrder:
    return ServiceOrder.objects.get(pk=order.pk)


def servicer_events(order: ServiceOrder) -> list[OrderEvent]:
    return list(OrderEvent.objects.filter(order=order).exclude(kind="status"))


# --- update-repair: every event ---------------------------------------------------------


@pytest.mark.parametrize("event", list(DEPOT_BODIES))
def test_a_depot_order_takes_every_depot_event(api_depot, api_depot_order, event):
    order = api_depot_order()
    body = {"event": event, **DEPOT_BODIES[event], "notes": "Logged by the desk."}
    with time_machine.travel(NOW, tick=False):
        response = update(api_depot, order, body)
    assert response.status_code == 201, response.content
    stored = OrderEvent.objects.get(order=order, kind="depot")
    assert response.json() == {
        "id": stored.pk,
        **body,
        "createdAt": int(NOW.timestamp() * 1000),
        "status": STATUS_AFTER.get(event, "accepted"),
    }
    assert stored.event == event
    assert stored.body == body
    assert stored.notes == "Logged by the desk."
    assert stored.event_date == (WHEN if event in DATED_BY else None)
    assert fresh(order).status == STATUS_AFTER.get(event, "accepted")


@pytest.mark.parametrize("event", list(ONSITE_BODIES))
def test_an_onsite_order_takes_every_onsite_event(api_onsite, api_onsite_order, event):
    order = api_onsite_order()
    body = {"event": event, **ONSITE_BODIES[event]}
    response = update(api_onsite, order, body)
    assert response.status_code == 201, response.content
    answer = response.json()
    stored = OrderEvent.objects.get(order=order, kind="onsite")
    assert answer["id"] == stored.pk
    assert {k: answer[k] for k in body} == body
    assert answer["notes"] == ""
    assert answer["status"] == STATUS_AFTER.get(event, "accepted")
    assert stored.event_date == (WHEN if event in DATED_BY else None)
    assert fresh(order).status == STATUS_AFTER.get(event, "accepted")


@pytest.mark.parametrize("order_kind", ["depot", "onsite"])
def test_any_other_event_name_is_a_custom_event(
    api_depot, api_onsite, api_depot_order, api_onsite_order, order_kind
):
    client, order = (
        (api_depot, api_depot_order())
        if order_kind == "depot"
        else (api_onsite, api_onsite_order())
    )
    body = {
        "event": "custom_event_name_here",
        "eventDate": SECONDS,
        "metadata": {"bay": 4, "tags": ["a", "b"], "nested": {"ok": True}},
        "notes": "Anything goes.",
    }
    response = update(client, order, body)
    assert response.status_code == 201, response.content
    assert response.json()["metadata"] == body["metadata"]
    stored = OrderEvent.objects.get(order=order, event="custom_event_name_here")
    assert (stored.kind, stored.event_date) == ("other", WHEN)
    assert fresh(order).status == OrderStatus.ACCEPTED


def test_scheduled_maintenance_orders_take_the_depot_events(api_depot, api_depot_order):
    order = api_depot_order(service_type=ServiceType.SCHEDULED_MAINTENANCE)
    response = update(api_depot, order, {"event": "repair_started", "repairStartedAt": MS})
    assert response.status_code == 201, response.content
    assert fresh(order).status == OrderStatus.IN_PROGRESS
    assert_error(update(api_depot, order, {"event": "resolved"}), 400, "invalid", "event")


def test_every_field_is_optional_but_the_event_name(api_depot, api_depot_order):
    order = api_depot_order()
    for event in DEPOT_BODIES:
        if event not in STATUS_AFTER:
            assert update(api_depot, order, {"event": event}).status_code == 201
    assert len(servicer_events(order)) == len(DEPOT_BODIES) - 2


def test_fields_of_other_events_are_kept_as_sent(api_depot, api_depot_order):
    order = api_depot_order()
    body = {"event": "product_received", "receivedBy": "Gus", "extra": {"anything": [1, "x"]}}
    response = update(api_depot, order, body)
    assert response.status_code == 201
    assert response.json()["extra"] == {"anything": [1, "x"]}
    assert servicer_events(order)[0].body == body


def test_a_field_null_is_taken_as_absent(api_depot, api_depot_order):
    order = api_depot_order()
    with time_machine.travel(NOW, tick=False):
        response = update(api_depot, order, {"event": "repair_started", "repairStartedAt": None})
    assert response.status_code == 201, response.content
    stored = servicer_events(order)[0]
    # repair_started is about a moment: without it, the moment it was received
    assert (stored.event_date, stored.date_received) == (NOW, True)


# --- update-repair: refusals ------------------------------------------------------------


@pytest.mark.parametrize(("event", "field", "value"), WRONG_FIELDS)
def test_a_field_of_the_wrong_type_is_400(
    api_depot, api_onsite, api_depot_order, api_onsite_order, event, field, value
):
    client, order = (
        (api_onsite, api_onsite_order())
        if event in ONSITE_BODIES
        else (api_depot, api_depot_order())
    )
    body = {"event": event, **DEPOT_BODIES.get(event, ONSITE_BODIES.get(event, {})), field: value}
    error = assert_error(update(client, order, body), 400, "invalid", field)
    assert field in error["message"]
    assert not servicer_events(order)
    assert fresh(order).status == OrderStatus.ACCEPTED


@pytest.mark.parametrize("event", list(ONSITE_BODIES))
def test_a_depot_order_refuses_the_onsite_events(api_depot, api_depot_order, event):
    order = api_depot_order()
    response = update(api_depot, order, {"event": event, **ONSITE_BODIES[event]})
    error = assert_error(response, 400, "invalid", "event")
    assert "depot" in error["message"]
    assert not servicer_events(order)
    assert fresh(order).status == OrderStatus.ACCEPTED


@pytest.mark.parametrize("event", list(DEPOT_BODIES))
def test_an_onsite_order_refuses_the_depot_events(api_onsite, api_onsite_order, event):
    order = api_onsite_order()
    response = update(api_onsite, order, {"event": event, **DEPOT_BODIES[event]})
    error = assert_error(response, 400, "invalid", "event")
    assert "onsite" in error["message"]
    assert not servicer_events(order)


@pytest.mark.parametrize(
    "raw",
    ['{"event": "repair_started"', "not json", "\xff\xfe", ""],
)
def test_a_body_that_is_not_json_is_400(api_depot, api_depot_order, raw):
    order = api_depot_order()
    response = api_depot.post(
        f"/service-orders/{order.pk}/update-repair", raw, content_type="application/json"
    )
    assert_error(response, 400, "invalid", None if raw else "event")
    assert not servicer_events(order)


@pytest.mark.parametrize(
    "body", [[], ["repair_started"], "repair_started", 5, {}, {"event": ""}, {"event": 5}]
)
def test_the_body_must_be_an_object_with_an_event_name(api_depot, api_depot_order, body):
    order = api_depot_order()
    assert_error(update(api_depot, order, body), 400, "invalid", "event")


def test_a_name_too_long_is_400(api_depot, api_depot_order):
    order = api_depot_order()
    assert_error(update(api_depot, order, {"event": "x" * 81}), 400, "invalid", "event")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_constants_outside_the_standard_are_400(api_depot, api_depot_order, constant):
    order = api_depot_order()
    raw = '{"event": "custom", "metadata": {"x": CONSTANT}}'.replace("CONSTANT", constant)
    response = api_depot.post(
        f"/service-orders/{order.pk}/update-repair", raw, content_type="application/json"
    )
    assert_error(response, 400, "invalid")
    assert not servicer_events(order)


@pytest.mark.parametrize("value", [10**20, -(10**20), 1e300])
def test_an_impossible_timestamp_is_400(api_depot, api_depot_order, value):
    order = api_depot_order()
    body = {"event": "repair_started", "repairStartedAt": value}
    assert_error(update(api_depot, order, body), 400, "invalid", "repairStartedAt")
    assert fresh(order).status == OrderStatus.ACCEPTED


@pytest.mark.parametrize("status", [OrderStatus.PENDING, OrderStatus.CANCELED, OrderStatus.CLOSED])
def test_an_order_not_accepted_or_closed_is_409(api_depot, api_depot_order, status):
    order = api_depot_order(status)
    response = update(api_depot, order, {"event": "product_received", "receivedBy": "Gus"})
    error = assert_error(response, 409, "illegal_transition", "status")
    assert status in error["message"]
    assert not servicer_events(order)


@pytest.mark.parametrize(
    "status", [OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS, OrderStatus.DELAYED, "completed"]
)
def test_an_accepted_order_takes_events_until_it_is_closed(api_depot, api_depot_order, status):
    order = api_depot_order(status)
    response = update(api_depot, order, {"event": "product_delivered", "deliveredTo": "Dana"})
    assert response.status_code == 201, response.content
    assert fresh(order).status == status


# --- timestamps and the status --------------------------------------------------------


@pytest.mark.parametrize("stamp", [MS, SECONDS, float(SECONDS) + 0.0, MS + 0.0])
def test_timestamps_may_be_in_milliseconds_or_seconds(api_depot, api_depot_order, stamp):
    order = api_depot_order()
    response = update(api_depot, order, {"event": "product_received", "receptionDate": stamp})
    assert response.status_code == 201
    assert response.json()["receptionDate"] == stamp
    assert servicer_events(order)[0].event_date == WHEN


def test_a_repair_eta_sets_the_estimated_completion(api_depot, api_depot_order):
    order = api_depot_order()
    update(api_depot, order, {"event": "repair_eta", "estimatedRepairCompletionAt": MS})
    assert fresh(order).estimated_completion == WHEN
    later = SECONDS + 3600
    update(api_depot, order, {"event": "repair_eta", "estimatedRepairCompletionAt": later})
    assert fresh(order).estimated_completion == WHEN + timedelta(hours=1)
    assert fresh(order).status == OrderStatus.ACCEPTED


def test_repair_started_puts_the_order_in_progress(api_depot, api_depot_order):
    order = api_depot_order()
    response = update(api_depot, order, {"event": "repair_started", "repairStartedAt": MS})
    assert response.json()["status"] == "in-progress"
    assert fresh(order).status == OrderStatus.IN_PROGRESS
    events = [e.event for e in OrderEvent.objects.filter(order=order)]
    assert events[-2:] == ["repair_started", "status_in_progress"]


def test_a_delayed_eta_delays_the_order_and_says_why(api_depot, api_depot_order):
    order = api_depot_order(OrderStatus.IN_PROGRESS)
    body = {
        "event": "repair_eta",
        "estimatedRepairCompletionAt": MS,
        "isDelayed": True,
        "delayReason": "Parts on back order.",
    }
    response = update(api_depot, order, body)
    assert response.json()["status"] == "delayed"
    order = fresh(order)
    assert (order.status, order.status_reason) == ("delayed", "Parts on back order.")
    not_delayed = {**body, "isDelayed": False}
    assert update(api_depot, order, not_delayed).json()["status"] == "delayed"
    started = update(api_depot, order, {"event": "repair_started", "repairStartedAt": MS})
    assert started.json()["status"] == "in-progress"


def test_repair_completed_completes_the_order(api_depot, api_depot_order):
    order = api_depot_order(OrderStatus.IN_PROGRESS)
    response = update(api_depot, order, {"event": "repair_completed", "repairCompletedAt": MS})
    assert response.json()["status"] == "completed"
    order = fresh(order)
    assert order.status == OrderStatus.COMPLETED
    assert order.completed_at is not None


def test_resolved_completes_an_onsite_order(api_onsite, api_onsite_order):
    order = api_onsite_order()
    response = update(api_onsite, order, {"event": "resolved", "resolutionType": "fixed"})
    assert response.json()["status"] == "completed"
    assert fresh(order).status == OrderStatus.COMPLETED


def test_a_late_event_is_kept_without_moving_the_order_back(api_depot, api_depot_order):
    order = api_depot_order(OrderStatus.COMPLETED)
    response = update(api_depot, order, {"event": "repair_started", "repairStartedAt": MS})
    assert response.status_code == 201
    assert response.json()["status"] == "completed"
    assert fresh(order).status == OrderStatus.COMPLETED


# --- authentication and isolation -----------------------------------------------------


def test_the_key_may_come_as_an_extend_access_token(api_depot_key, api_depot_order):
    order = api_depot_order()
    client = Client(headers={"X-Extend-Access-Token": api_depot_key})
    response = update(client, order, {"event": "repair_started"})
    assert response.status_code == 201, response.content
    pending = api_depot_order(OrderStatus.PENDING)
    assert accept(client, pending, {"accepted": True}).status_code == 201


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer fm_wrong"},
        {"Authorization": "Bearer "},
        {"X-Extend-Access-Token": "fm_wrong"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
)
def test_without_a_valid_servicer_key_it_is_401(api_depot_order, headers):
    order = api_depot_order(OrderStatus.PENDING)
    client = Client(headers=headers)
    assert_error(update(client, order, {"event": "repair_started"}), 401, "unauthorized")
    assert_error(accept(client, order, {"accepted": True}), 401, "unauthorized")
    assert fresh(order).status == OrderStatus.PENDING


def test_an_organizations_key_is_not_a_servicer_key(api, api_key, api_depot_order):
    order = api_depot_order()
    assert_error(update(api, order, {"event": "repair_started"}), 403, "forbidden")
    client = Client(headers={"X-Extend-Access-Token": api_key})
    assert_error(update(client, order, {"event": "repair_started"}), 403, "forbidden")
    assert not servicer_events(order)


def test_a_revoked_key_or_an_inactive_servicer_is_401(
    api_depot, api_depot_servicer, api_depot_order
):
    order = api_depot_order()
    assert update(api_depot, order, {"event": "note"}).status_code == 201
    Key.objects.update(revoked_at=NOW)
    assert_error(update(api_depot, order, {"event": "note"}), 401, "unauthorized")
    other = bearer(servicer_key(api_depot_servicer))
    assert update(other, order, {"event": "note"}).status_code == 201
    Servicer.objects.filter(pk=api_depot_servicer.pk).update(active=False)
    assert_error(update(other, order, {"event": "note"}), 401, "unauthorized")


def test_a_servicer_cannot_post_to_another_servicers_order(
    api_onsite, api_depot_order, org, other_org
):
    order = api_depot_order(OrderStatus.PENDING)
    assert_error(update(api_onsite, order, {"event": "note"}), 404, "not_found")
    assert_error(accept(api_onsite, order, {"accepted": True}), 404, "not_found")
    # A servicer of another fleet, too.
    theirs = make_servicer("Elsewhere", ["repair_depot"], [], fleets=(other_org,))
    client = bearer(servicer_key(theirs))
    assert_error(accept(client, order, {"accepted": True}), 404, "not_found")
    assert fresh(order).status == OrderStatus.PENDING
    assert not servicer_events(order)


@pytest.mark.parametrize("order_id", ["999999", "abc", "99999999999999999999", "-1"])
def test_an_unknown_order_is_404(api_depot, order_id):
    response = post(api_depot, f"/service-orders/{order_id}/update-repair", {"event": "note"})
    assert_error(response, 404, "not_found")


def test_only_post_is_allowed(api_depot, api_depot_order):
    order = api_depot_order()
    assert api_depot.get(f"/service-orders/{order.pk}/update-repair").status_code == 405
    assert api_depot.get(f"/service-orders/{order.pk}/accept-repair").status_code == 405


def test_no_csrf_token_is_needed(api_depot_key, api_depot_order):
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {api_depot_key}"})
    order = api_depot_order(OrderStatus.PENDING)
    assert accept(client, order, {"accepted": True}).status_code == 201
    assert update(client, order, {"event": "repair_started"}).status_code == 201


# --- accept-repair ----------------------------------------------------------------------


def test_the_servicer_accepts_a_repair(api_depot, api_depot_order):
    order = api_depot_order(OrderStatus.PENDING)
    with time_machine.travel(NOW, tick=False):
        response = accept(api_depot, order, {"accepted": True})
    assert response.status_code == 201, response.content
    stored = OrderEvent.objects.get(order=order, event="status_accepted")
    assert response.json() == {
        "id": stored.pk,
        "event": "status_accepted",
        "accepted": True,
        "reason": "",
        "notes": "",
        "createdAt": int(NOW.timestamp() * 1000),
        "status": "accepted",
    }
    order = fresh(order)
    assert order.status == OrderStatus.ACCEPTED
    assert order.accepted_at is not None


def test_accepting_twice_changes_nothing(api_depot, api_depot_order):
    order = api_depot_order(OrderStatus.PENDING)
    first = accept(api_depot, order, {"accepted": True})
    second = accept(api_depot, order, {"accepted": True})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert OrderEvent.objects.filter(order=order, event="status_accepted").count() == 1


def test_the_servicer_declines_a_repair_saying_why(api_depot, api_depot_order):
    order = api_depot_order(OrderStatus.PENDING)
    assert_error(accept(api_depot, order, {"accepted": False}), 400, "invalid", "reason")
    response = accept(api_depot, order, {"accepted": False, "reason": "No bay free this week."})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["event"] == "status_canceled"
    assert (body["accepted"], body["reason"]) == (False, "No bay free this week.")
    assert body["status"] == "canceled"
    order = fresh(order)
    assert (order.status, order.status_reason) == ("canceled", "No bay free this week.")
    assert_error(
        update(api_depot, order, {"event": "repair_started"}), 409, "illegal_transition", "status"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "accepted"),
        ({"accepted": "true"}, "accepted"),
        ({"accepted": 1}, "accepted"),
        ({"accepted": None}, "accepted"),
        ({"accepted": False, "reason": 5}, "reason"),
        ({"accepted": False, "reason": "   "}, "reason"),
        ({"accepted": False, "reason": "x" * 501}, "reason"),
        ([], None),
        ("accepted", None),
    ],
)
def test_a_bad_accept_body_is_400(api_depot, api_depot_order, body, field):
    order = api_depot_order(OrderStatus.PENDING)
    assert_error(accept(api_depot, order, body), 400, "invalid", field)
    assert fresh(order).status == OrderStatus.PENDING


def test_a_malformed_accept_body_is_400(api_depot, api_depot_order):
    order = api_depot_order(OrderStatus.PENDING)
    response = api_depot.post(
        f"/service-orders/{order.pk}/accept-repair", "{accepted", content_type="application/json"
    )
    assert_error(response, 400, "invalid")


@pytest.mark.parametrize(
    "status", [OrderStatus.IN_PROGRESS, OrderStatus.COMPLETED, OrderStatus.CANCELED, "closed"]
)
def test_only_a_pending_repair_can_be_accepted_or_declined(api_depot, api_depot_order, status):
    order = api_depot_order(status)
    assert_error(accept(api_depot, order, {"accepted": True}), 409, "illegal_transition", "status")
    assert_error(
        accept(api_depot, order, {"accepted": False, "reason": "Busy"}),
        409,
        "illegal_transition",
        "status",
    )
    assert fresh(order).status == status


def test_the_compat_answer_and_the_native_timeline_agree(api, api_depot, api_depot_order):
    order = api_depot_order(OrderStatus.PENDING)
    accept(api_depot, order, {"accepted": True})
    posted = update(api_depot, order, {"event": "repair_started", "repairStartedAt": MS}).json()
    timeline = api.get(f"/api/v1/orders/{order.pk}/events").json()
    assert [e["event"] for e in timeline] == [
        "order_placed",
        "status_accepted",
        "repair_started",
        "status_in_progress",
    ]
    native = next(e for e in timeline if e["id"] == posted["id"])
    assert native["body"] == {"event": "repair_started", "repairStartedAt": MS}
    assert native["status"] == posted["status"] == "in-progress"


# --- the wrong kind of key: one answer on every face --------------------------------------


def test_a_key_of_the_wrong_kind_gets_the_same_403_on_every_face(
    org, api_depot_key, api_depot_order, api_van
):
    _, fleet_raw = accounts.apikey_create(org=org, name="fleet")
    fleet, depot = bearer(fleet_raw), bearer(api_depot_key)
    order = api_depot_order(OrderStatus.ACCEPTED)
    event = {"event": "repair_started"}

    # An organization's key on a servicer route: native and compat answer alike.
    native = post(fleet, f"/api/v1/orders/{order.pk}/events", event)
    compat_update = update(fleet, order, event)
    compat_accept = accept(fleet, order, {"accepted": True})
    token_header = post(
        Client(headers={"X-Extend-Access-Token": fleet_raw}),
        f"/service-orders/{order.pk}/update-repair",
        event,
    )
    for response in (native, compat_update, compat_accept, token_header):
        body = assert_error(response, 403, "forbidden")
        assert body == {
            "code": "forbidden",
            "message": "This endpoint takes a servicer's API key.",
            "field": None,
        }
    assert servicer_events(order) == []

    # A servicer's key on a fleet route: 403 in the same envelope.
    body = assert_error(depot.get(f"/api/v1/vehicles/{api_van.pk}"), 403, "forbidden")
    assert body["message"] == "This endpoint takes an organization's API key."

    # Each kind on its own routes passes.
    assert fleet.get(f"/api/v1/vehicles/{api_van.pk}").status_code == 200
    assert update(depot, order, event).status_code == 201


def test_an_unknown_key_is_still_401_on_the_servicer_routes(api_depot_order):
    order = api_depot_order(OrderStatus.ACCEPTED)
    stranger = bearer("fm_not-a-key")
    assert_error(update(stranger, order, {"event": "repair_started"}), 401, "unauthorized")
    assert_error(
        post(stranger, f"/api/v1/orders/{order.pk}/events", {"event": "repair_started"}),
        401,
        "unauthorized",
    )
