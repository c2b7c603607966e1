"""Builders shared by the API and compat tests of service orders (test_api, test_compat).

Plain functions, not fixtures: each test module wraps them in its own ``api_``
fixtures, so these tests do not depend on fixtures other test modules own.
"""

import json
from decimal import Decimal

from django.test import Client

from fleetmaint.accounts.models import Organization
from fleetmaint.orders import events, quotes, servicers, services
from fleetmaint.orders.models import (
    CatalogItem,
    OrderEvent,
    OrderStatus,
    ServiceOrder,
    Servicer,
)
from fleetmaint.vehicles.models import Vehicle

# How an order reaches each status through the services, from pending.
ROUTES: dict[str, list[str]] = {
    OrderStatus.PENDING: [],
    OrderStatus.ACCEPTED: [OrderStatus.ACCEPTED],
    OrderStatus.IN_PROGRESS: [OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS],
    OrderStatus.DELAYED: [OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS, OrderStatus.DELAYED],
    OrderStatus.COMPLETED: [OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS, OrderStatus.COMPLETED],
    OrderStatus.CANCELED: [OrderStatus.CANCELED],
    OrderStatus.CLOSED: [
        OrderStatus.ACCEPTED,
        OrderStatus.IN_PROGRESS,
        OrderStatus.COMPLETED,
        OrderStatus.CLOSED,
    ],
}


def make_servicer(
    name: str,
    types: list[str],
    catalog: list[tuple[str, str, str, int]],
    *,
    fleets: tuple[Organization, ...] = (),
    **fields,
) -> Servicer:
    servicer = Servicer.objects.create(name=name, service_types=types, **fields)
    CatalogItem.objects.bulk_create(
        [
            CatalogItem(
                servicer=servicer,
                code=code,
                name=label,
                price=Decimal(price),
                duration_minutes=minutes,
            )
            for code, label, price, minutes in catalog
        ]
    )
    for org in fleets:
        servicers.partnership_link(org=org, servicer=servicer)
    return servicer


def post_event(order: ServiceOrder, body: object, actor=None) -> OrderEvent:
    """A servicer's event as every face posts it: read at the edge, then stored."""
    event = events.read(body, order.service_type)
    return services.event_post(order=order, event=event, actor=actor)


def servicer_key(servicer: Servicer) -> str:
    _, raw = servicers.servicer_apikey_create(servicer=servicer, name="integration")
    return raw


def bearer(raw: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}"})


def make_order(
    status: str,
    *,
    org: Organization,
    vehicle: Vehicle,
    servicer: Servicer,
    service_type: str,
    code: str,
    pre_authorized: Decimal = Decimal("0"),
) -> ServiceOrder:
    """An order walked through the services from a quote to ``status``."""
    quote = quotes.quote_create(
        org=org,
        vehicle=vehicle,
        servicer=servicer,
        service_type=service_type,
        items=[quotes.ItemRequest(code=code)],
        pre_authorized=pre_authorized,
    )
    order = quotes.quote_accept(quote=quote)
    for step in ROUTES[status]:
        if step != order.status:
            order = services.order_set_status(order=order, status=step, reason=f"Test {step}")
    order.refresh_from_db()
    assert order.status == status
    return order


def post(client: Client, url: str, body: object = None, **extra):
    data = "" if body is None else json.dumps(body)
    return client.post(url, data, content_type="application/json", **extra)


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    """An error in the API's envelope: exactly code, message and field."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "field"}
    assert body["code"] == code
    assert body["field"] == field, body
    assert isinstance(body["message"], str) and body["message"]
    return body
