"""The rules of vehicle contracts (seed 002): validation, expiry, warnings, coverage, files."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fleetmaint import sweeps
from fleetmaint.contracts import services
from fleetmaint.contracts.inputs import ContractChanges, ContractInput
from fleetmaint.contracts.models import (
    ContractDocument,
    ContractStatus,
    ContractType,
    VehicleContract,
)
from fleetmaint.errors import Conflict, ValidationFailed
from fleetmaint.notifications import delivery
from fleetmaint.notifications.models import Event
from fleetmaint.orders import quotes, servicers
from fleetmaint.orders.models import CatalogItem, Servicer, ServiceType
from fleetmaint.orders.quotes import ItemRequest
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.notifications.conftest import smtp  # noqa: F401  (the real SMTP receiver)

pytestmark = pytest.mark.usefixtures("media")

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def read(vehicle: Vehicle, odometer: int):
    """Records an odometer reading now, as a driver's app would."""
    return vehicles.reading_record(vehicle=vehicle, odometer=odometer, confirm_jump=True)


@pytest.fixture
def van(vehicle, clock) -> Vehicle:
    """The fleet's van at 10,000 km."""
    read(vehicle, 10_000)
    vehicle.refresh_from_db()
    return vehicle


def create(vehicle: Vehicle, **values) -> VehicleContract:
    given = {
        "contract_type": "service_plan",
        "number": "SP-1",
        "provider": "Ford Credit",
        "start_date": "2030-01-01",
    }
    given.update(values)
    return services.contract_create(vehicle=vehicle, data=ContractInput(**given))


def change(contract: VehicleContract, values: dict, *, whole: bool) -> VehicleContract:
    """A partial update, or (``whole``) a replacement of the whole contract."""
    if whole:
        return services.contract_replace(contract=contract, data=ContractInput(**values))
    return services.contract_update(contract=contract, changes=ContractChanges(**values))


def fresh(contract: VehicleContract) -> VehicleContract:
    return VehicleContract.objects.select_related("vehicle", "vehicle__org").get(pk=contract.pk)


def told(contract: VehicleContract) -> list[str]:
    """The crossings told about a contract, oldest first, as their event names."""
    return list(
        Event.objects.filter(dedupe_key__startswith=f"contract:{contract.pk}:")
        .order_by("id")
        .values_list("name", flat=True)
    )


def sweep_on(clock, day: date, hour: int = 10) -> None:
    """Moves the clock to ``day`` (UTC) and runs the scheduled date sweep."""
    clock.move_to(datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC))
    sweeps.sweep_dates()


# --- creating -------------------------------------------------------------------------


def test_a_contract_keeps_what_it_was_given(van, org):
    contract = create(
        van,
        contract_type="extended_warranty",
        number=" EW-2030-17 ",
        description="Powertrain, 3 years",
        end_date="2032-12-31",
        start_odometer=9_500,
        distance_limit=60_000,
        price="1499.5",
        currency="usd",
        covered_services=[" oil-change", "brake-pads", "Towing within 50 km", "oil-change", ""],
        terms="Serviced at a partner garage.",
    )
    assert contract.contract_type == ContractType.EXTENDED_WARRANTY
    assert contract.number == "EW-2030-17"
    assert contract.provider == "Ford Credit"
    assert (contract.start_date, contract.end_date) == (date(2030, 1, 1), date(2032, 12, 31))
    assert (contract.start_odometer, contract.distance_limit) == (9_500, 60_000)
    assert contract.ends_at_odometer == 69_500
    assert contract.warn_at_odometer == 68_500
    assert contract.warn_from_date == date(2032, 12, 1)
    assert (contract.price, contract.currency) == (Decimal("1499.50"), "USD")
    assert contract.covered_services == ["oil-change", "brake-pads", "Towing within 50 km"]
    assert contract.terms == "Serviced at a partner garage."
    assert contract.status == ContractStatus.ACTIVE
    assert (contract.org_id, contract.vehicle_id) == (org.pk, van.pk)
    assert told(contract) == []


def test_the_currency_defaults_to_the_fleets_and_the_start_to_the_current_odometer(van):
    contract = create(van, distance_limit=20_000)
    assert contract.currency == "EUR"
    assert contract.start_odometer == 10_000
    assert contract.ends_at_odometer == 30_000


