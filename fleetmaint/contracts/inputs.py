"""What a contract is made of, as typed input: the one shape every face fills in.

The JSON API takes these models as request bodies (``ContractInput`` to create
or replace, ``ContractChanges`` for a partial update), the contract form builds
them from its cleaned data and the demo data from plain values. The services
then only see typed values: ``ContractType``, ``date``, ``int``, ``Decimal``
and a checked list of covered services. A value that does not fit is
``ValidationFailed`` with a plain message naming the field.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from django.utils.dateparse import parse_date
from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from fleetmaint.contracts.models import ContractStatus, ContractType
from fleetmaint.inputs import NO_NUL_PATTERN, Amount, CleanStr, TypedInput, text_problem

MAX_DISTANCE = 10_000_000
MAX_PRICE = Decimal("9999999999.99")
MAX_SERVICES = 100
MAX_SERVICE_TEXT = 120
MAX_TERMS = 20_000
# The text fields a form or a client may leave out or blank.
SOME_TEXT = r"^[^\x00]*\S[^\x00]*$"


def _plain(words: str) -> PydanticCustomError:
    return PydanticCustomError("plain", words)


# --- value types ----------------------------------------------------------------------


def _choice(value: Any) -> Any:
    if isinstance(value, ContractType):
        return value
    if not isinstance(value, str) or value not in ContractType.values:
        raise _plain(f"contract_type must be one of {', '.join(ContractType.values)}.")
    return ContractType(value)


def _settable_status(value: Any) -> Any:
    if value not in (ContractStatus.DRAFT, ContractStatus.ACTIVE):
        raise _plain("status can be set to draft or active; cancel a contract with its own action.")
    return ContractStatus(value)


def _day(value: Any) -> Any:
    """A calendar day, written as one (2027-03-31); numbers are no dates."""
    if value is None or isinstance(value, date):
        return value
    parsed = None
    if isinstance(value, str):
        try:
            parsed = parse_date(value.strip())
        except ValueError:  # well formed but not a day of the calendar (2030-02-30)
            parsed = None
    if parsed is None:
        raise PydanticCustomError("date_format", "must be a date like 2027-03-31")
    return parsed


def _required_day(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError("required", "is required")
    return _day(value)


def _whole(value: Any) -> Any:
    # true is not 1.
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise PydanticCustomError("whole", "must be a whole number")
    return value


def _distance_range(value: int | None) -> int | None:
    if value is not None and value < 0:
        raise PydanticCustomError("negative", "cannot be negative")
    if value is not None and value > MAX_DISTANCE:
        raise PydanticCustomError("too_far", f"can be at most {MAX_DISTANCE:,}")
    return value


def _currency(value: str) -> str:
    if value and not (len(value) == 3 and value.isalpha() and value.isascii()):
        raise _plain("currency must be a three-letter ISO 4217 code.")
    return value.upper()


def _services_shape(value: Any) -> Any:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _plain("covered_services must be a list of service codes or texts.")
    if len(value) > MAX_SERVICES:
        raise _plain(f"At most {MAX_SERVICES} covered services.")
    return value


def _services(value: list[str]) -> list[str]:
    cleaned: list[str] = []
    for item in value:
        item = item.strip()
        if len(item) > MAX_SERVICE_TEXT or text_problem(item):
            raise _plain(f"Each covered service can be at most {MAX_SERVICE_TEXT} characters.")
        if item and item not in cleaned:
            cleaned.append(item)
    return cleaned


def Text(limit: int, *, required: bool = False) -> Any:  # a type, read as one
    said = {"maxLength": limit}
    if required:
        said.update(minLength=1, pattern=SOME_TEXT)
    return Annotated[
        CleanStr,
        StringConstraints(strip_whitespace=True, min_length=int(required), max_length=limit),
        Field(json_schema_extra=said),
    ]


Day = Annotated[
    date,
    BeforeValidator(_required_day),
    WithJsonSchema({"type": "string", "format": "date"}),
]
OptionalDay = Annotated[
    date | None,
    BeforeValidator(_day),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]}),
]
Distance = Annotated[
    int | None,
    BeforeValidator(_whole),
    AfterValidator(_distance_range),
    WithJsonSchema(
        {"anyOf": [{"type": "integer", "minimum": 0, "maximum": MAX_DISTANCE}, {"type": "null"}]}
    ),
]
Kind = Annotated[
    ContractType,
    BeforeValidator(_choice),
    WithJsonSchema({"type": "string", "enum": list(ContractType.values)}),
]
SettableStatus = Annotated[
    ContractStatus,
    BeforeValidator(_settable_status),
    WithJsonSchema({"type": "string", "enum": [ContractStatus.DRAFT, ContractStatus.ACTIVE]}),
]
Currency = Annotated[
    CleanStr,
    StringConstraints(strip_whitespace=True, max_length=3),
    AfterValidator(_currency),
    Field(json_schema_extra={"pattern": "^([A-Za-z]{3})?$"}),
]
CoveredServices = Annotated[
    list[str],
    BeforeValidator(_services_shape),
    AfterValidator(_services),
    WithJsonSchema(
        {
            "type": "array",
            "maxItems": MAX_SERVICES,
            "items": {"type": "string", "maxLength": MAX_SERVICE_TEXT, "pattern": NO_NUL_PATTERN},
        }
    ),
]


# --- the contract ----------------------------------------------------------------------


class ContractChanges(TypedInput):
    """Some of a contract's values: a partial update changes the ones given (``given()``)."""

    contract_type: Kind = None
    number: Text(60, required=True) = None
    provider: Text(120) = ""
    description: Text(255) = ""
    start_date: Day = None
    end_date: OptionalDay = None
    start_odometer: Distance = Field(None, description="Left out: the vehicle's odometer.")
    distance_limit: Distance = Field(None, description="Coverage ends after this distance.")
    price: Amount(MAX_PRICE, 2) | None = None
    currency: Currency = Field("", description="Left out: the organization's currency.")
    covered_services: CoveredServices = Field(
        default_factory=list, description="Catalogue codes (oil-change) or short texts."
    )
    terms: Text(MAX_TERMS) = ""
    status: SettableStatus = ContractStatus.ACTIVE


class ContractInput(ContractChanges):
    """A whole contract: what a create sets and a replacement puts in place of every value."""

    contract_type: Kind
    number: Text(60, required=True)
    start_date: Day


FIELDS = tuple(ContractInput.model_fields)
