"""Loose values (form fields, the vendor's form-encoded requests) made typed for the schedule,
and the rules a new interval's mileage and date follow in every face.

The services take ``int``, ``datetime`` and ``str``; these turn what a client
sent into those, or raise ``ScheduleInvalid`` with plain words and the reason
every face can map. The JSON API's bodies are typed by their schemas already.
"""

import zoneinfo
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fleetmaint import days
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


# --- what a new interval may be due at ----------------------------------------------------


def check_new_due(
    *,
    vehicle,
    mileage: int | None,
    moment: datetime | None,
    now: datetime,
    already_overdue: bool = False,
) -> None:
    """A new interval's mileage and date, as the vehicle and the fleet's calendar see them.

    The mileage lies ahead of the vehicle's current odometer (at it, the
    service is due at once). The date falls within ``days.HORIZON_YEARS`` of
    today; a day before today only when ``already_overdue`` confirms it.
    """
    odometer = vehicle.odometer
    if mileage is not None and odometer is not None and mileage < odometer:
        read_on = (
            f" (read on {days.local_day(vehicle.odometer_at, vehicle.org):%Y-%m-%d})"
            if vehicle.odometer_at
            else ""
        )
        raise ScheduleInvalid(
            Reason.BELOW_ODOMETER,
            field="odometer",
            message=f"The mileage cannot be below the vehicle's current odometer: "
            f"{vehicle.label} is at {odometer:,} {vehicle.distance_unit}{read_on}. "
            f"Give {odometer:,} or more.",
        )
    if moment is None:
        return
    if timezone.is_naive(moment):
        raise ScheduleInvalid(
            Reason.TIME_RANGE, field="time", message="The due date needs a time zone."
        )
    today = days.today(vehicle.org, now)
    day = days.local_day(moment, vehicle.org)
    if day > days.horizon(today):
        raise ScheduleInvalid(
            Reason.TIME_RANGE,
            field="time",
            message=f"The due date must be within {days.HORIZON_WORDS} from today, "
            f"by {days.horizon(today):%Y-%m-%d} at the latest.",
        )
    if day < today and not already_overdue:
        raise ScheduleInvalid(Reason.TIME_PAST, field="time")
    if day < days.horizon_start(today):
        raise ScheduleInvalid(
            Reason.TIME_RANGE,
            field="time",
            message=f"The due date must be within {days.HORIZON_WORDS} of today, "
            f"not before {days.horizon_start(today):%Y-%m-%d}.",
        )