@pytest.mark.parametrize("contract_type", ContractType.values)
def test_every_contract_type_is_taken(van, contract_type):
    contract = create(van, contract_type=contract_type, number=f"N-{contract_type}")
    assert contract.contract_type == contract_type


def test_a_draft_stays_a_draft(van):
    contract = create(van, status="draft", end_date="2030-06-01")
    sweeps.sweep_dates()
    assert fresh(contract).status == ContractStatus.DRAFT
    assert told(contract) == []


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"end_date": "2029-12-31"}, "end_date", "The contract cannot end before it starts."),
        ({"distance_limit": -1}, "distance_limit", "distance_limit cannot be negative."),
        ({"distance_limit": "-500"}, "distance_limit", "distance_limit must be a whole number."),
        ({"start_odometer": -10}, "start_odometer", "start_odometer cannot be negative."),
        ({"distance_limit": 1.5}, "distance_limit", "distance_limit must be a whole number."),
        ({"distance_limit": "lots"}, "distance_limit", "distance_limit must be a whole number."),
        ({"contract_type": "insurance"}, "contract_type", "contract_type must be one of"),
        ({"contract_type": None}, "contract_type", "contract_type must be one of"),
        ({"number": "  "}, "number", "number is required."),
        ({"number": "N" * 61}, "number", "number can be at most 60 characters."),
        ({"start_date": None}, "start_date", "start_date is required."),
        ({"start_date": "31/12/2030"}, "start_date", "start_date must be a date"),
        ({"end_date": "2030-02-30"}, "end_date", "end_date must be a date"),
        ({"price": "-1"}, "price", "price must be a number from 0 to 9999999999.99."),
        ({"price": "free"}, "price", "price must be a number from 0 to 9999999999.99."),
        ({"currency": "EURO"}, "currency", "currency can be at most 3 characters."),
        ({"currency": "E1"}, "currency", "currency must be a three-letter ISO 4217 code."),
        ({"currency": "EU"}, "currency", "currency must be a three-letter ISO 4217 code."),
        ({"covered_services": [1, 2]}, "covered_services", "covered_services must be a list"),
        ({"status": "cancelled"}, "status", "status can be set to draft or active"),
        ({"status": "expired"}, "status", "status can be set to draft or active"),
    ],
)
def test_bad_values_are_refused_naming_the_field(van, values, field, message):
    with pytest.raises(ValidationFailed) as refused:
        create(van, **values)
    assert refused.value.field == field
    assert refused.value.message.startswith(message)
    assert not VehicleContract.objects.exists()


def test_a_distance_limit_needs_an_odometer_to_start_from(vehicle, clock):
    with pytest.raises(ValidationFailed) as refused:
        create(vehicle, distance_limit=10_000)
    assert refused.value.field == "start_odometer"
    contract = create(vehicle, distance_limit=10_000, start_odometer=0)
    assert contract.ends_at_odometer == 10_000


def test_a_number_is_unique_within_the_fleet_only(van, org, other_org, clock):
    create(van, number="SP-1")
    another_van = vehicles.vehicle_create(org=org, label="Van 2", vehicle_key="VAN-2")
    with pytest.raises(Conflict) as refused:
        create(another_van, number="SP-1")
    assert refused.value.field == "number"
    assert "SP-1" in refused.value.message
    assert VehicleContract.objects.count() == 1
    theirs = vehicles.vehicle_create(org=other_org, label="Truck", vehicle_key="T-1")
    assert create(theirs, number="SP-1").org_id == other_org.pk


def test_a_second_contract_cannot_take_the_number_by_an_update(van):
    create(van, number="SP-1")
    second = create(van, number="SP-2")
    with pytest.raises(Conflict) as refused:
        services.contract_update(contract=second, changes=ContractChanges(number="SP-1"))
    assert refused.value.field == "number"
    assert fresh(second).number == "SP-2"


# --- updating -------------------------------------------------------------------------


def test_a_partial_update_changes_only_what_it_is_given(van):
    contract = create(van, end_date="2031-12-31", distance_limit=30_000, terms="Old terms")
    updated = services.contract_update(
        contract=contract, changes=ContractChanges(terms="New terms")
    )
    assert updated.terms == "New terms"
    assert (updated.end_date, updated.distance_limit) == (date(2031, 12, 31), 30_000)
    assert updated.provider == "Ford Credit"


