"""Lookups every router needs, always scoped to the caller's organization, and the
answer of a list built from plain rows."""

import json
from dataclasses import dataclass
from typing import Annotated

from django.http import HttpRequest, HttpResponse
from ninja.responses import NinjaJSONEncoder
from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from fleetmaint import sql
from fleetmaint.tasks.sorting import SORT_OPTION_PATTERN
from fleetmaint.vehicles.models import Vehicle

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def find_vehicle(request: HttpRequest, vehicle_id: int) -> Vehicle | None:
    """The organization's vehicle with this id, or None for anyone else's."""
    return Vehicle.objects.for_org(request.org).select_related("org").filter(pk=vehicle_id).first()


def rows_response(data: object) -> HttpResponse:
    """A list answer built from plain rows, written as the API writes every answer.

    Lists skip the response schema's validation, which costs more than reading
    the rows: their items are built to the schema's shape (the operation keeps
    it for the OpenAPI document) and the tests hold each item equal to the
    same object read alone. The encoder is django-ninja's, so times and
    numbers are written exactly as in every other answer.
    """
    return HttpResponse(json.dumps(data, cls=NinjaJSONEncoder), content_type=JSON_CONTENT_TYPE)


# Lists write their many moments here, past the encoder's type checks.
json_moment = sql.json_moment_text


@dataclass(frozen=True)
class DocumentedPattern:
    """Writes ``pattern`` into a str field's JSON schema without validating by it.

    The field's own rule (a service's parser) refuses what does not match, in
    plain words; the pattern tells clients, and the schema fuzz, what it reads.
    """

    pattern: str

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["pattern"] = self.pattern
        return schema


# One option of a task list's ``sort`` (tasks.sorting reads it).
SortOption = Annotated[str, DocumentedPattern(SORT_OPTION_PATTERN)]
