"""Rules every face applies to input before it reaches a service or the database.

Text must be text PostgreSQL can store and a person can read: no NUL byte and
no lone surrogate (half of a UTF-16 pair, which cannot be encoded as UTF-8).
JSON bodies are bounded in nesting, keys and string length, so a hostile body
costs a quick 4xx instead of a deep recursion or a huge row.

Each check raises ``ValidationFailed`` with a plain message and the field's
path; the compat faces turn it into their vendor's envelope.
"""

import json
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, GetJsonSchemaHandler, WithJsonSchema
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from fleetmaint.errors import ValidationFailed


@dataclass(frozen=True)
class JsonBounds:
    """How big a JSON body may be; the defaults hold every body a real client sends."""

    max_bytes: int = 1_000_000
    max_depth: int = 32
    max_keys: int = 1_000  # keys of one object, and items of one array
    max_key_length: int = 200
    max_string_length: int = 100_000
    # False leaves text to the fields' own rules (CleanStr, clean_text), for a body
    # whose items report their errors one by one (the API's bulk readings).
    check_text: bool = True


DEFAULT_BOUNDS = JsonBounds()


def text_problem(value: str) -> str | None:
    """Why this text cannot be stored, or None when it can."""
    if "\x00" in value:
        return "must not contain a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text"
    return None


def clean_text(value: str, *, field: str) -> str:
    """The text as given, or ValidationFailed naming ``field`` when it cannot be stored."""
    problem = text_problem(value)
    if problem:
        raise ValidationFailed(f"{field} {problem}.", field=field)
    return value


def _pydantic_clean(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


class _NoNulInSchema:
    """Says in the field's JSON schema (the API's OpenAPI document) that a NUL is refused.

    Lone surrogates need no word there: JSON text from a UTF-8 body cannot hold one.
    """

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema.setdefault("pattern", NO_NUL_PATTERN)
        return schema


NO_NUL_PATTERN = r"^[^\x00]*$"

# A str field of a request schema that refuses NUL bytes and lone surrogates.
CleanStr = Annotated[str, AfterValidator(_pydantic_clean), _NoNulInSchema()]


def Amount(high: Decimal, places: int) -> Any:  # a type, read as one
    """A decimal from 0 to ``high``, rounded to ``places``: a JSON number or decimal text.

    Text keeps a client's exact digits ("12.50"). The document states both forms
    with their bounds, and the text's pattern allows only what is taken: below
    ``high``'s leading power of ten, or, when ``high`` is all nines (9999.99), up
    to it with no more than ``places`` decimals, so rounding cannot pass it.
    """
    digits = len(str(int(high)))
    step = Decimal(1).scaleb(-places)
    if high == 10**digits - step:
        decimals = places
    else:
        digits, decimals = digits - 1, 9
    pattern = rf"^[0-9]{{1,{digits}}}(\.[0-9]{{1,{decimals}}})?$"

    def read(value: Any) -> Decimal:
        if isinstance(value, str) and re.fullmatch(pattern, value):
            amount = Decimal(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            try:
                amount = Decimal(str(value))
            except InvalidOperation:
                amount = Decimal("NaN")
        else:
            raise ValueError(f"must be a number from 0 to {high}")
        if not amount.is_finite() or amount < 0 or amount > high:
            raise ValueError(f"must be a number from 0 to {high}")
        return amount.quantize(step, rounding=ROUND_HALF_UP)

    return Annotated[
        Decimal,
        BeforeValidator(read),
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "number", "minimum": 0, "maximum": float(high)},
                    {"type": "string", "pattern": pattern},
                ]
            }
        ),
    ]


def check_json(value: Any, bounds: JsonBounds = DEFAULT_BOUNDS, *, path: str = "") -> None:
    """Raise ValidationFailed (with the path at fault) when parsed JSON breaks ``bounds``.

    Walks with an explicit stack, so the check itself cannot recurse too deep.
    """
    stack: list[tuple[Any, str, int]] = [(value, path, 1)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, dict | list) and depth > bounds.max_depth:
            raise ValidationFailed(
                f"The JSON is nested more than {bounds.max_depth} levels deep.", field=where
            )
        if isinstance(item, dict):
            if len(item) > bounds.max_keys:
                raise ValidationFailed(
                    f"An object has more than {bounds.max_keys} keys.", field=where
                )
            for key, child in item.items():
                child_path = f"{where}.{key}" if where else str(key)
                if len(key) > bounds.max_key_length:
                    raise ValidationFailed(
                        f"A key is longer than {bounds.max_key_length} characters.",
                        field=where,
                    )
                if bounds.check_text:
                    clean_text(key, field=where or "key")
                stack.append((child, child_path, depth + 1))
        elif isinstance(item, list):
            if len(item) > bounds.max_keys:
                raise ValidationFailed(
                    f"A list has more than {bounds.max_keys} items.", field=where
                )
            stack.extend((child, f"{where}[{i}]", depth + 1) for i, child in enumerate(item))
        elif isinstance(item, str):
            if len(item) > bounds.max_string_length:
                raise ValidationFailed(
                    f"A text is longer than {bounds.max_string_length} characters.",
                    field=where,
                )
            if bounds.check_text:
                clean_text(item, field=where or "value")


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def load_json(body: bytes | str, bounds: JsonBounds = DEFAULT_BOUNDS) -> Any:
    """Parse a request body as strict JSON (no NaN or Infinity) within ``bounds``.

    Raises ValidationFailed with a plain message for a body that is too large,
    not JSON, nested too deep or holding text that cannot be stored.
    """
    if len(body) > bounds.max_bytes:
        raise ValidationFailed(f"The body is larger than {bounds.max_bytes} bytes.")
    try:
        value = json.loads(body, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValidationFailed(
            f"The JSON is nested more than {bounds.max_depth} levels deep."
        ) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ValidationFailed(f"The body is not valid JSON: {error}.") from None
    check_json(value, bounds)
    return value