def test_a_whole_update_resets_what_it_leaves_out(van):
    contract = create(van, end_date="2031-12-31", distance_limit=30_000, currency="USD")
    updated = services.contract_replace(
        contract=contract,
        data=ContractInput(contract_type="other", number="X-1", start_date="2030-02-01"),
    )
    assert (updated.contract_type, updated.number) == ("other", "X-1")
    assert (updated.provider, updated.end_date, updated.distance_limit) == ("", None, None)
    assert updated.ends_at_odometer is None
    assert updated.currency == "EUR"


def test_a_whole_update_needs_the_required_fields(van):
    contract = create(van)
    with pytest.raises(ValidationFailed) as refused:
        services.contract_replace(contract=contract, data=ContractInput(number="X"))
    assert refused.value.field == "contract_type"


def test_an_update_refuses_unknown_fields_and_bad_values(van):
    contract = create(van)
    with pytest.raises(ValidationFailed) as refused:
        services.contract_update(contract=contract, changes=ContractChanges(colour="red"))
    assert refused.value.field == "colour"
    with pytest.raises(ValidationFailed) as refused:
        services.contract_update(contract=contract, changes=ContractChanges(end_date="2029-01-01"))
    assert refused.value.field == "end_date"
    with pytest.raises(ValidationFailed) as refused:
        services.contract_update(contract=contract, changes=ContractChanges(distance_limit=-5))
    assert refused.value.field == "distance_limit"
    assert fresh(contract).end_date is None


# --- cancelling -----------------------------------------------------------------------


def test_a_contract_is_cancelled_only_with_a_reason(van):
    contract = create(van)
    for reason in ("", "   "):
        with pytest.raises(ValidationFailed) as refused:
            services.contract_cancel(contract=contract, reason=reason)
        assert refused.value.field == "reason"
    with pytest.raises(ValidationFailed):
        services.contract_cancel(contract=contract, reason="x" * 501)
    assert fresh(contract).status == ContractStatus.ACTIVE
    cancelled = services.contract_cancel(contract=contract, reason=" Vehicle sold ")
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "Vehicle sold")


def test_a_cancelled_contract_cannot_be_changed_or_cancelled_again(van):
    contract = create(van)
    services.contract_cancel(contract=contract, reason="Sold")
    contract = fresh(contract)
    with pytest.raises(Conflict) as refused:
        services.contract_update(contract=contract, changes=ContractChanges(terms="x"))
    assert refused.value.field == "status"
    with pytest.raises(Conflict):
        services.contract_cancel(contract=contract, reason="Again")
    assert fresh(contract).cancel_reason == "Sold"


def test_a_cancelled_contract_never_warns_nor_expires(van, clock):
    contract = create(van, end_date="2030-09-10", distance_limit=2_000)
    assert told(contract) == []
    services.contract_cancel(contract=contract, reason="Replaced by a service plan")
    read(van, 13_000)
    sweep_on(clock, date(2030, 8, 1))
    assert fresh(contract).status == ContractStatus.CANCELLED
    assert told(contract) == []


# --- expiry by date -------------------------------------------------------------------


def test_the_end_date_warns_once_then_expires_once(van, clock):
    contract = create(van, end_date="2030-07-31")
    assert contract.warn_from_date == date(2030, 7, 1)
    sweep_on(clock, date(2030, 6, 30))
    assert told(contract) == []

    sweep_on(clock, date(2030, 7, 1))
    assert told(contract) == ["contract.expiring"]
    assert fresh(contract).status == ContractStatus.ACTIVE
    sweep_on(clock, date(2030, 7, 15))
    sweep_on(clock, date(2030, 7, 31), hour=21)  # the last day still counts (23:00 in Berlin)
    assert told(contract) == ["contract.expiring"]
    assert fresh(contract).status == ContractStatus.ACTIVE

    sweep_on(clock, date(2030, 7, 31), hour=22)  # midnight in Berlin: the end date has passed
    assert fresh(contract).status == ContractStatus.EXPIRED
    assert told(contract) == ["contract.expiring", "contract.expired"]
    sweep_on(clock, date(2030, 8, 2))
    services.contracts_sweep_dates()
    assert told(contract) == ["contract.expiring", "contract.expired"]


