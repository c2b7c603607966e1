"""Calendar arithmetic of the schedule: periods added to a moment, and the predicted due date.

Apart from the services so that preset generation (``intervals.generation``)
and the interval writes (``intervals.services``) share them without importing
each other.
"""

from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

from fleetmaint.vehicles import meters
from fleetmaint.vehicles.models import Vehicle

# The horizon of a prediction from the vehicle's use: beyond it, "not in our lifetime".
MAX_PREDICTION_DAYS = 36_500


def one_year_after(moment: datetime) -> datetime:
    """The same day a year later; the 29th of February becomes the 28th."""
    return moment + relativedelta(years=1)


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later, or the month's last day when it is shorter."""
    return moment + relativedelta(months=months)


def add_period(moment: datetime, *, months: int | None, weeks: int | None) -> datetime | None:
    """The moment a preset's period (months, or weeks) later; None when it has no period."""
    if weeks:
        return moment + timedelta(weeks=weeks)
    if months:
        return add_months(moment, months)
    return None


def predict_due(
    vehicle: Vehicle, mileage: int | None, moment: datetime | None, now: datetime
) -> datetime | None:
    """When the interval is expected to fall due: its date, or sooner by the vehicle's use."""
    by_mileage = None
    if mileage is not None and vehicle.odometer is not None:
        days = meters.days_until_reached(mileage - vehicle.odometer, vehicle.daily_distance)
        if days is not None:
            by_mileage = now + timedelta(days=min(days, MAX_PREDICTION_DAYS))
    return meters.earliest(moment, by_mileage)
