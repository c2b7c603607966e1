"""The SQL rules of an ending contract say what ``contracts.services`` says, both ways.

Random fleets (time zone, warning days and distance), contracts, odometers and
moments: ended by the fleet's calendar day or by distance, and in warning.
"""

from datetime import UTC, date, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetmaint import sql
from fleetmaint.accounts.models import Organization
from fleetmaint.contracts import services as contracts
from fleetmaint.contracts.models import ContractType, VehicleContract
from fleetmaint.vehicles import meters_sql
from fleetmaint.vehicles.models import Vehicle

START = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = 3_600 * 10**6  # microseconds
# Fleets a day ahead of UTC and a day behind, at odd offsets and with summer time.
ZONES = [
    "UTC",
    "Europe/Berlin",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Australia/Lord_Howe",
    "America/Santiago",
]
# Small values meet exactly often; large ones cover the range.
distances = st.one_of(st.integers(0, 30), st.integers(0, 1_000_000))
warning_days = st.one_of(st.integers(0, 3), st.integers(0, 400))
numbers = count(1)


def _sql_state(contract: VehicleContract, now: datetime) -> tuple[bool, bool]:
    """(ended, in warning) as a WHERE clause reads them: unknown is not true."""
    rules = (meters_sql.contract_ended(), meters_sql.contract_warning())
    columns = ", ".join(f"CASE WHEN {rule} THEN 1 ELSE 0 END" for rule in rules)
    [row] = sql.run(
        f"SELECT {columns} FROM contracts_vehiclecontract c "
        "JOIN vehicles_vehicle v ON v.id = c.vehicle_id "
        "JOIN accounts_organization o ON o.id = c.org_id WHERE c.id = %(id)s",
        {"id": contract.pk, "now": now},
    )
    return row[0] == 1, row[1] == 1


def _python_state(contract: VehicleContract, now: datetime) -> tuple[bool, bool]:
    """(ended, in warning) by the services' own rules, with their clock at ``now``.

    The warning rule decides whether a warning already told stands
    (``_reopen_if_moved``): it stands exactly while the contract is in warning.
    """
    org = contract.vehicle.org
    with time_machine.travel(now, tick=False):
        ended = contracts._ended(contract, org)
        contract.expiring_told = True
        contracts._reopen_if_moved(contract, org)
    return ended, contract.expiring_told


def _contract(vehicle: Vehicle, **values) -> VehicleContract:
    """A contract with its thresholds derived, as saved by the services."""
    org = Organization.objects.get(pk=vehicle.org_id)
    contract = VehicleContract(
        org=org,
        vehicle=vehicle,
        contract_type=ContractType.SERVICE_PLAN,
        number=f"SP-{next(numbers)}",
        start_date=date(2020, 1, 1),
        **values,
    )
    contracts.derive_thresholds(contract, org)
    contract.save()
    return contract


def _stored(contract: VehicleContract) -> VehicleContract:
    """The contract, its vehicle and fleet as stored: both sides read the same row."""
    return VehicleContract.objects.select_related("vehicle", "vehicle__org").get(pk=contract.pk)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    time_zone=st.sampled_from(ZONES),
    warning_days=warning_days,
    warning_distance=distances,
    odometer=st.one_of(st.none(), distances),
    start_odometer=st.one_of(st.none(), distances),
    distance_limit=st.one_of(st.none(), distances),
    # The end date, or its warning date, from a UTC midnight's day; the fleet's
    # own day is that one, the day before or the day after. (No end date: below.)
    end_days=st.one_of(st.integers(-1, 1), st.integers(-500, 500)),
    end_by_warning=st.booleans(),
    midnight_day=st.integers(0, 3650),
    # The moment from that midnight: near it, most fleets are on another day than UTC.
    now_micros=st.one_of(st.integers(-2 * HOUR, 2 * HOUR), st.integers(-12 * HOUR, 12 * HOUR)),
    now_zone=st.sampled_from(ZONES),
)
def test_a_contract_ends_and_warns_by_the_fleets_day_in_sql_as_in_python(
    vehicle,
    time_zone,
    warning_days,
    warning_distance,
    odometer,
    start_odometer,
    distance_limit,
    end_days,
    end_by_warning,
    midnight_day,
    now_micros,
    now_zone,
):
    Organization.objects.filter(pk=vehicle.org_id).update(
        time_zone=time_zone,
        contract_warning_days=warning_days,
        contract_warning_distance=warning_distance,
    )
    Vehicle.objects.filter(pk=vehicle.pk).update(odometer=odometer)
    midnight = START + timedelta(days=midnight_day)
    now = (midnight + timedelta(microseconds=now_micros)).astimezone(ZoneInfo(now_zone))
    end_date = midnight.date() + timedelta(days=end_days + (warning_days if end_by_warning else 0))
    contract = _stored(
        _contract(
            vehicle,
            end_date=end_date,
            start_odometer=start_odometer,
            distance_limit=distance_limit,
        )
    )

    expected = _python_state(contract, now)

    assert _sql_state(contract, now) == expected


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    warning_distance=distances,
    # Contracts without a start or a limit, never ending by distance: the test above.
    start_odometer=distances,
    distance_limit=distances,
    # The odometer from the contract's end or warning point; None: no reading yet.
    odometer_from=st.sampled_from(["ends_at_odometer", "warn_at_odometer"]),
    odometer_shift=st.one_of(st.integers(-1, 1), st.none(), st.integers(-50_000, 50_000)),
    now_seconds=st.integers(0, 3650 * 86_400),
)
def test_a_contract_ends_and_warns_by_distance_in_sql_as_in_python(
    vehicle,
    warning_distance,
    start_odometer,
    distance_limit,
    odometer_from,
    odometer_shift,
    now_seconds,
):
    Organization.objects.filter(pk=vehicle.org_id).update(
        contract_warning_distance=warning_distance
    )
    contract = _contract(
        vehicle, end_date=None, start_odometer=start_odometer, distance_limit=distance_limit
    )
    odometer = None
    if odometer_shift is not None:
        odometer = max(0, getattr(contract, odometer_from) + odometer_shift)
    Vehicle.objects.filter(pk=vehicle.pk).update(odometer=odometer)
    contract = _stored(contract)
    now = START + timedelta(seconds=now_seconds)

    expected = _python_state(contract, now)

    assert _sql_state(contract, now) == expected
