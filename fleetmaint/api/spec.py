"""The OpenAPI document as the API answers: every error an operation can give, declared once.

The routers declare their successful answers; the errors are the same for
every operation of a kind, so they are added here when the document is built
instead of in each module. What is declared here is what ``api.errors`` and
``api.auth`` answer:

- 401 ``unauthorized`` for a missing or unknown key, 403 ``forbidden`` for the
  other kind of key or a read-only key, 429 ``too_many_attempts`` (with
  ``Retry-After``) after too many wrong keys: every operation that takes a key.
- 400 ``invalid``: every operation that reads a parameter or a body (django-ninja's
  own validation errors are answered as 400 in the envelope, never 422).
- 404 ``not_found``: every operation that names a record, in its path, an id
  parameter or a write's body.
- 409 ``conflict``: every operation that changes something.

Every POST also declares the ``Idempotency-Key`` header (``api.idempotency``), but one
whose answer holds a secret shown once (``SECRET_ANSWER``).
"""

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from fleetmaint.api.errors import ApiError
from fleetmaint.api.idempotency import OPENAPI_PARAMETER as IDEMPOTENCY_KEY
from fleetmaint.api.idempotency import SECRET_ANSWER

ERROR_SCHEMA_NAME = "ApiError"
_ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}
_SAFE = {"get", "head", "options"}
_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

_DESCRIPTIONS = {
    "400": "The input is invalid (`invalid`); `field` names the input at fault.",
    "401": "No API key, or one that is unknown or revoked (`unauthorized`).",
    "403": "The key may not do this (`forbidden`): a read-only key, or the other kind of key.",
    "404": "The record does not exist or is not the caller's (`not_found`).",
    "409": "The record's state does not allow this change (`conflict`).",
    "429": "Too many wrong keys from this address (`too_many_attempts`); retry later.",
}

_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "string"},
    }
}


class FleetApi(NinjaAPI):
    """A ``NinjaAPI`` whose OpenAPI document declares the errors its operations answer."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        declare_errors(schema)
        return schema


def declare_errors(schema: dict[str, Any]) -> None:
    """Add the error answers to every operation of ``schema``, in place."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR_SCHEMA_NAME] = ApiError.model_json_schema()
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            if method == "post" and not operation.get(SECRET_ANSWER):
                operation.setdefault("parameters", []).append(dict(IDEMPOTENCY_KEY))
            if method in _METHODS:
                _declare_operation_errors(method, operation)


def error_statuses(method: str, operation: dict[str, Any]) -> list[str]:
    """The error statuses this operation can answer, from its method, inputs and key."""
    statuses = []
    parameters = operation.get("parameters", [])
    if parameters or operation.get("requestBody"):
        statuses.append("400")
    if operation.get("security"):
        statuses += ["401", "403"]
    if _names_a_record(method, operation, parameters):
        statuses.append("404")
    if method not in _SAFE:
        statuses.append("409")
    if operation.get("security"):
        statuses.append("429")
    return statuses


def _names_a_record(method: str, operation: dict[str, Any], parameters: list[dict]) -> bool:
    """Whether the operation names a record: in its path, by an id parameter, or in a
    body that may refer to others (a write's body names vehicles, tasks, servicers)."""
    for parameter in parameters:
        name = parameter.get("name", "")
        if parameter.get("in") == "path" or name.endswith(("_id", "_ids")):
            return True
    return method not in _SAFE and "requestBody" in operation


def _declare_operation_errors(method: str, operation: dict[str, Any]) -> None:
    # One key per status: django-ninja writes ints, openapi_extra may write strings,
    # and both in one document are a duplicated key that the docs page refuses.
    responses: dict[str, Any] = {}
    for status, answer in operation.get("responses", {}).items():
        responses.setdefault(str(status), {}).update(answer)
    for status in error_statuses(method, operation):
        answer = responses.setdefault(status, {})
        answer.setdefault("description", _DESCRIPTIONS[status])
        answer.setdefault("content", {"application/json": {"schema": _ERROR_REF}})
        if status == "429":
            answer.setdefault("headers", _RETRY_AFTER)
    operation["responses"] = dict(sorted(responses.items()))
