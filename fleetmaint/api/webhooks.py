"""Webhook endpoints over JSON: list, create, read, change, remove, rotate the secret,
the delivery log and redelivery. The rules live in ``notifications.services``."""

from datetime import datetime
from typing import Literal

from django.db.models import F
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from fleetmaint.api.admin_keys import AdminKeyAuth
from fleetmaint.api.idempotency import SECRET_ANSWER
from fleetmaint.inputs import CleanStr
from fleetmaint.notifications import delivery, services
from fleetmaint.notifications.models import (
    EVENT_KINDS,
    DeliveryAttempt,
    Outcome,
    WebhookEndpoint,
)

router = Router(tags=["webhooks"], auth=AdminKeyAuth())

EventName = Literal[tuple(EVENT_KINDS)]  # type: ignore[valid-type]
EVENTS_HELP = "Event names to send; empty means every event. " + "; ".join(
    f"`{name}`: {text}" for name, text in EVENT_KINDS.items()
)


class WebhookOut(Schema):
    id: int = Field(description="The endpoint's id.")
    url: str = Field(description="Where deliveries are POSTed.")
    description: str = Field(description="A note for people.")
    events: list[EventName] = Field(description=EVENTS_HELP)
    active: bool = Field(description="Whether deliveries are sent.")
    disabled_reason: str = Field(description="Why deliveries stopped, when they did.")
    previous_secret_expires_at: datetime | None = Field(
        description="After a rotation: until when the old secret also signs."
    )
    created_at: datetime


class WebhookWithSecret(WebhookOut):
    secret: str = Field(
        description="The signing secret (Standard Webhooks `whsec_…`); shown in this answer only."
    )


class WebhookIn(Schema):
    url: str = Field(min_length=1, max_length=500, description="An https:// URL on the internet.")
    events: list[EventName] = Field(default_factory=list, max_length=20, description=EVENTS_HELP)
    description: CleanStr = Field("", max_length=120, description="A note for people.")


class WebhookPatch(Schema):
    url: str | None = Field(None, min_length=1, max_length=500, description="A new URL.")
    events: list[EventName] | None = Field(None, max_length=20, description=EVENTS_HELP)
    description: CleanStr | None = Field(None, max_length=120, description="A new note.")
    active: bool | None = Field(None, description="Turn deliveries on or off.")


class WebhookPage(Schema):
    count: int
    items: list[WebhookOut]


class DeliveryOut(Schema):
    id: int = Field(description="The attempt's id.")
    message_id: int = Field(description="The message tried; its attempts share it.")
    event: str = Field(description="The event's name.")
    started_at: datetime = Field(description="When the attempt began.")
    status_code: int | None = Field(description="The receiver's HTTP status; null for no answer.")
    duration_ms: int = Field(description="How long the attempt took, in milliseconds.")
    outcome: Literal[tuple(Outcome.values)] = Field(  # type: ignore[valid-type]
        description="delivered, retry (failed, will retry) or failed (for good)."
    )
    error: str = Field(description="What went wrong, when something did.")


class DeliveryPage(Schema):
    count: int
    items: list[DeliveryOut]


class Paging(Schema):
    limit: int = Field(50, ge=1, le=200, description="Rows per page.")
    offset: int = Field(0, ge=0, le=1_000_000, description="Rows to skip.")


class RedeliverOut(Schema):
    message_id: int
    status: str = Field(description="The message's status: pending until the worker sends it.")


def _endpoint(request: HttpRequest, webhook_id: int) -> WebhookEndpoint:
    return get_object_or_404(WebhookEndpoint, org=request.org, pk=webhook_id)


@router.get("/webhooks", response=WebhookPage, summary="List webhook endpoints")
def list_webhooks(request: HttpRequest):
    rows = list(WebhookEndpoint.objects.filter(org=request.org).order_by("url", "id"))
    return {"count": len(rows), "items": rows}


@router.post(
    "/webhooks",
    response={201: WebhookWithSecret},
    summary="Add a webhook endpoint; the answer holds its signing secret, once",
    # A kept Idempotency-Key answer would keep the secret in clear: none is taken here.
    openapi_extra={SECRET_ANSWER: True},
)
def create_webhook(request: HttpRequest, payload: WebhookIn):
    endpoint = services.webhook_create(
        org=request.org,
        url=payload.url,
        events=list(payload.events),
        description=payload.description,
    )
    return Status(201, endpoint)


@router.get("/webhooks/{webhook_id}", response=WebhookOut, summary="Read a webhook endpoint")
def get_webhook(request: HttpRequest, webhook_id: int):
    return _endpoint(request, webhook_id)


@router.patch("/webhooks/{webhook_id}", response=WebhookOut, summary="Change a webhook endpoint")
def update_webhook(request: HttpRequest, webhook_id: int, payload: WebhookPatch):
    endpoint = _endpoint(request, webhook_id)
    return services.webhook_update(
        endpoint=endpoint,
        url=endpoint.url if payload.url is None else payload.url,
        events=endpoint.events if payload.events is None else list(payload.events),
        active=endpoint.active if payload.active is None else payload.active,
        description=endpoint.description if payload.description is None else payload.description,
    )


@router.delete("/webhooks/{webhook_id}", response={204: None}, summary="Remove a webhook endpoint")
def delete_webhook(request: HttpRequest, webhook_id: int):
    services.webhook_delete(endpoint=_endpoint(request, webhook_id))
    return Status(204, None)


@router.post(
    "/webhooks/{webhook_id}/rotate-secret",
    response=WebhookWithSecret,
    summary="Give the endpoint a new secret; the old one also signs during the grace period",
    openapi_extra={SECRET_ANSWER: True},
)
def rotate_secret(request: HttpRequest, webhook_id: int):
    return services.webhook_rotate_secret(endpoint=_endpoint(request, webhook_id))


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response=DeliveryPage,
    summary="The endpoint's delivery attempts, newest first",
)
def list_deliveries(request: HttpRequest, webhook_id: int, paging: Query[Paging]):
    endpoint = _endpoint(request, webhook_id)
    attempts = DeliveryAttempt.objects.filter(message__endpoint=endpoint).order_by(
        "-started_at", "-id"
    )
    rows = attempts.values(
        "id", "message_id", "started_at", "status_code", "duration_ms", "outcome", "error"
    ).annotate(event=F("message__event__name"))[paging.offset : paging.offset + paging.limit]
    return {"count": attempts.count(), "items": list(rows)}


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    response={202: RedeliverOut},
    summary="Send a delivery's message again (a new attempt follows)",
)
def redeliver(request: HttpRequest, webhook_id: int, delivery_id: int):
    endpoint = _endpoint(request, webhook_id)
    attempt = get_object_or_404(
        DeliveryAttempt, message__org=request.org, message__endpoint=endpoint, pk=delivery_id
    )
    message = delivery.redeliver(org=request.org, message_id=attempt.message_id)
    return Status(202, {"message_id": message.pk, "status": message.status})
