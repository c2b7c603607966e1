"""Reading a /v2 request: its parameters, typed or as text, and the page it asks for.

Bodies and the JSON text of form fields are read with the one edge rule
(``fleetmaint.inputs.load_json``): bounded in size, depth and keys, with
storable text. What it refuses is ``ValidationFailed``, which the endpoints
answer as the vendor's "invalid parameters".
"""

import re

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest

from fleetmaint.errors import ValidationFailed
from fleetmaint.inputs import load_json

MAX_PAGE_VALUE = 2**31 - 1
# Whole numbers beyond a database integer are no id or count of ours.
MAX_INTEGER = 2**63 - 1
_INTEGER_TEXT = re.compile(r"^[+-]?\d{1,18}$")


class Params:
    """The request's parameters: JSON values, or text to be read the vendor's way.

    ``typed`` holds the values of a JSON body; ``text`` holds form fields and
    query parameters (the body's first, then the query's). A JSON ``null`` or
    an empty text counts as not given.
    """

    def __init__(self, typed: dict, text: dict[str, str]):
        self.typed = typed
        self.text = text

    def _raw(self, name: str) -> tuple[object, bool]:
        value = self.typed.get(name)
        if value is not None:
            return value, False
        value = self.text.get(name, "")
        return (value, True) if value != "" else (None, False)

    def string(self, name: str) -> str | None:
        value, _ = self._raw(name)
        if value is not None and not isinstance(value, str):
            raise ValidationFailed(f"{name} must be text.", field=name)
        return value

    def integer(self, name: str, *, required: bool = False) -> int | None:
        value, _ = self._raw(name)
        if value is None:
            if required:
                raise ValidationFailed(f"{name} is required.", field=name)
            return None
        return as_int(value, name)

    def boolean(self, name: str, default: bool) -> bool:
        value, is_text = self._raw(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if is_text and value.strip().lower() in {"true", "1"}:
            return True
        if is_text and value.strip().lower() in {"false", "0"}:
            return False
        raise ValidationFailed(f"{name} must be true or false.", field=name)

    def structure(self, name: str, kind: type, *, required: bool = False):
        """A JSON object (``kind=dict``) or array (``kind=list``), or None."""
        value, is_text = self._raw(name)
        what = "a JSON object" if kind is dict else "a JSON array"
        if value is None:
            if required:
                raise ValidationFailed(f"{name} is required.", field=name)
            return None
        if is_text:
            try:
                value = load_json(value)
            except ValidationFailed as error:
                raise ValidationFailed(
                    f"{name} must be {what}: {error.message}", field=name
                ) from None
        if not isinstance(value, kind):
            raise ValidationFailed(f"{name} must be {what}.", field=name)
        return value

    def int_list(self, name: str, *, required: bool = False) -> list[int] | None:
        values = self.structure(name, list, required=required)
        if values is None:
            return None
        return [as_int(v, name, text_allowed=False) for v in values]

    def string_list(self, name: str) -> list[str] | None:
        values = self.structure(name, list)
        if values is not None and not all(isinstance(v, str) for v in values):
            raise ValidationFailed(f"{name} must be a list of strings.", field=name)
        return values


def as_int(value: object, name: str, *, text_allowed: bool = True) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_INTEGER:
        return value
    if text_allowed and isinstance(value, str) and _INTEGER_TEXT.match(value.strip()):
        return int(value)
    raise ValidationFailed(f"{name} must be a whole number.", field=name)


def params_of(request: HttpRequest) -> Params:
    try:
        query = request.GET.dict()
        if request.method == "GET":
            return Params({}, query)
        if request.content_type == "application/json":
            body = load_json(request.body or b"{}")
            if not isinstance(body, dict):
                raise ValidationFailed("The request body must be a JSON object.")
            return Params(body, query)
        return Params({}, {**query, **request.POST.dict()})
    except SuspiciousOperation as error:
        # Too large a body or too many fields, as Django's limits say.
        raise ValidationFailed(f"The request is too large: {error}") from None


def page_of(params: Params) -> slice:
    limit, offset = params.integer("limit"), params.integer("offset") or 0
    for name, value in (("limit", limit), ("offset", offset)):
        if value is not None and not 0 <= value <= MAX_PAGE_VALUE:
            raise ValidationFailed(f"{name} must be between 0 and {MAX_PAGE_VALUE}.", field=name)
    return slice(offset, None if limit is None else offset + limit)
