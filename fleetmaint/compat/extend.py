"""Servicer events on service orders in the wire format of the vendor API of seed 001.

``POST /service-orders/<id>/accept-repair`` with ``{"accepted": true|false, "reason": "..."}``
and ``POST /service-orders/<id>/update-repair`` with an event body
(``{"event": "repair_started", "repairStartedAt": 1718000000000}``), authenticated
with a servicer's API key as ``Authorization: Bearer <key>`` or
``X-Extend-Access-Token: <key>``.

A success is 201 with the stored event: ``{id, event, ...the body's fields, notes,
createdAt, status}``, where ``createdAt`` is a Unix timestamp in milliseconds (the
seed's dates are timestamps) and ``status`` is the order's status afterwards.
Errors use the native API's envelope ``{code, message, field}``: 400 for a bad
body, 401 without a valid key, 403 ``forbidden`` for an organization's key (the
other kind, answered as the native API answers it), 404 for an order the servicer cannot
see, 409 for an order that is not accepted yet or is closed (one canceled after
it was accepted still takes events, which leave it canceled), 400 for a date
of something that happened more than 15 minutes ahead. A body must be a
JSON object within ``orders.events.EVENT_BOUNDS`` (docs/orders.md); text with
a NUL byte or a lone surrogate is a 400. This module only translates; the rules
are in orders.services and orders.events.
"""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from fleetmaint.accounts.models import ApiKey
from fleetmaint.attempts import services as attempts
from fleetmaint.compat.keys import bearer_token, key_from
from fleetmaint.errors import FLEET_KEY_REFUSED, DomainError, TooManyAttempts, ValidationFailed
from fleetmaint.inputs import clean_text, load_json
from fleetmaint.orders import events as servicer_events
from fleetmaint.orders import queries, servicers, services
from fleetmaint.orders.events import EVENT_BOUNDS
from fleetmaint.orders.models import OrderEvent, OrderStatus, ServiceOrder

TOKEN_HEADER = "X-Extend-Access-Token"
# Fields of the answer that the body cannot override.
RESERVED = ("id", "event", "notes", "createdAt", "status")


def _error(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "field": field}, status=status)


def _timestamp_ms(event: OrderEvent) -> int:
    return int(event.created_at.timestamp() * 1000)


def event_json(event: OrderEvent, **extra) -> dict:
    """The stored event as the vendor's clients read it."""
    body = {"id": event.pk, "event": event.event}
    body.update({k: v for k, v in (event.body or {}).items() if k not in RESERVED})
    body.update(extra)
    body.update(
        {"notes": event.notes, "createdAt": _timestamp_ms(event), "status": event.status_after}
    )
    return body


def _json_object(request: HttpRequest, *, field: str | None = None) -> dict:
    """The body as a JSON object within the bounds every servicer event keeps.

    An empty body counts as ``null``: not an object, refused naming ``field``.
    """
    data = load_json(request.body or b"null", EVENT_BOUNDS)
    if not isinstance(data, dict):
        raise ValidationFailed("The body must be a JSON object.", field=field)
    return data


Handler = Callable[[HttpRequest, ServiceOrder], JsonResponse]


def servicer_endpoint(handler: Handler) -> Callable[[HttpRequest, str], JsonResponse]:
    """Authenticates the servicer, finds its order, and answers errors in the envelope."""

    @csrf_exempt
    @require_POST
    @wraps(handler)
    def view(request: HttpRequest, order_id: str) -> JsonResponse:
        token = bearer_token(request, "Bearer") or request.headers.get(TOKEN_HEADER, "").strip()
        try:
            found = (
                attempts.key_lookup(
                    request,
                    lambda: servicers.servicer_authenticate(token) or key_from(token),
                )
                if token
                else None
            )
        except TooManyAttempts as locked:
            return _error(locked.status, locked.code, locked.message)
        if isinstance(found, ApiKey):
            # A known key of the other kind: the native API's answer, word for word.
            return _error(403, "forbidden", FLEET_KEY_REFUSED)
        servicer = found
        if servicer is None:
            return _error(
                401,
                "unauthorized",
                f"Send a servicer's API key as 'Authorization: Bearer <key>' or '{TOKEN_HEADER}'.",
            )
        try:
            order = queries.order_for_servicer(servicer, order_id)
            return handler(request, order)
        except DomainError as error:
            return _error(error.status, error.code, error.message, error.field)

    return view


@servicer_endpoint
def accept_repair(request: HttpRequest, order: ServiceOrder) -> JsonResponse:
    """Takes the order, or declines it with a reason (which cancels it).

    Accepting an order already accepted changes nothing and answers 200 with the
    acceptance that is on record.
    """
    data = _json_object(request)
    accepted = data.get("accepted")
    if not isinstance(accepted, bool):
        raise ValidationFailed("accepted must be true or false.", field="accepted")
    reason = data.get("reason") if data.get("reason") is not None else ""
    if not isinstance(reason, str):
        raise ValidationFailed("reason must be text.", field="reason")
    already = accepted and order.status == OrderStatus.ACCEPTED
    order = services.order_accept(
        order=order, accepted=accepted, reason=clean_text(reason, field="reason")
    )
    name = "status_accepted" if accepted else "status_canceled"
    stored = order.events.filter(event=name).order_by("-created_at", "-id").first()
    answer = event_json(stored, accepted=accepted, reason=stored.notes)
    return JsonResponse(answer, status=200 if already else 201)


@servicer_endpoint
def update_repair(request: HttpRequest, order: ServiceOrder) -> JsonResponse:
    """Stores the event; ``repair_started``, ``repair_completed``, ``resolved`` and a delayed
    ``repair_eta`` move the order as well."""
    event = servicer_events.read(_json_object(request, field="event"), order.service_type)
    stored = services.event_post(order=order, event=event)
    return JsonResponse(event_json(stored), status=201)