def test_the_expiry_event_says_what_ended(van, clock):
    contract = create(van, number="MW-9", contract_type="manufacturer_warranty")
    services.contract_update(contract=contract, changes=ContractChanges(end_date="2030-06-20"))
    sweep_on(clock, date(2030, 6, 21))
    expiring, expired = Event.objects.order_by("id")
    assert expiring.name == "contract.expiring"
    assert expiring.subject == "Manufacturer warranty MW-9 on Van 1 ends soon"
    assert expired.name == "contract.expired"
    assert expired.subject == "Manufacturer warranty MW-9 on Van 1 has ended"
    assert expired.link == f"/vehicles/{van.pk}/contracts/"
    assert expired.payload["data"] == {
        "contract_id": contract.pk,
        "vehicle_id": van.pk,
        "status": "expired",
    }
    assert ["Ends on", "2030-06-20"] in expired.payload["facts"]


def test_a_contract_created_already_ended_expires_at_once_without_a_warning(van):
    contract = create(van, start_date="2029-01-01", end_date="2030-06-14")
    assert contract.status == ContractStatus.EXPIRED
    assert told(contract) == ["contract.expired"]


def test_a_contract_created_inside_its_warning_window_warns_at_once(van):
    contract = create(van, end_date="2030-07-10")
    assert contract.status == ContractStatus.ACTIVE
    assert contract.expiring_told
    assert told(contract) == ["contract.expiring"]


def test_the_fleets_warning_settings_are_used(van, org, clock):
    org.contract_warning_days = 10
    org.contract_warning_distance = 200
    org.save()
    van.refresh_from_db()
    contract = create(van, end_date="2030-07-31", distance_limit=5_000)
    assert contract.warn_from_date == date(2030, 7, 21)
    assert contract.warn_at_odometer == 14_800
    sweep_on(clock, date(2030, 7, 20))
    read(van, 14_700)
    assert told(contract) == []
    sweep_on(clock, date(2030, 7, 21))
    assert told(contract) == ["contract.expiring"]


# --- expiry by distance ---------------------------------------------------------------


def test_the_distance_warns_once_then_expires_once(van):
    contract = create(van, distance_limit=5_000)
    assert (contract.ends_at_odometer, contract.warn_at_odometer) == (15_000, 14_000)
    read(van, 13_999)  # 1,001 km left
    assert told(contract) == []
    read(van, 14_001)  # 999 km left
    assert told(contract) == ["contract.expiring"]
    read(van, 14_500)
    read(van, 14_999)
    assert told(contract) == ["contract.expiring"]
    assert fresh(contract).status == ContractStatus.ACTIVE
    read(van, 15_000)  # the whole distance is driven
    assert fresh(contract).status == ContractStatus.EXPIRED
    assert told(contract) == ["contract.expiring", "contract.expired"]
    read(van, 16_000)
    sweeps.sweep_dates()
    assert told(contract) == ["contract.expiring", "contract.expired"]


def test_a_reading_that_jumps_past_the_limit_expires_without_a_warning(van):
    contract = create(van, distance_limit=5_000)
    read(van, 20_000)
    assert fresh(contract).status == ContractStatus.EXPIRED
    assert told(contract) == ["contract.expired"]


def test_readings_of_another_vehicle_do_not_touch_the_contract(van, org):
    contract = create(van, distance_limit=5_000)
    truck = vehicles.vehicle_create(org=org, label="Truck", vehicle_key="TRK")
    read(truck, 50_000)
    assert fresh(contract).status == ContractStatus.ACTIVE
    assert told(contract) == []


def test_a_contract_limited_by_both_ends_with_the_first_one_reached(van, clock):
    contract = create(van, end_date="2031-06-30", distance_limit=3_000)
    read(van, 12_500)
    assert told(contract) == ["contract.expiring"]
    read(van, 13_000)
    assert fresh(contract).status == ContractStatus.EXPIRED
    sweep_on(clock, date(2031, 6, 1))
    sweep_on(clock, date(2031, 7, 1))
    assert told(contract) == ["contract.expiring", "contract.expired"]


