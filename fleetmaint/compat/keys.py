"""Finding the API key in the places vendor clients put it."""

from django.http import HttpRequest

from fleetmaint.accounts.models import ApiKey
from fleetmaint.accounts.services import apikey_authenticate


def bearer_token(request: HttpRequest, *schemes: str) -> str:
    """The token of ``Authorization: <scheme> <token>`` for any of the schemes, or ''."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() in {s.lower() for s in schemes}:
        return token.strip()
    return ""


def key_from(raw: str) -> ApiKey | None:
    """The organization key, or None; a readings-only key opens no vendor endpoint.

    The vendor envelopes have no "forbidden" of their own, so such a key is
    answered as a key they do not know.
    """
    key = apikey_authenticate(raw) if raw else None
    if key is not None and key.readings_only:
        return None
    return key
