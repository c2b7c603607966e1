"""Who is calling the JSON API: an organization's key or a servicer's key.

Two kinds of key open the API: an organization's key (the fleet's endpoints,
the default) and a servicer's key (the servicer side of service orders). An
endpoint says which kinds it takes with ``auth=ApiKeyAuth(...)``; the other
kind is refused with 403 ``forbidden``.
"""

from django.http import HttpRequest
from ninja.security import HttpBearer

from fleetmaint.accounts.models import ApiKey
from fleetmaint.accounts.services import apikey_authenticate
from fleetmaint.attempts import services as attempts
from fleetmaint.errors import FLEET_KEY_REFUSED, SERVICER_KEY_REFUSED, PermissionDenied
from fleetmaint.orders.models import Servicer
from fleetmaint.orders.servicers import servicer_authenticate

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class ApiKeyAuth(HttpBearer):
    """``Authorization: Bearer <key>``; puts the key's organization or servicer on the request.

    An organization's key sets ``request.org`` (and ``request.servicer = None``);
    a servicer's key sets ``request.servicer`` (and ``request.org = None``).
    ``fleet`` and ``servicer`` say which kinds this endpoint takes; ``readings``
    lets a readings-only organization key in (refused everywhere else).
    """

    openapi_description = (
        "An organization's API key, created on the settings page; the servicer side of "
        "service orders takes a servicer's API key instead."
    )

    def __init__(
        self, *, fleet: bool = True, servicer: bool = False, readings: bool = False
    ) -> None:
        super().__init__()
        self.fleet = fleet
        self.servicer = servicer
        # Whether a readings-only key opens this endpoint (the telematics ingest alone).
        self.readings = readings

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | Servicer | None:
        # Wrong keys count against the caller's address (attempts.services).
        found = attempts.key_lookup(
            request, lambda: apikey_authenticate(token) or servicer_authenticate(token)
        )
        if isinstance(found, ApiKey):
            return self._as_fleet(request, found)
        if found is None:
            return None
        return self._as_servicer(request, found)

    def _as_fleet(self, request: HttpRequest, key: ApiKey) -> ApiKey:
        if not self.fleet:
            raise PermissionDenied(FLEET_KEY_REFUSED)
        if key.read_only and request.method not in SAFE_METHODS:
            raise PermissionDenied("This API key is read-only.")
        if key.readings_only and not self.readings:
            raise PermissionDenied("This API key only sends readings to the telematics ingest.")
        request.org = key.org
        request.api_key = key
        request.servicer = None
        return key

    def _as_servicer(self, request: HttpRequest, servicer: Servicer) -> Servicer:
        if not self.servicer:
            raise PermissionDenied(SERVICER_KEY_REFUSED)
        request.org = None
        request.api_key = None
        request.servicer = servicer
        return servicer
