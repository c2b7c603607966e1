"""The API's error envelope and the handlers that write every error in it.

Errors always look like ``{"code": "...", "message": "...", "field": "..."}``:
``code`` is stable for a client to branch on, ``message`` is plain words for a
person, ``field`` names the input at fault (dotted path) or is null.
"""

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError

from fleetmaint.errors import DomainError, TooManyAttempts


class ApiError(Schema):
    """Every error the API answers."""

    code: str
    message: str
    field: str | None = None


# The same codes the services' errors use, so a client can branch on one field.
_CODES_BY_STATUS = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    429: "too_many_attempts",
}

_LOCATION_WORDS = {"body", "query", "path", "form", "payload", "data", "params"}


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    field: str | None = None,
) -> HttpResponse:
    return api.create_response(
        request, {"code": code, "message": message, "field": field}, status=status
    )


def schema_error_field_and_message(errors: list[dict]) -> tuple[str | None, str]:
    """The first of django-ninja's validation errors as a dotted field and a message."""
    first = errors[0] if errors else {}
    location = [str(part) for part in first.get("loc", ()) if str(part) not in _LOCATION_WORDS]
    field = ".".join(location) or None
    message = first.get("msg", "Invalid input.")
    if field:
        message = f"{field}: {message}"
    return field, message


def install(api: NinjaAPI) -> None:
    """Register the handlers that answer every error of ``api`` in the envelope."""

    def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return error_response(api, request, exc.status, exc.code, exc.message, exc.field or None)

    def on_too_many_attempts(request: HttpRequest, exc: TooManyAttempts) -> HttpResponse:
        response = error_response(api, request, exc.status, exc.code, exc.message)
        response["Retry-After"] = str(exc.retry_after)
        return response

    def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(
            api,
            request,
            401,
            "unauthorized",
            "Send a valid API key as 'Authorization: Bearer <key>'.",
        )

    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(api, request, 404, "not_found", str(exc) or "Not found.")

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc.__cause__, DomainError):
            # A body the parser refused: its plain message says what is wrong.
            return on_domain_error(request, exc.__cause__)
        code = _CODES_BY_STATUS.get(exc.status_code, "error")
        return error_response(api, request, exc.status_code, code, str(exc))

    def on_schema_error(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
        # django-ninja would answer 422 in its own shape; the API answers 400 ``invalid``
        # in the envelope, as for every other bad input.
        field, message = schema_error_field_and_message(exc.errors)
        return error_response(api, request, 400, "invalid", message, field)

    api.add_exception_handler(DomainError, on_domain_error)
    api.add_exception_handler(TooManyAttempts, on_too_many_attempts)
    api.add_exception_handler(AuthenticationError, on_authentication_error)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(SchemaValidationError, on_schema_error)
