"""Errors raised by services; every face (pages, API, compat) translates them.

A service raises one of these with a message written for the person or client
who made the request. ``field`` names the input at fault when there is one.
"""


class DomainError(Exception):
    code = "invalid"
    status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class ValidationFailed(DomainError):
    code = "invalid"
    status = 400


class NotFound(DomainError):
    code = "not_found"
    status = 404


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403


# What a route answers to a known key of the other kind (403 ``forbidden``), on the JSON
# API and on the servicer events of seed 001 alike (docs/api.md, "Keys").
FLEET_KEY_REFUSED = "This endpoint takes a servicer's API key."
SERVICER_KEY_REFUSED = "This endpoint takes an organization's API key."


class Conflict(DomainError):
    code = "conflict"
    status = 409


class ConfirmationRequired(DomainError):
    """The input is plausible only if the user confirms it (e.g. a large odometer jump)."""

    code = "confirmation_required"
    status = 400


class TooManyAttempts(DomainError):
    """Too many failures from one account or address: it must wait ``retry_after`` seconds."""

    code = "too_many_attempts"
    status = 429

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
