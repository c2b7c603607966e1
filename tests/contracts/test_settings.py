"""The fleet's warning settings, and contracts of archived vehicles."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from fleetmaint.accounts import services as accounts
from fleetmaint.contracts import services
from fleetmaint.contracts.inputs import ContractInput
from fleetmaint.contracts.models import ContractStatus
from fleetmaint.notifications.models import Event
from fleetmaint.sweeps import sweep_dates
from fleetmaint.vehicles import services as vehicles


def _plan(vehicle, *, days_left: int, number: str = "SP-1"):
    today = timezone.localdate()
    return services.contract_create(
        vehicle=vehicle,
        data=ContractInput(
            contract_type="service_plan",
            number=number,
            start_date=today - timedelta(days=100),
            end_date=today + timedelta(days=days_left),
        ),
    )


def _settings(org, **changes):
    values = {
        "name": org.name,
        "time_zone": org.time_zone,
        "currency": org.currency,
        "distance_unit": org.distance_unit,
        "max_daily_distance": org.max_daily_distance,
    }
    return accounts.org_update(org=org, **values, **changes)


def test_a_longer_warning_period_warns_of_contracts_already_inside_it(org, vehicle, advisor):
    _plan(vehicle, days_left=45)
    assert not Event.objects.filter(name="contract.expiring").exists()

    _settings(org, contract_warning_days=60)

    assert Event.objects.filter(name="contract.expiring").count() == 1


def test_a_shorter_warning_period_lets_a_contract_warn_again_later(org, vehicle, advisor):
    contract = _plan(vehicle, days_left=20)
    assert Event.objects.filter(name="contract.expiring").count() == 1

    _settings(org, contract_warning_days=7)
    contract.refresh_from_db()
    assert contract.expiring_told is False

    with time_machine.travel(timezone.now() + timedelta(days=14)):
        sweep_dates()
    assert Event.objects.filter(name="contract.expiring").count() == 2


def test_warning_settings_must_be_in_range(org):
    import pytest

    from fleetmaint.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="contract_warning_days"):
        _settings(org, contract_warning_days=-1)


def test_an_archived_vehicles_contract_waits_until_the_vehicle_returns(org, vehicle, advisor):
    contract = _plan(vehicle, days_left=3)
    vehicles.vehicle_set_archived(vehicle=vehicle, archived=True)

    with time_machine.travel(timezone.now() + timedelta(days=10)):
        sweep_dates()
        contract.refresh_from_db()
        assert contract.status == ContractStatus.ACTIVE

        vehicles.vehicle_set_archived(vehicle=vehicle, archived=False)
        contract.refresh_from_db()
        assert contract.status == ContractStatus.EXPIRED
    assert Event.objects.filter(name="contract.expired").count() == 1
