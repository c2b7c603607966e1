"""Why the maintenance schedule refuses a request: plain words and a stable reason.

``reason`` is for machines: the vendor-compatible endpoints map it to the
vendor's own texts (``compat/voyo.py``). The API's ``code`` stays the
family's (``invalid``, ``not_found``) and ``message`` is for a person.
"""

from enum import StrEnum

from fleetmaint.errors import NotFound, ValidationFailed
from fleetmaint.intervals.models import MAX_MILEAGE, MAX_NOTES


class Reason(StrEnum):
    VEHICLE_UNKNOWN = "vehicle_unknown"
    INTERVAL_UNKNOWN = "interval_unknown"
    IDENTIFIER = "identifier"
    ODOMETER_RANGE = "odometer_range"
    TIME_RANGE = "time_range"
    NO_BASIS = "no_basis"
    NOTES_TOO_LONG = "notes_too_long"


MESSAGES = {
    Reason.VEHICLE_UNKNOWN: "There is no such vehicle in this fleet.",
    Reason.INTERVAL_UNKNOWN: "There is no open service interval with that id.",
    Reason.IDENTIFIER: "Give the interval's id, a whole number above zero.",
    Reason.ODOMETER_RANGE: f"The odometer must be a whole number from 0 to {MAX_MILEAGE:,}.",
    Reason.TIME_RANGE: "The due date must be within a year from today.",
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
