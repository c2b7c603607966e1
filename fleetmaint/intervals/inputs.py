"""Loose values (form fields, the vendor's form-encoded requests) made typed for the schedule.

The services take ``int``, ``datetime`` and ``str``; these turn what a client
sent into those, or raise ``ScheduleInvalid`` with plain words and the reason
every face can map. The JSON API's bodies are typed by their schemas already.
"""

import zoneinfo
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fleetmaint.inputs import text_problem
from fleetmaint.intervals.models import MAX_MILEAGE
from fleetmaint.intervals.refusals import Reason, ScheduleInvalid

# Above this a Unix timestamp is read as milliseconds.
_MILLISECONDS_FROM = 10**11
_MAX_DIGITS = 40  # no sensible number or timestamp is longer; refuse before Decimal works


def _blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


def parse_odometer(raw: object) -> int | None:
    """A whole number of distance from 0 to the limit, or None when none was given."""
    if _blank(raw):
        return None
    refused = ScheduleInvalid(Reason.ODOMETER_RANGE, field="odometer")
    if isinstance(raw, bool) or not isinstance(raw, int | str | Decimal):
        raise refused
    text = str(raw).strip()
    if len(text) > _MAX_DIGITS:
        raise refused
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise refused from None
    if not number.is_finite() or number != number.to_integral_value():
        raise refused
    if not 0 <= number <= MAX_MILEAGE:
        raise refused
    return int(number)


def parse_time(raw: object, time_zone: str) -> datetime | None:
    """A Unix timestamp (seconds, or milliseconds above 10^11) or an ISO 8601 datetime.

    An ISO datetime without an offset is read in ``time_zone``, the fleet's.
    """
    if _blank(raw):
        return None
    if isinstance(raw, datetime):
        moment = raw
    elif isinstance(raw, int | str) and not isinstance(raw, bool):
        text = str(raw).strip()
        moment = _from_timestamp(text) or _from_iso(text)
        if moment is None:
            raise ScheduleInvalid(
                Reason.TIME_RANGE, field="time", message="The due date is not a date and time."
            )
    else:
        raise ScheduleInvalid(
            Reason.TIME_RANGE, field="time", message="The due date is not a date and time."
        )
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(time_zone))
    return moment


def _from_timestamp(text: str) -> datetime | None:
    if len(text) > _MAX_DIGITS:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    seconds = number / 1000 if abs(number) > _MILLISECONDS_FROM else number
    try:
        return datetime.fromtimestamp(float(seconds), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _from_iso(text: str) -> datetime | None:
    if text_problem(text):
        return None
    try:
        return parse_datetime(text.replace(" ", "T", 1) if "T" not in text else text)
    except ValueError:
        return None


def parse_identifier(raw: object) -> int:
    """A positive interval id; zero, missing or malformed is refused."""
    refused = ScheduleInvalid(Reason.IDENTIFIER, field="id")
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise refused
    text = str(raw).strip()
    if not text.isascii() or len(text) > _MAX_DIGITS:
        raise refused
    try:
        number = int(text)
    except ValueError:
        raise refused from None
    if number <= 0:
        raise refused
    return number
