"""``Idempotency-Key`` on the API's POSTs: a retry gets the first answer instead of new work.

Installed once for every operation (``api.add_decorator(idempotent, mode="view")``
in ``api.main``); the operations that answer POST take part, the others are
left as they are. The key is read after the caller's API key is checked (a
request without a valid key is refused as before), then claimed in
``idempotency.services`` before the operation runs:

- a new key: the operation runs; a 2xx or 4xx answer is stored with its
  status, body and headers; a 5xx answer (or an exception) gives the key back
  so a retry can succeed;
- the same key with the same method, path and body within 24 hours: the stored
  answer again, with ``Idempotent-Replayed: true``, and nothing is done;
- the same key with another request: 409 ``conflict``;
- the same key while its first request is still running: 409 ``conflict``
  (the client retries a moment later and then gets the answer).

An operation whose answer holds a secret shown once (a new API key) says
``openapi_extra={SECRET_ANSWER: True}``: it keeps no answer, since a stored
answer would keep the secret in clear, and the header is not declared on it.

django-ninja checks the key inside ``Operation.run``; to claim after that check
and before the body is read, the wrapper also wraps the operation's
``_run_checks`` (django-ninja 1.x). ``tests/api/test_idempotency.py`` holds both
orders: a wrong API key is refused before any claim, a claim before any work.
"""

import functools
import hashlib
import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.http.request import RawPostDataException
from django.http.response import HttpResponseBase
from ninja.operation import Operation

from fleetmaint.idempotency import services
from fleetmaint.idempotency.models import MAX_KEY_LENGTH, StoredAnswer

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

MESSAGES = {
    "mismatch": "This Idempotency-Key was used with a different request body.",
    "in_progress": (
        "A request with this Idempotency-Key is still in progress; "
        "retry in a moment to get its answer."
    ),
}

# Visible ASCII, as the OpenAPI document says (``api.spec``): a UUID, a hash, a name.
KEY_PATTERN = rf"^[\x21-\x7e]{{1,{MAX_KEY_LENGTH}}}$"
_KEY = re.compile(KEY_PATTERN)

# The parameter every POST declares in the OpenAPI document (``api.spec``).
OPENAPI_PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe: the same key with the same request within 24 hours answers "
        "the first answer again (with `Idempotent-Replayed: true`) without doing the work "
        "twice. The same key with another body, or while the first request is still "
        "running, answers 409 `conflict`. Answers 5xx are not kept."
    ),
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_KEY_LENGTH,
        "pattern": KEY_PATTERN,
    },
}

Run = Callable[..., HttpResponseBase]

# Marks an operation whose answer holds a secret shown once: no Idempotency-Key there.
SECRET_ANSWER = "x-secret-answer"


def idempotent(run: Run) -> Run:
    """Wraps an operation's ``run`` so that its POSTs honour ``Idempotency-Key``."""
    operation: Operation | None = getattr(run, "__self__", None)
    if operation is None or "POST" not in operation.methods:
        return run
    if (operation.openapi_extra or {}).get(SECRET_ANSWER):
        return run
    checks = operation._run_checks

    def run_checks(request: HttpRequest) -> HttpResponse | None:
        # After the key check, so the answer is the caller's: claim, or answer at once.
        refused = checks(request)
        if refused is not None or getattr(request, "idempotency_key", None) is None:
            return refused
        return _begin(operation, request)

    operation._run_checks = run_checks  # type: ignore[method-assign]

    @functools.wraps(run)
    def run_once(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
        key = request.headers.get(HEADER) if request.method == "POST" else None
        if key is None:
            return run(request, **kwargs)
        request.idempotency_key = key
        request.idempotency_claim = None
        try:
            response = run(request, **kwargs)
        except BaseException:
            _release(request)
            raise
        claimed: StoredAnswer | None = request.idempotency_claim
        if claimed is not None:
            if response.status_code >= 500 or not isinstance(response, HttpResponse):
                services.release(claimed)
            else:
                services.complete(
                    claimed,
                    status=response.status_code,
                    body=bytes(response.content),
                    headers=dict(response.items()),
                )
        return response

    return run_once


def _release(request: HttpRequest) -> None:
    claimed = getattr(request, "idempotency_claim", None)
    if claimed is not None:
        services.release(claimed)


def _begin(operation: Operation, request: HttpRequest) -> HttpResponse | None:
    """Claims the request's key; None lets the operation run, else the answer to give."""
    key: str = request.idempotency_key
    if _KEY.fullmatch(key) is None:
        return _error(
            operation,
            request,
            400,
            "invalid",
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} visible ASCII characters, without spaces.",
        )
    found = services.claim(
        key=key,
        fingerprint=services.fingerprint(request.method, request.get_full_path(), _digest(request)),
        api_key=getattr(request, "api_key", None),
        servicer=getattr(request, "servicer", None),
    )
    if found.outcome == "new":
        request.idempotency_claim = found.answer
        return None
    if found.outcome == "replay":
        return _replay(found.answer)
    return _error(operation, request, 409, "conflict", MESSAGES[found.outcome])


def _replay(answer: StoredAnswer) -> HttpResponse:
    response = HttpResponse(bytes(answer.body), status=answer.status)
    for name, value in answer.headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def _error(
    operation: Operation, request: HttpRequest, status: int, code: str, message: str
) -> HttpResponse:
    return operation.api.create_response(
        request, {"code": code, "message": message, "field": HEADER}, status=status
    )


def _digest(request: HttpRequest) -> str:
    """SHA-256 of the body; of the form fields and files when the body is too big to hold."""
    try:
        return hashlib.sha256(request.body).hexdigest()
    except (RawPostDataException, RequestDataTooBig):
        pass
    digest = hashlib.sha256()
    for name, values in sorted(request.POST.lists()):
        digest.update(repr((name, values)).encode())
    for name, files in sorted(request.FILES.lists()):
        for upload in files:
            digest.update(repr((name, upload.name, upload.size)).encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.hexdigest()
