"""The key that manages an organization's webhooks and people: a full organization key.

An organization key acts as the fleet's admin for these resources, so a
read-only or readings-only key is refused with 403 ``forbidden``, even for reads
(webhook URLs and member addresses are the admin's business).
"""

from django.http import HttpRequest

from fleetmaint.accounts.models import ApiKey
from fleetmaint.api.auth import ApiKeyAuth
from fleetmaint.errors import PermissionDenied


class AdminKeyAuth(ApiKeyAuth):
    openapi_description = (
        "A full organization API key (not read-only, not readings-only); it acts as the "
        "organization's admin."
    )

    def _as_fleet(self, request: HttpRequest, key: ApiKey) -> ApiKey:
        key = super()._as_fleet(request, key)
        if key.read_only:
            raise PermissionDenied("Only a full API key manages webhooks and members.")
        return key
