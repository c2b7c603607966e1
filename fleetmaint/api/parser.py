"""How the API reads a JSON body: the one edge rule of ``fleetmaint.inputs``."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.parser import Parser

from fleetmaint.inputs import JsonBounds, load_json
from fleetmaint.vehicles.readings import BULK_READINGS_LIMIT

# A bulk upload is the API's largest body: its list may be longer than the default
# bound, so that one item too many is refused by the upload's own rule, with its
# field, instead of by the parser.
# Text is left to the fields' rules (CleanStr), so a bulk upload reports a bad text
# on its item and stores the others.
API_BOUNDS = JsonBounds(
    max_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 5_000_000,
    max_keys=2 * BULK_READINGS_LIMIT,
    check_text=False,
)


class StrictJsonParser(Parser):
    """JSON as RFC 8259 has it, bounded in size, depth and keys.

    NaN and Infinity are refused (400) instead of reaching a JSON column, which
    PostgreSQL would refuse with a server error. django-ninja wraps what this
    raises in a 400 ``HttpError``; the error handlers answer with the cause's
    plain message (``api.errors``).
    """

    def parse_body(self, request: HttpRequest) -> Any:
        return load_json(request.body, API_BOUNDS)
