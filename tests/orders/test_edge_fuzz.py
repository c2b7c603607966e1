"""Hostile input at every face of quotes and orders: a 4xx in that face's envelope, no change.

Each test puts the values of ``tests.hostile`` into one field of an otherwise
valid request. Values a field legitimately takes (``"-0"`` is an amount of
zero) are left out of that field's list, so every request sent must be
refused. "No change" compares the rows of every orders table and the order's
status and version before and after.
"""

import json
import re
from decimal import Decimal

import pytest
from django.test import Client

from fleetmaint.orders.models import (
    FoundIssue,
    OrderEvent,
    OrderItem,
    OrderStatus,
    Quote,
    ServiceOrder,
)
from tests import hostile
from tests.orders.api_support import bearer, post_event, servicer_key


def state(order: ServiceOrder | None = None) -> tuple:
    """Every row the orders tables hold, as counts, and the order's own status and version."""
    counts = tuple(
        model.objects.count() for model in (Quote, ServiceOrder, OrderItem, OrderEvent, FoundIssue)
    )
    if order is None:
        return counts
    order = ServiceOrder.objects.get(pk=order.pk)
    return (*counts, order.status, order.version, order.status_reason)


def send(client: Client, url: str, body: object):
    """``body`` as JSON text; lone surrogates travel as the escapes a client would write."""
    raw = body if isinstance(body, str) else hostile.dumps(body)
    return client.post(url, raw, content_type="application/json")


def assert_refused(response, what: object) -> dict:
    """A 4xx in the API's envelope (the native API's, also used by update-repair)."""
    assert 400 <= response.status_code < 500, (repr(what)[:80], response.content[:300])
    body = response.json()
    assert set(body) == {"code", "message", "field"}, body
    assert isinstance(body["message"], str) and body["message"]
    return body


def without(values: list[object], *valid: object) -> list[object]:
    """The hostile values less those this field takes (compared by type and value)."""
    return [v for v in values if not any(type(v) is type(w) and v == w for w in valid)]


# What a text field must refuse: any value that is not text, and text that cannot be stored.
NOT_TEXT = [v for v in hostile.EVERYTHING if not isinstance(v, str)] + hostile.TEXTS
# What a timestamp field must refuse: anything not a number, and numbers no date has.
NOT_A_MOMENT = without(hostile.EVERYTHING, None, -1, 1.5)
NOT_TEXT_OR_NONE = [v for v in NOT_TEXT if v is not None]
NOT_BOOL = without(hostile.EVERYTHING, True)
NOT_ODOMETER = without(hostile.EVERYTHING, None)
NOT_MONEY = without(hostile.EVERYTHING, 1.5, "-0")
NOT_OBJECT = without(hostile.EVERYTHING, None, {}, {"a": 1})
ANY = hostile.EVERYTHING


# --- personas ---------------------------------------------------------------------------


# The fleet, its garage, van and the garage's portal user come from tests/orders/conftest.py.


@pytest.fixture
def garage_api(garage) -> Client:
    return bearer(servicer_key(garage))


@pytest.fixture
def order_at(make_order):
    def make(status: str) -> ServiceOrder:
        return make_order(status, pre_authorized=Decimal("100"))

    return make


# --- /api/v1/quotes -----------------------------------------------------------------------

QUOTE_FIELDS: dict[str, list[object]] = {
    "type": hostile.EVERYTHING,
    "vehicle_id": hostile.EVERYTHING,
    "items": hostile.EVERYTHING,
    "preAuthorized": without(hostile.EVERYTHING, 1.5, "-0"),
    "servicer_id": without(hostile.EVERYTHING, None),
    "interval_ids": without(hostile.EVERYTHING, []),
    "task_ids": without(hostile.EVERYTHING, []),
}


@pytest.mark.parametrize("field", list(QUOTE_FIELDS))
def test_a_hostile_quote_field_is_refused(api, van, garage, field):
    before = state()
    for value in QUOTE_FIELDS[field]:
        body = {"vehicle_id": van.pk, "items": ["oil-change"], field: value}
        assert_refused(send(api, "/api/v1/quotes", body), (field, value))
    assert state() == before


def test_a_hostile_vin_is_refused(api, van, garage):
    before = state()
    for value in hostile.EVERYTHING:
        body = {"vin": value, "items": ["oil-change"]}
        assert_refused(send(api, "/api/v1/quotes", body), value)
    assert state() == before


@pytest.mark.parametrize("where", ["item", "code", "quantity"])
def test_a_hostile_item_is_refused(api, van, garage, where):
    before = state()
    for value in hostile.EVERYTHING:
        item = {
            "item": value,
            "code": {"code": value},
            "quantity": {"code": "oil-change", "quantity": value},
        }[where]
        body = {"vehicle_id": van.pk, "items": [item]}
        assert_refused(send(api, "/api/v1/quotes", body), (where, value))
    assert state() == before


