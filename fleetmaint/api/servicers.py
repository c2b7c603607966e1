"""Servicers over JSON: which ones a fleet works with, and a servicer's own API keys.

Two kinds of caller use these endpoints:

- a fleet, with its organization's API key: lists the servicers it works with
  and those open to new fleets (``partner`` says which), and starts or stops
  working with one (``orders.servicers.partnership_set``, the rule the
  Servicers page follows too);
- a servicer, with a servicer's API key: lists, creates and revokes its own
  API keys (``orders.servicers.servicer_apikey_create`` and
  ``servicer_apikeys_revoke``, the services the admin uses). A new key's raw
  text is answered once; only its digest is stored.
"""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from fleetmaint.api.auth import ApiKeyAuth
from fleetmaint.api.idempotency import SECRET_ANSWER
from fleetmaint.api.order_schemas import ServicerOut
from fleetmaint.errors import NotFound
from fleetmaint.inputs import CleanStr
from fleetmaint.orders import queries, servicers
from fleetmaint.orders.models import Servicer, ServicerApiKey, ServiceType

router = Router(tags=["servicers"])

FLEET = ApiKeyAuth()
SERVICER = ApiKeyAuth(fleet=False, servicer=True)

# Some text that is not only spaces (str.strip's spaces, \x1c-\x1f among them), and no NUL.
NAMED = r"^[^\x00]*[^\s\x00\x1c-\x1f][^\x00]*$"


# --- fleet side -------------------------------------------------------------------------


class ServicerListed(ServicerOut):
    service_types: list[ServiceType] = Field(description="The service types it offers.")
    partner: bool = Field(
        description="Whether the fleet works with it (quotes and orders may go to it); "
        "false for a servicer open to new fleets that the fleet does not work with yet."
    )


def _offered(request: HttpRequest, servicer_id: int) -> Servicer:
    """A servicer this fleet sees on its Servicers page, or 404."""
    servicer = queries.servicers_offered(request.org).filter(pk=servicer_id).first()
    if servicer is None:
        raise NotFound("Servicer not found.", field="servicer_id")
    return servicer


def _listed(request: HttpRequest, servicer: Servicer) -> Servicer:
    servicer.partner = request.org.servicers.filter(pk=servicer.pk).exists()
    return servicer


@router.get("/servicers", response=list[ServicerListed], auth=FLEET)
def list_servicers(request: HttpRequest):
    """The servicers this fleet works with (``partner`` true) and those open to new fleets.

    The same servicers as the fleet's Servicers page, by name, with their price lists.
    Quotes and orders go only to partners."""
    partners = set(request.org.servicers.values_list("pk", flat=True))
    rows = list(queries.servicers_offered(request.org))
    for servicer in rows:
        servicer.partner = servicer.pk in partners
    return rows


@router.post("/servicers/{servicer_id}/partnership", response=ServicerListed, auth=FLEET)
def start_partnership(request: HttpRequest, servicer_id: int):
    """The fleet starts working with a servicer open to new fleets (nothing changes if it
    already does). Another servicer is 404: the operator links those in the admin."""
    servicer = _offered(request, servicer_id)
    servicers.partnership_set(org=request.org, servicer=servicer, active=True)
    return _listed(request, servicer)


@router.delete("/servicers/{servicer_id}/partnership", response={204: None}, auth=FLEET)
def end_partnership(request: HttpRequest, servicer_id: int):
    """The fleet stops working with a servicer: new quotes can no longer go to it.

    Orders already placed with it carry on. Ending it twice is no error."""
    servicer = _offered(request, servicer_id)
    servicers.partnership_set(org=request.org, servicer=servicer, active=False)
    return Status(204, None)


# --- servicer side ----------------------------------------------------------------------


class ServicerKeyOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="The key's first characters, to tell keys apart.")
    created_at: datetime
    last_used_at: datetime | None = Field(description="Updated at most once a minute.")
    revoked_at: datetime | None = Field(description="Set once the key is revoked.")


class ServicerKeyCreated(ServicerKeyOut):
    key: str = Field(
        description="The key itself, sent as `Authorization: Bearer <key>`. Shown only in "
        "this answer: only a digest is stored, so keep it now."
    )


class ServicerKeyIn(Schema):
    name: CleanStr = Field(
        ...,
        min_length=1,
        max_length=80,
        pattern=NAMED,
        description="What the key is for (an integration, a workshop system).",
    )


def _keys(request: HttpRequest):
    return ServicerApiKey.objects.filter(servicer=request.servicer)


@router.get("/servicer/keys", response=list[ServicerKeyOut], auth=SERVICER)
def list_servicer_keys(request: HttpRequest):
    """The calling servicer's API keys, revoked ones included, newest first."""
    return list(_keys(request).order_by("-created_at", "-pk"))


@router.post(
    "/servicer/keys",
    response={201: ServicerKeyCreated},
    auth=SERVICER,
    openapi_extra={SECRET_ANSWER: True},
)
def create_servicer_key(request: HttpRequest, payload: ServicerKeyIn):
    """A new API key for the calling servicer; the answer holds the key, once.

    ``Idempotency-Key`` is not taken here: a kept answer would keep the key in clear."""
    key, raw = servicers.servicer_apikey_create(servicer=request.servicer, name=payload.name)
    key.key = raw
    return Status(201, key)


@router.delete("/servicer/keys/{key_id}", response={204: None}, auth=SERVICER)
def revoke_servicer_key(request: HttpRequest, key_id: int):
    """Revokes one of the calling servicer's keys at once; revoking it again is no error.

    A servicer may revoke the key it calls with; that key is refused from then on."""
    key = _keys(request).filter(pk=key_id).first()
    if key is None:
        raise NotFound("API key not found.", field="key_id")
    servicers.servicer_apikeys_revoke(keys=[key])
    return Status(204, None)
