"""The JSON API at /api/v1/: authentication, the error envelope, and the routers.

Errors always look like ``{"code": "...", "message": "...", "field": "..."}``.

Two kinds of key open the API: an organization's key (the fleet's endpoints,
the default) and a servicer's key (the servicer side of service orders). An
endpoint says which kinds it takes with ``auth=ApiKeyAuth(...)``; the other
kind is refused with 403 ``forbidden``.
"""

import json

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer

from fleetmaint.accounts.models import ApiKey
from fleetmaint.accounts.services import apikey_authenticate
from fleetmaint.attempts import services as attempts
from fleetmaint.errors import DomainError, PermissionDenied, TooManyAttempts
from fleetmaint.orders.services import servicer_authenticate

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class ApiKeyAuth(HttpBearer):
    """``Authorization: Bearer <key>``; puts the key's organization or servicer on the request.

    An organization's key sets ``request.org`` (and ``request.servicer = None``);
    a servicer's key sets ``request.servicer`` (and ``request.org = None``).
    ``fleet`` and ``servicer`` say which kinds this endpoint takes.
    """

    openapi_description = (
        "An organization's API key, created on the settings page; the servicer side of "
        "service orders takes a servicer's API key instead."
    )

    def __init__(self, *, fleet: bool = True, servicer: bool = False) -> None:
        super().__init__()
        self.fleet = fleet
        self.servicer = servicer

    def authenticate(self, request: HttpRequest, token: str):
        # Wrong keys count against the caller's address (attempts.services).
        found = attempts.key_lookup(
            request, lambda: apikey_authenticate(token) or servicer_authenticate(token)
        )
        if isinstance(found, ApiKey):
            key = found
            if not self.fleet:
                raise PermissionDenied("This endpoint takes a servicer's API key.")
            if key.read_only and request.method not in SAFE_METHODS:
                raise PermissionDenied("This API key is read-only.")
            request.org = key.org
            request.api_key = key
            request.servicer = None
            return key
        servicer = found
        if servicer is None:
            return None
        if not self.servicer:
            raise PermissionDenied("This endpoint takes an organization's API key.")
        request.org = None
        request.api_key = None
        request.servicer = servicer
        return servicer


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


class StrictJsonParser(Parser):
    """JSON as RFC 8259 has it: NaN and Infinity are refused (400) instead of reaching
    a JSON column, which PostgreSQL would refuse with a server error."""

    def parse_body(self, request: HttpRequest):
        return json.loads(request.body, parse_constant=_refuse_constant)


api = NinjaAPI(
    title="fleetmaint API",
    version="1",
    description="Vehicles, readings and everything fleetmaint keeps, for other systems.",
    auth=ApiKeyAuth(),
    parser=StrictJsonParser(),
    urls_namespace="api",
)


def error_response(
    request: HttpRequest, status: int, code: str, message: str, field: str | None = None
) -> HttpResponse:
    return api.create_response(
        request, {"code": code, "message": message, "field": field}, status=status
    )


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error_response(request, exc.status, exc.code, exc.message, exc.field)


@api.exception_handler(TooManyAttempts)
def on_too_many_attempts(request: HttpRequest, exc: TooManyAttempts) -> HttpResponse:
    response = error_response(request, exc.status, exc.code, exc.message)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        request, 401, "unauthorized", "Send a valid API key as 'Authorization: Bearer <key>'."
    )


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", str(exc) or "Not found.")


# The same codes the services' errors use, so a client can branch on one field.
_CODES_BY_STATUS = {400: "invalid", 401: "unauthorized", 403: "forbidden", 404: "not_found"}


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = _CODES_BY_STATUS.get(exc.status_code, "error")
    return error_response(request, exc.status_code, code, str(exc))


_LOCATION_WORDS = {"body", "query", "path", "form", "payload", "data", "params"}


@api.exception_handler(SchemaValidationError)
def on_schema_error(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    location = [str(part) for part in first.get("loc", ()) if str(part) not in _LOCATION_WORDS]
    field = ".".join(location) or None
    message = first.get("msg", "Invalid input.")
    if field:
        message = f"{field}: {message}"
    return error_response(request, 400, "invalid", message, field)


def _register_routers() -> None:
    from fleetmaint.api import contracts, intervals, orders, tasks, vehicles

    api.add_router("", vehicles.router)
    api.add_router("", intervals.router)
    api.add_router("", tasks.router)
    api.add_router("", orders.router)
    api.add_router("", contracts.router)
    from fleetmaint.api import reports  # the service works report (seed 004 download)

    api.add_router("", reports.router)
    api.add_router("", "fleetmaint.api.history.router")


_register_routers()