# --- a new life ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "whole"),
    [
        ({"end_date": "2030-12-31"}, False),
        ({"end_date": "2030-12-31", "status": "active"}, False),
        (
            {
                "contract_type": "service_plan",
                "number": "SP-1",
                "start_date": "2030-01-01",
                "end_date": "2030-12-31",
                "status": "active",
            },
            True,
        ),
    ],
    ids=["patch", "patch-with-status", "whole"],
)
def test_a_new_end_date_gives_an_expired_contract_life_and_its_next_end_is_told(
    van, clock, values, whole
):
    contract = create(van, end_date="2030-06-20")
    sweep_on(clock, date(2030, 6, 21))
    assert fresh(contract).status == ContractStatus.EXPIRED
    assert told(contract) == ["contract.expiring", "contract.expired"]

    revived = change(fresh(contract), values, whole=whole)
    assert revived.status == ContractStatus.ACTIVE
    assert told(contract) == ["contract.expiring", "contract.expired"]

    sweep_on(clock, date(2030, 12, 1))
    sweep_on(clock, date(2031, 1, 1))
    assert fresh(contract).status == ContractStatus.EXPIRED
    assert told(contract) == [
        "contract.expiring",
        "contract.expired",
        "contract.expiring",
        "contract.expired",
    ]


@pytest.mark.parametrize(
    ("values", "whole"),
    [
        ({"end_date": "2030-07-05"}, False),
        ({"end_date": "2030-07-05", "status": "active"}, False),
        (
            {
                "contract_type": "service_plan",
                "number": "SP-1",
                "start_date": "2030-01-01",
                "end_date": "2030-07-05",
                "status": "active",
            },
            True,
        ),
    ],
    ids=["patch", "patch-with-status", "whole"],
)
def test_a_contract_that_ended_unwarned_and_is_given_a_short_life_is_told_again(
    van, clock, values, whole
):
    """Expired at once, then given an end inside the warning window: its next end is news."""
    contract = create(van, start_date="2029-01-01", end_date="2030-06-01")
    assert told(contract) == ["contract.expired"]
    revived = change(fresh(contract), values, whole=whole)
    assert revived.status == ContractStatus.ACTIVE
    sweep_on(clock, date(2030, 7, 6))
    assert fresh(contract).status == ContractStatus.EXPIRED
    assert told(contract).count("contract.expired") == 2


def test_a_new_end_date_that_is_also_past_leaves_the_contract_expired(van, clock):
    contract = create(van, end_date="2030-06-20")
    sweep_on(clock, date(2030, 6, 25))
    for values in ({"end_date": "2030-06-22"}, {"end_date": "2030-06-23", "status": "active"}):
        changed = services.contract_update(
            contract=fresh(contract), changes=ContractChanges(**values)
        )
        assert changed.status == ContractStatus.EXPIRED
    assert told(contract) == ["contract.expiring", "contract.expired"]


def test_editing_an_expired_contracts_terms_keeps_it_expired_and_quiet(van, clock):
    contract = create(van, end_date="2030-06-20")
    sweep_on(clock, date(2030, 6, 21))
    changed = services.contract_update(
        contract=fresh(contract), changes=ContractChanges(terms="Archived")
    )
    assert (changed.status, changed.terms) == (ContractStatus.EXPIRED, "Archived")
    sweeps.sweep_dates()
    assert told(contract) == ["contract.expiring", "contract.expired"]


def test_a_larger_distance_limit_revives_a_contract_used_up(van):
    contract = create(van, distance_limit=2_000)
    read(van, 12_500)
    assert fresh(contract).status == ContractStatus.EXPIRED
    revived = services.contract_update(
        contract=fresh(contract), changes=ContractChanges(distance_limit=10_000)
    )
    assert revived.status == ContractStatus.ACTIVE
    assert revived.ends_at_odometer == 20_000
    read(van, 20_000)
    assert told(contract) == ["contract.expired", "contract.expired"]


