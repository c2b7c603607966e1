"""The SQL rules of a due interval say what ``intervals.services.is_required`` says.

Random odometers, thresholds and moments, both ways: required by either rule,
by the mileage alone, and by the date alone (the scheduled sweep's rule).
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetmaint import sql
from fleetmaint.intervals import services as intervals
from fleetmaint.intervals.models import MAX_MILEAGE, ServiceInterval
from fleetmaint.vehicles import meters_sql
from fleetmaint.vehicles.models import Vehicle

START = datetime(2026, 1, 1, tzinfo=UTC)
# Where a moment is written does not change it: both sides compare instants.
ZONES = ["UTC", "Europe/Berlin", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kathmandu"]
# Small values meet exactly often; large ones cover the range.
mileages = st.one_of(st.integers(0, 30), st.integers(0, MAX_MILEAGE))
MICROS_A_YEAR = 366 * 86_400 * 10**6


def _sql_required(interval: ServiceInterval, now: datetime) -> tuple[bool, bool, bool]:
    """(required, by mileage, by date) as a WHERE clause reads them: unknown is not true."""
    rules = (
        meters_sql.INTERVAL_REQUIRED,
        meters_sql.INTERVAL_BY_MILEAGE,
        meters_sql.INTERVAL_BY_DATE,
    )
    columns = ", ".join(f"CASE WHEN {rule} THEN 1 ELSE 0 END" for rule in rules)
    [row] = sql.run(
        f"SELECT {columns} FROM intervals_serviceinterval i "
        "JOIN vehicles_vehicle v ON v.id = i.vehicle_id WHERE i.id = %(id)s",
        {"id": interval.pk, "now": now},
    )
    return row[0] == 1, row[1] == 1, row[2] == 1


def _python_required(interval: ServiceInterval, now: datetime) -> tuple[bool, bool, bool]:
    """(required, by mileage, by date): ``is_required`` of the interval and of each half."""

    def only(mileage: int | None, moment: datetime | None) -> bool:
        half = ServiceInterval(
            vehicle=interval.vehicle, service_at_mileage=mileage, service_at_date=moment
        )
        return intervals.is_required(half, now)

    return (
        intervals.is_required(interval, now),
        only(interval.service_at_mileage, None),
        only(None, interval.service_at_date),
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    odometer=st.one_of(st.none(), mileages),
    service_at_mileage=st.one_of(st.none(), mileages),
    # The interval's date from the moment evaluated, to the microsecond.
    date_micros=st.one_of(
        st.none(), st.integers(-2, 2), st.integers(-MICROS_A_YEAR, MICROS_A_YEAR)
    ),
    date_zone=st.sampled_from(ZONES),
    now_seconds=st.integers(0, 3650 * 86_400),
    now_micros=st.integers(0, 999_999),
    now_zone=st.sampled_from(ZONES),
)
def test_an_intervals_requiredness_is_the_same_in_sql_and_in_python(
    vehicle,
    odometer,
    service_at_mileage,
    date_micros,
    date_zone,
    now_seconds,
    now_micros,
    now_zone,
):
    if service_at_mileage is None and date_micros is None:
        date_micros = 0
    Vehicle.objects.filter(pk=vehicle.pk).update(odometer=odometer)
    vehicle.refresh_from_db()
    now = (START + timedelta(seconds=now_seconds, microseconds=now_micros)).astimezone(
        ZoneInfo(now_zone)
    )
    moment = None
    if date_micros is not None:
        moment = (now + timedelta(microseconds=date_micros)).astimezone(ZoneInfo(date_zone))
    created = ServiceInterval.objects.create(
        org_id=vehicle.org_id,
        vehicle=vehicle,
        name="Oil Change",
        service_at_mileage=service_at_mileage,
        service_at_date=moment,
    )
    # Both sides read the row as stored.
    interval = ServiceInterval.objects.select_related("vehicle").get(pk=created.pk)

    expected = _python_required(interval, now)

    assert _sql_required(interval, now) == expected