@pytest.mark.parametrize("text", hostile.TEXTS[:2], ids=["nul", "surrogate"])
def test_unstorable_text_is_refused_in_plain_words_naming_the_field(api, van, garage, text):
    body = {"vehicle_id": van.pk, "items": [{"code": text}]}
    error = assert_refused(send(api, "/api/v1/quotes", body), text)
    assert error["field"] == "items.0.code"
    assert re.search("NUL character|valid Unicode", error["message"])


# --- /api/v1/orders -----------------------------------------------------------------------

# (who, status of the order, action, valid body, field to spoil, values to put there)
ORDER_CASES = [
    ("fleet", "in-progress", "cancel", {"reason": "Sold"}, "reason", NOT_TEXT),
    ("servicer", "pending", "accept", {"accepted": False, "reason": "Full"}, "accepted", NOT_BOOL),
    ("servicer", "pending", "accept", {"accepted": False, "reason": "Full"}, "reason", NOT_TEXT),
    ("servicer", "in-progress", "status", {"status": "delayed", "reason": "Parts"}, "status", ANY),
    (
        "servicer",
        "in-progress",
        "status",
        {"status": "delayed", "reason": "Late"},
        "reason",
        NOT_TEXT,
    ),
    ("servicer", "in-progress", "status", {"status": "completed"}, "odometer", NOT_ODOMETER),
    (
        "servicer",
        "in-progress",
        "issues",
        {"description": "Belt", "cost": 5},
        "description",
        NOT_TEXT,
    ),
    ("servicer", "in-progress", "issues", {"description": "Belt", "cost": 5}, "cost", NOT_MONEY),
    ("servicer", "accepted", "events", {"event": "custom"}, "event", NOT_TEXT),
    ("servicer", "accepted", "events", {"event": "custom"}, "notes", NOT_TEXT_OR_NONE),
    (
        "servicer",
        "accepted",
        "events",
        {"event": "repair_started"},
        "repairStartedAt",
        NOT_A_MOMENT,
    ),
    ("servicer", "accepted", "events", {"event": "custom"}, "metadata", NOT_OBJECT),
]


@pytest.mark.parametrize(
    ("who", "status", "action", "valid", "field", "values"),
    ORDER_CASES,
    ids=[f"{case[2]}-{case[4]}" for case in ORDER_CASES],
)
def test_a_hostile_order_field_is_refused(
    api, garage_api, order_at, who, status, action, valid, field, values
):
    order = order_at(status)
    client = api if who == "fleet" else garage_api
    before = state(order)
    for value in values:
        response = send(client, f"/api/v1/orders/{order.pk}/{action}", {**valid, field: value})
        assert_refused(response, (field, value))
    assert state(order) == before


def test_a_hostile_key_in_an_event_is_refused(garage_api, order_at):
    order = order_at("accepted")
    before = state(order)
    for key in hostile.TEXTS:
        body = {"event": "custom", "metadata": {key: 1}}
        assert_refused(send(garage_api, f"/api/v1/orders/{order.pk}/events", body), key)
    assert state(order) == before


# --- /service-orders/<id>/update-repair and accept-repair --------------------------------

HUGE_BODIES = [
    hostile.deep(),
    hostile.deep_object(),
    '{"event": "custom", "metadata": ' + hostile.deep_object() + "}",
    hostile.wide_object(),
    '{"event": "custom", "metadata": ' + hostile.wide_object() + "}",
    hostile.LONG_KEY_OBJECT,
    json.dumps({"event": "custom", "metadata": {"k" * 101: 1}}),
    json.dumps({"event": "custom", "metadata": {f"k{i}": i for i in range(101)}}),
    json.dumps({"event": "custom", "metadata": {"a": [[[[[[[[1]]]]]]]]}}),
    json.dumps({"event": "custom", "notes": "x" * 5_001}),
    json.dumps({"event": "custom", "metadata": {f"k{i}": ["x" * 4_000] * 30 for i in range(20)}}),
]


@pytest.mark.parametrize("raw", HUGE_BODIES + hostile.BROKEN_BODIES, ids=lambda raw: repr(raw[:30]))
def test_a_huge_or_broken_event_body_is_refused_in_the_envelope(garage_api, order_at, raw):
    order = order_at("accepted")
    before = state(order)
    response = send(garage_api, f"/service-orders/{order.pk}/update-repair", raw)
    assert_refused(response, raw[:30])
    assert state(order) == before


@pytest.mark.parametrize("raw", HUGE_BODIES, ids=lambda raw: repr(raw[:30]))
def test_a_huge_event_body_is_refused_by_the_api_too(garage_api, order_at, raw):
    order = order_at("accepted")
    before = state(order)
    assert_refused(send(garage_api, f"/api/v1/orders/{order.pk}/events", raw), raw[:30])
    assert state(order) == before