def test_moving_the_end_beyond_the_warning_window_warns_again_later(van, clock):
    contract = create(van, end_date="2030-07-10")
    assert told(contract) == ["contract.expiring"]
    services.contract_update(
        contract=fresh(contract), changes=ContractChanges(end_date="2030-12-31")
    )
    assert not fresh(contract).expiring_told
    sweep_on(clock, date(2030, 12, 1))
    assert told(contract) == ["contract.expiring", "contract.expiring"]
    sweep_on(clock, date(2031, 1, 1))
    assert told(contract) == ["contract.expiring", "contract.expiring", "contract.expired"]


def test_a_draft_made_active_after_its_end_expires_then(van):
    contract = create(van, status="draft", end_date="2030-06-01")
    activated = services.contract_update(
        contract=contract, changes=ContractChanges(status="active")
    )
    assert activated.status == ContractStatus.EXPIRED
    assert told(contract) == ["contract.expired"]


# --- telling people --------------------------------------------------------------------


def test_the_expiry_reaches_the_advisors_mailboxes(van, admin_user, advisor, viewer, clock, smtp):  # noqa: F811
    contract = create(van, number="SP-77", end_date="2030-06-20")
    sweep_on(clock, date(2030, 6, 21))
    assert delivery.deliver_due() >= 4
    assert Event.objects.filter(name="contract.expiring").count() == 1
    assert Event.objects.filter(name="contract.expired").count() == 1
    for address in ("alice@example.com", "bob@example.com"):
        subjects = sorted(m["Subject"] for m in smtp.to(address))
        assert subjects == [
            "[Acme Logistics] Service plan SP-77 on Van 1 ends soon",
            "[Acme Logistics] Service plan SP-77 on Van 1 has ended",
        ]
    assert smtp.to("victor@example.com") == []
    [mail] = [m for m in smtp.to("bob@example.com") if "ended" in m["Subject"]]
    body = next(
        part.get_payload(decode=True).decode()
        for part in mail.walk()
        if part.get_content_type() == "text/plain"
    )
    assert "SP-77" in body
    assert "2030-06-20" in body
    assert f"/vehicles/{van.pk}/contracts/" in body
    # Nothing new is told, nothing is sent twice.
    sweep_on(clock, date(2030, 6, 22))
    assert delivery.deliver_due() == 0
    assert len(smtp.to("bob@example.com")) == 2
    assert told(contract) == ["contract.expiring", "contract.expired"]


# --- coverage on quotes --------------------------------------------------------------


@pytest.fixture
def garage(org) -> Servicer:
    servicer = Servicer.objects.create(
        name="Bay Garage",
        service_types=["scheduled_maintenance"],
        email="bay@example.net",
    )
    CatalogItem.objects.bulk_create(
        [
            CatalogItem(servicer=servicer, code="oil-change", name="Oil change", price="89.00"),
            CatalogItem(servicer=servicer, code="tire-rotation", name="Tires", price="40.00"),
            CatalogItem(servicer=servicer, code="brake-pads", name="Brakes", price="220.50"),
        ]
    )
    servicers.partnership_link(org=org, servicer=servicer)
    return servicer


def quote(org, vehicle, garage):
    made = quotes.quote_create(
        org=org,
        vehicle=vehicle,
        servicer=garage,
        service_type=ServiceType.SCHEDULED_MAINTENANCE,
        items=[ItemRequest(code="oil-change"), ItemRequest(code="tire-rotation", quantity=2)],
    )
    return made, {item.code: item for item in made.items.all()}


def test_a_quote_marks_the_items_a_contract_covers(org, van, garage):
    plan = create(van, end_date="2031-06-30", covered_services=["oil-change", "Towing"])
    made, items = quote(org, van, garage)
    assert items["oil-change"].covered_by == plan
    assert items["tire-rotation"].covered_by is None
    assert made.total == Decimal("169.00")
    assert made.covered_total == Decimal("89.00")
    assert made.payable_total == Decimal("80.00")


def test_the_contract_ending_soonest_pays_first(org, van, garage):
    create(van, number="LATE", end_date="2032-01-01", covered_services=["oil-change"])
    soon = create(van, number="SOON", end_date="2031-01-01", covered_services=["oil-change"])
    create(van, number="OPEN", covered_services=["oil-change", "tire-rotation"])
    made, items = quote(org, van, garage)
    assert items["oil-change"].covered_by == soon
    assert items["tire-rotation"].covered_by.number == "OPEN"
    assert made.covered_total == made.total == Decimal("169.00")
    assert made.payable_total == Decimal("0.00")


