"""Contract values as a client sends them, made typed before a service sees them.

The JSON API's bodies, the contract form's cleaned data and the demo data all
pass through ``contract_values``: text stripped and bounded (no NUL, no lone
surrogate), dates as ``date``, distances as ``int``, the price as ``Decimal``,
covered services as a list of short texts. Each refusal names its field.
"""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_date

from fleetmaint.contracts.models import ContractStatus, ContractType
from fleetmaint.errors import ValidationFailed
from fleetmaint.inputs import text_problem

TEXT_LIMITS = {"number": 60, "provider": 120, "description": 255, "currency": 3}
MAX_DISTANCE = 10_000_000
MAX_PRICE = Decimal("9999999999.99")
MAX_SERVICES = 100
FIELDS = (
    "contract_type",
    "number",
    "provider",
    "description",
    "start_date",
    "end_date",
    "start_odometer",
    "distance_limit",
    "price",
    "currency",
    "covered_services",
    "terms",
    "status",
)


def contract_values(raw: Mapping[str, object]) -> dict[str, object]:
    """The given fields, each typed and checked; an unknown field is refused."""
    unknown = set(raw) - set(FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise ValidationFailed(f"Unknown field {name!r}.", field=name)
    return {name: clean_value(name, value) for name, value in raw.items()}


def clean_value(name: str, value: object) -> object:
    if name == "contract_type":
        if value not in ContractType.values:
            raise ValidationFailed(
                f"contract_type must be one of {', '.join(ContractType.values)}.", field=name
            )
        return value
    if name == "status":
        if value not in (ContractStatus.DRAFT, ContractStatus.ACTIVE):
            raise ValidationFailed(
                "status can be set to draft or active; cancel a contract with its own action.",
                field=name,
            )
        return value
    if name in TEXT_LIMITS or name == "terms":
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ValidationFailed(f"{name} must be text.", field=name)
        value = value.strip()
        if "\x00" in value:
            raise ValidationFailed(f"{name} cannot contain NUL characters.", field=name)
        if text_problem(value):
            raise ValidationFailed(f"{name} must be valid Unicode text.", field=name)
        limit = TEXT_LIMITS.get(name, 20_000)
        if len(value) > limit:
            raise ValidationFailed(f"{name} can be at most {limit} characters.", field=name)
        if (
            name == "currency"
            and value
            and not (len(value) == 3 and value.isalpha() and value.isascii())
        ):
            raise ValidationFailed("currency must be a three-letter ISO 4217 code.", field=name)
        return value.upper() if name == "currency" else value
    if name in ("start_date", "end_date"):
        return _date(value, name)
    if name in ("start_odometer", "distance_limit"):
        return _whole(value, name)
    if name == "price":
        return _price(value)
    if name == "covered_services":
        return _services(value)
    raise ValidationFailed(f"Unknown field {name!r}.", field=name)


def _date(value: object, name: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        parsed = parse_date(value.strip()) if isinstance(value, str) else None
    except ValueError:  # well formed but not a day of the calendar (2030-02-30)
        parsed = None
    if parsed is None:
        raise ValidationFailed(f"{name} must be a date like 2027-03-31.", field=name)
    return parsed


def _whole(value: object, name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationFailed(f"{name} must be a whole number.", field=name)
    try:
        number = int(value)
    except ValueError:
        raise ValidationFailed(f"{name} must be a whole number.", field=name) from None
    if number < 0:
        raise ValidationFailed(f"{name} cannot be negative.", field=name)
    if number > MAX_DISTANCE:
        raise ValidationFailed(f"{name} can be at most {MAX_DISTANCE:,}.", field=name)
    return number


def _price(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationFailed("price must be an amount.", field="price")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValidationFailed("price must be an amount.", field="price") from None
    if not amount.is_finite() or amount < 0 or amount > MAX_PRICE:
        raise ValidationFailed("price must be a positive amount.", field="price")
    return amount.quantize(Decimal("0.01"))


def _services(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [part for part in value.replace("\n", ",").split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationFailed(
            "covered_services must be a list of service codes or texts.", field="covered_services"
        )
    cleaned = []
    for item in value:
        item = item.strip()
        if item and item not in cleaned:
            if len(item) > 120 or text_problem(item):
                raise ValidationFailed(
                    "Each covered service can be at most 120 characters.",
                    field="covered_services",
                )
            cleaned.append(item)
    if len(cleaned) > MAX_SERVICES:
        raise ValidationFailed(
            f"At most {MAX_SERVICES} covered services.", field="covered_services"
        )
    return cleaned