EVENT_FIELDS = [
    ({"event": "custom"}, "event", NOT_TEXT),
    ({"event": "product_received"}, "receivedBy", NOT_TEXT_OR_NONE),
    ({"event": "product_received"}, "receptionDate", NOT_A_MOMENT),
    ({"event": "repair_eta"}, "isDelayed", without(hostile.EVERYTHING, None, True)),
    ({"event": "custom"}, "notes", NOT_TEXT_OR_NONE),
    ({"event": "custom"}, "metadata", NOT_OBJECT),
]


@pytest.mark.parametrize(
    ("valid", "field", "values"), EVENT_FIELDS, ids=[case[1] for case in EVENT_FIELDS]
)
def test_a_hostile_update_repair_field_is_refused(garage_api, order_at, valid, field, values):
    order = order_at("accepted")
    before = state(order)
    for value in values:
        response = send(
            garage_api, f"/service-orders/{order.pk}/update-repair", {**valid, field: value}
        )
        assert_refused(response, (field, value))
    assert state(order) == before


@pytest.mark.parametrize(
    ("valid", "field", "values"),
    [
        ({"accepted": False, "reason": "Full"}, "accepted", NOT_BOOL),
        ({"accepted": False, "reason": "Full"}, "reason", NOT_TEXT_OR_NONE),
    ],
    ids=["accepted", "reason"],
)
def test_a_hostile_accept_repair_field_is_refused(garage_api, order_at, valid, field, values):
    order = order_at("pending")
    before = state(order)
    for value in values:
        response = send(
            garage_api, f"/service-orders/{order.pk}/accept-repair", {**valid, field: value}
        )
        assert_refused(response, (field, value))
    assert state(order) == before


@pytest.mark.parametrize("raw", HUGE_BODIES[:6] + hostile.BROKEN_BODIES, ids=lambda r: repr(r[:30]))
def test_a_huge_or_broken_accept_body_is_refused(garage_api, order_at, raw):
    order = order_at("pending")
    before = state(order)
    assert_refused(send(garage_api, f"/service-orders/{order.pk}/accept-repair", raw), raw[:30])
    assert state(order) == before


# --- the servicer portal and the fleet's pages ----------------------------------------------


PORTAL_FORMS = [
    ("pending", "accept/", {"accepted": "false", "reason": "Full"}, "reason"),
    ("in-progress", "status/", {"action": "delay", "reason": "Parts"}, "reason"),
    ("in-progress", "issues/", {"description": "Belt", "cost": "5"}, "description"),
    ("accepted", "events/", {"event": "product_received", "receivedBy": "Desk"}, "receivedBy"),
    ("accepted", "events/", {"event": "product_received"}, "notes"),
    ("accepted", "events/", {"event": "other", "other_name": "x"}, "other_name"),
    ("accepted", "events/", {"event": "other", "other_name": "x"}, "metadata"),
]


@pytest.mark.parametrize(
    ("status", "action", "valid", "field"),
    PORTAL_FORMS,
    ids=[f"{case[1]}{case[3]}" for case in PORTAL_FORMS],
)
# A form cannot carry a lone surrogate: Django decodes form bodies as UTF-8, replacing
# bytes that are not; the NUL byte is what reaches the forms.
@pytest.mark.parametrize("text", [hostile.NUL], ids=["nul"])
def test_the_portal_refuses_unstorable_text(
    clock, garage_client, order_at, status, action, valid, field, text
):
    order = order_at(status)
    before = state(order)
    response = garage_client.post(
        f"/portal/orders/{order.pk}/{action}", {**valid, field: text}, follow=True
    )
    # A refused event or issue shows its form again with what was typed; the rest redirect.
    assert response.status_code == (422 if action in ("events/", "issues/") else 200)
    shown = [str(m) for m in response.context["messages"]]
    assert any(re.search("NUL character|valid Unicode", m) for m in shown), shown
    assert state(order) == before


@pytest.mark.parametrize("text", [hostile.NUL], ids=["nul"])
def test_the_fleet_page_refuses_unstorable_text_in_a_cancel_reason(
    clock, advisor_client, order_at, text
):
    order = order_at("in-progress")
    before = state(order)
    advisor_client.post(f"/orders/{order.pk}/cancel/", {"reason": f"Sold {text}"})
    shown = [str(m) for m in advisor_client.get(f"/orders/{order.pk}/").context["messages"]]
    assert any(re.search("NUL character|valid Unicode", m) for m in shown), shown
    assert state(order) == before


def test_the_services_refuse_what_the_faces_let_through(order_at):
    """A text with a NUL byte that reached the service by another road is still no event."""
    order = order_at("accepted")
    before = state(order)
    with pytest.raises(Exception, match="NUL character"):
        post_event(order, {"event": "custom", "notes": hostile.NUL})
    assert state(order) == before
    assert order.status == OrderStatus.ACCEPTED
