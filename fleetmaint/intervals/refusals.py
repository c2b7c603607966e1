"""Why the maintenance schedule refuses a request: plain words and a stable reason.

``reason`` is for machines: the vendor-compatible endpoints map it to the
vendor's own texts (``compat/voyo.py``). The API's ``code`` stays the
family's (``invalid``, ``not_found``) and ``message`` is for a person.
"""

from enum import StrEnum

from fleetmaint.days import HORIZON_WORDS
from fleetmaint.errors import NotFound, ValidationFailed
from fleetmaint.intervals.models import MAX_MILEAGE, MAX_NOTES


class Reason(StrEnum):
    VEHICLE_UNKNOWN = "vehicle_unknown"
    INTERVAL_UNKNOWN = "interval_unknown"
    IDENTIFIER = "identifier"
    ODOMETER_RANGE = "odometer_range"
    TIME_RANGE = "time_range"
    TIME_PAST = "time_past"
    BELOW_ODOMETER = "below_odometer"
    NO_BASIS = "no_basis"
    NOTES_TOO_LONG = "notes_too_long"


MESSAGES = {
    Reason.VEHICLE_UNKNOWN: "There is no such vehicle in this fleet.",
    Reason.INTERVAL_UNKNOWN: "There is no open service interval with that id.",
    Reason.IDENTIFIER: "Give the interval's id, a whole number above zero.",
    Reason.ODOMETER_RANGE: f"The odometer must be a whole number from 0 to {MAX_MILEAGE:,}.",
    Reason.TIME_RANGE: f"The due date must be within {HORIZON_WORDS} from today.",
    Reason.TIME_PAST: "The due date is in the past. If the service is already overdue, "
    "confirm it (already overdue) and it is added as required now.",
    Reason.BELOW_ODOMETER: "The mileage cannot be below the vehicle's current odometer.",
    Reason.NO_BASIS: "Give a mileage, a date or both.",
    Reason.NOTES_TOO_LONG: f"The notes can be at most {MAX_NOTES:,} characters.",
}


class ScheduleInvalid(ValidationFailed):
    def __init__(self, reason: Reason, *, field: str, message: str | None = None):
        super().__init__(message or MESSAGES[reason], field=field)
        self.reason = reason


class ScheduleNotFound(NotFound):
    def __init__(self, reason: Reason, *, field: str):
        super().__init__(MESSAGES[reason], field=field)
        self.reason = reason