def test_a_vehicle_without_readings_is_covered_too(org, vehicle, garage, clock):
    dated = create(vehicle, number="D", end_date="2031-01-01", covered_services=["oil-change"])
    create(
        vehicle,
        number="K",
        start_odometer=0,
        distance_limit=100_000,
        covered_services=["tire-rotation"],
    )
    assert Vehicle.objects.get(pk=vehicle.pk).odometer is None
    made, items = quote(org, vehicle, garage)
    assert items["oil-change"].covered_by == dated
    assert items["tire-rotation"].covered_by.number == "K"
    assert made.payable_total == Decimal("0.00")


def _expired(van, clock):
    contract = create(van, end_date="2030-06-20", covered_services=["oil-change"])
    sweep_on(clock, date(2030, 6, 21))
    assert fresh(contract).status == ContractStatus.EXPIRED


def _used_up(van, clock):
    create(van, distance_limit=1_000, covered_services=["oil-change"])
    read(van, 11_000)


def _cancelled(van, clock):
    contract = create(van, covered_services=["oil-change"])
    services.contract_cancel(contract=contract, reason="Sold")


def _draft(van, clock):
    create(van, status="draft", covered_services=["oil-change"])


def _not_started(van, clock):
    create(van, start_date="2030-07-01", covered_services=["oil-change"])


def _ended_before_the_sweep(van, clock):
    create(van, end_date="2030-06-20", covered_services=["oil-change"])
    clock.move_to(datetime(2030, 6, 22, 10, 0, tzinfo=UTC))  # the sweep has not run yet


def _another_vehicles(van, clock):
    truck = vehicles.vehicle_create(org=van.org, label="Truck", vehicle_key="TRK")
    create(truck, covered_services=["oil-change"])


def _covers_something_else(van, clock):
    create(van, covered_services=["brake-pads", "Oil change"])


@pytest.mark.parametrize(
    "arrange",
    [
        _expired,
        _used_up,
        _cancelled,
        _draft,
        _not_started,
        _ended_before_the_sweep,
        _another_vehicles,
        _covers_something_else,
    ],
)
def test_only_an_active_contract_of_the_vehicle_covers_an_item(org, van, garage, clock, arrange):
    arrange(van, clock)
    van.refresh_from_db()
    made, items = quote(org, van, garage)
    assert items["oil-change"].covered_by is None
    assert made.covered_total == Decimal("0.00")
    assert made.payable_total == made.total == Decimal("169.00")


# --- documents ------------------------------------------------------------------------


def test_a_pdf_is_attached_and_kept(van, media):
    contract = create(van)
    upload = SimpleUploadedFile("plan.pdf", PDF, content_type="application/octet-stream")
    document = services.document_attach(contract=contract, upload=upload)
    assert (document.name, document.content_type, document.size) == (
        "plan.pdf",
        "application/pdf",
        len(PDF),
    )
    with document.file.open("rb") as stored:
        assert stored.read() == PDF
    assert list(contract.documents.all()) == [document]


@pytest.mark.parametrize(
    ("name", "content"),
    [("notes.txt", b"just some text"), ("fake.pdf", b"<html>not a pdf</html>"), ("e.pdf", b"")],
)
def test_anything_but_a_pdf_or_an_image_is_refused(van, name, content):
    contract = create(van)
    with pytest.raises(ValidationFailed) as refused:
        services.document_attach(
            contract=contract, upload=SimpleUploadedFile(name, content, content_type="text/plain")
        )
    assert name in refused.value.message
    assert not ContractDocument.objects.exists()


def test_an_oversized_file_is_refused(van, settings):
    settings.TASK_FILE_MAX_BYTES = 100
    contract = create(van)
    upload = SimpleUploadedFile("big.pdf", PDF + b"0" * 200, content_type="application/pdf")
    with pytest.raises(ValidationFailed):
        services.document_attach(contract=contract, upload=upload)
    assert not ContractDocument.objects.exists()


def test_an_image_is_attached(van):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    document = services.document_attach(
        contract=create(van), upload=SimpleUploadedFile("scan.png", png)
    )
    assert document.content_type == "image/png"
