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
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetJsonSchemaHandler,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
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
        elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
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


# --- typed inputs: pydantic models whose failures are plain ValidationFailed -------------

_WORDS = {
    "missing": "is required",
    "string_type": "must be text",
    "string_too_short": "is required",
    "string_too_long": "can be at most {max_length} characters",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_parsing_size": "must be a whole number",
    "int_from_float": "must be a whole number",
    "decimal_type": "must be a number",
    "decimal_parsing": "must be a number",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
    "list_type": "must be a list",
    "too_long": "can hold at most {max_length} items",
}


def plain_error(error: Any, prefix: str = "") -> ValidationFailed:
    """One of pydantic's errors as ValidationFailed: plain words and the field's path.

    A validator that has a whole sentence to say raises ``PydanticCustomError("plain",
    "The sentence.")``; it is used as it is.
    """
    loc = [str(part) for part in error["loc"] if not isinstance(part, int)]
    path = ".".join(part for part in (*prefix.split("."), *loc) if part)
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind == "plain":
        return ValidationFailed(error["msg"], field=path or None)
    if kind == "extra_forbidden":
        return ValidationFailed(f"Unknown field {path!r}.", field=path or None)
    if kind == "value_error":
        words = str(context.get("error", error["msg"]))
    elif kind in ("too_short", "too_long") and isinstance(error.get("input"), str):
        words = _WORDS[f"string_{kind}"].format(**context)
    elif error.get("input", "") is None and kind.endswith("_type"):
        words = "cannot be null"
    elif kind in _WORDS:
        words = _WORDS[kind].format(**context)
    else:
        words = error["msg"][:1].lower() + error["msg"][1:]
    return ValidationFailed(f"{path or 'The input'} {words}.", field=path or None)


class TypedInput(BaseModel):
    """A request's values, typed; a value that does not fit is ``ValidationFailed``.

    The one message names the field's path, so the API, the pages and the compat
    translators answer a wrong value alike, each in its own envelope. Unknown keys
    are refused. A wrong value is told before a missing one.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)
    path: ClassVar[str] = ""

    @model_validator(mode="wrap")
    @classmethod
    def _plain_errors(cls, data: Any, handler: Any) -> Any:
        try:
            return handler(data)
        except ValidationError as error:
            # ValidationFailed is no ValueError: pydantic lets it through every outer model.
            errors = sorted(error.errors(), key=lambda e: e["type"] == "missing")
            raise plain_error(errors[0], cls.path) from None

    def given(self) -> dict[str, Any]:
        """The fields the caller set, typed: what a partial update changes."""
        return {name: getattr(self, name) for name in self.model_fields_set}
