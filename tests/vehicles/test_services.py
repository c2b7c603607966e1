"""Vehicles and readings: every rule the pages and the API share."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fleetmaint.errors import ConfirmationRequired, Conflict, ValidationFailed
from fleetmaint.vehicles import services
from fleetmaint.vehicles.inputs import VehicleChanges, reading_engine_hours, reading_odometer
from fleetmaint.vehicles.models import Reading, ReadingSource, Vehicle

NOW = datetime(2030, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    """Time stands still at NOW, so 'days ago' means the same in every run."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


@pytest.fixture
def truck(org):
    return services.vehicle_create(
        org=org, label="Truck 7", vehicle_key="TRK-7", tracks_engine_hours=True
    )


def stored(vehicle) -> list[tuple]:
    """The vehicle's readings as rows, oldest first."""
    return list(
        Reading.objects.filter(vehicle=vehicle)
        .order_by("recorded_at", "id")
        .values_list("odometer", "engine_hours", "is_correction")
    )


def current(vehicle) -> tuple:
    vehicle = Vehicle.objects.get(pk=vehicle.pk)
    return vehicle.odometer, vehicle.engine_hours, vehicle.odometer_at


# --- vehicles ---------------------------------------------------------------------


def test_it_creates_a_vehicle_with_the_organizations_distance_unit(org, other_org):
    ours = services.vehicle_create(org=org, label=" Van 2 ", make=" Ford ", notes="  ")
    theirs = services.vehicle_create(org=other_org, label="Pickup")
    ours.refresh_from_db()
    assert (ours.label, ours.make, ours.notes, ours.distance_unit) == ("Van 2", "Ford", "", "km")
    assert theirs.distance_unit == "mi"
    assert ours.odometer is None and ours.archived is False


def test_a_vehicle_may_use_another_unit_than_its_organization(org):
    vehicle = services.vehicle_create(org=org, label="Import", distance_unit="mi")
    assert Vehicle.objects.get(pk=vehicle.pk).distance_unit == "mi"


def test_it_generates_a_key_when_none_is_given(org):
    first = services.vehicle_create(org=org, label="A")
    second = services.vehicle_create(org=org, label="B", vehicle_key="   ")
    assert first.vehicle_key.startswith("V") and len(first.vehicle_key) == 11
    assert second.vehicle_key.startswith("V")
    assert first.vehicle_key != second.vehicle_key


def test_it_refuses_a_key_already_used_in_the_organization(org, vehicle):
    with pytest.raises(Conflict) as excinfo:
        services.vehicle_create(org=org, label="Van 1 again", vehicle_key=" VAN-1 ")
    assert excinfo.value.field == "vehicle_key"
    assert excinfo.value.message == "Another vehicle already uses the key 'VAN-1'."
    assert Vehicle.objects.filter(org=org).count() == 1


def test_two_organizations_may_use_the_same_key(org, other_org, vehicle):
    theirs = services.vehicle_create(org=other_org, label="Their van", vehicle_key="VAN-1")
    assert {v.org_id for v in Vehicle.objects.filter(vehicle_key="VAN-1")} == {org.pk, other_org.pk}
    assert theirs.pk != vehicle.pk


def test_it_refuses_a_key_that_is_not_printable(org):
    with pytest.raises(ValidationFailed) as excinfo:
        services.vehicle_create(org=org, label="A", vehicle_key="bad\x00key")
    assert excinfo.value.field == "vehicle_key"


def test_it_normalises_a_vin_to_capitals_without_spaces(org):
    vehicle = services.vehicle_create(org=org, label="A", vin=" 1ftfw1et5 dfc10312 ")
    assert Vehicle.objects.get(pk=vehicle.pk).vin == "1FTFW1ET5DFC10312"


@pytest.mark.parametrize(
    "vin",
    [
        "1FTFW1ET5DFC1031",  # 16 characters
        "1FTFW1ET5DFC103123",  # 18 characters
        "1FTFW1ET5DFC1031I",  # I looks like 1
        "OFTFW1ET5DFC10312",  # O looks like 0
        "1FTFW1ET5DFC1031Q",  # Q looks like 0
        "1FTFW1ET5DFC1031-",
    ],
)
def test_it_refuses_a_vin_that_breaks_the_rules(org, vin):
    with pytest.raises(ValidationFailed) as excinfo:
        services.vehicle_create(org=org, label="A", vin=vin)
    assert excinfo.value.field == "vin"
    assert excinfo.value.message == "A VIN has 17 letters and digits, without I, O or Q."
    assert not Vehicle.objects.exists()


def test_the_vin_is_optional(org):
    assert services.vehicle_create(org=org, label="A", vin="").vin == ""


def test_the_year_may_be_next_years_model_but_no_later(org, clock):
    assert services.vehicle_create(org=org, label="A", year=1900).year == 1900
    assert services.vehicle_create(org=org, label="B", year=2031).year == 2031
    for year in (1899, 2032):
        with pytest.raises(ValidationFailed) as excinfo:
            services.vehicle_create(org=org, label="C", year=year)
        assert excinfo.value.field == "year"
        assert excinfo.value.message == "The year must be between 1900 and 2031."
    assert Vehicle.objects.count() == 2


@pytest.mark.parametrize("label", ["", "   "])
def test_it_refuses_a_vehicle_without_a_label(org, label):
    with pytest.raises(ValidationFailed) as excinfo:
        services.vehicle_create(org=org, label=label)
    assert excinfo.value.field == "label"
    assert excinfo.value.message == "Give the vehicle a label."


@pytest.mark.parametrize(
    ("field", "limit"), [("label", 120), ("make", 60), ("model", 60), ("plate", 20)]
)
def test_it_refuses_text_longer_than_its_column(org, field, limit):
    values = {"label": "A", field: "x" * (limit + 1)}
    with pytest.raises(ValidationFailed) as excinfo:
        services.vehicle_create(org=org, **values)
    assert excinfo.value.field == field
    assert f"at most {limit} characters" in excinfo.value.message
    values[field] = "x" * limit
    assert getattr(services.vehicle_create(org=org, **values), field) == "x" * limit


@pytest.mark.parametrize("field", ["label", "make", "model", "plate", "notes", "vehicle_key"])
def test_it_refuses_text_with_a_nul_character(org, field):
    values = {"label": "A", field: "bad\x00text"}
    with pytest.raises(ValidationFailed) as excinfo:
        services.vehicle_create(org=org, **values)
    assert excinfo.value.field == field
    assert "cannot contain NUL characters" in excinfo.value.message
    assert not Vehicle.objects.exists()


def test_it_refuses_a_key_longer_than_40_characters(org):
    with pytest.raises(ValidationFailed) as excinfo:
        services.vehicle_create(org=org, label="A", vehicle_key="K" * 41)
    assert excinfo.value.field == "vehicle_key"


def test_it_refuses_an_unknown_distance_unit(org):
    with pytest.raises(ValidationFailed) as excinfo:
        services.vehicle_create(org=org, label="A", distance_unit="nm")
    assert excinfo.value.field == "distance_unit"


def test_an_update_changes_only_the_given_fields(vehicle):
    services.vehicle_update(vehicle=vehicle, changes=VehicleChanges(plate="B-FM 123", year=2020))
    vehicle.refresh_from_db()
    assert (vehicle.label, vehicle.make, vehicle.plate, vehicle.year) == (
        "Van 1",
        "Ford",
        "B-FM 123",
        2020,
    )


def test_an_update_may_keep_the_vehicles_own_key(vehicle):
    services.vehicle_update(
        vehicle=vehicle, changes=VehicleChanges(vehicle_key="VAN-1", label="Van One")
    )
    assert Vehicle.objects.get(pk=vehicle.pk).label == "Van One"


def test_an_update_refuses_a_key_used_by_another_vehicle(org, vehicle):
    other = services.vehicle_create(org=org, label="Van 2", vehicle_key="VAN-2")
    with pytest.raises(Conflict):
        services.vehicle_update(vehicle=other, changes=VehicleChanges(vehicle_key="VAN-1"))
    assert Vehicle.objects.get(pk=other.pk).vehicle_key == "VAN-2"


def test_an_update_refuses_an_empty_key(vehicle):
    with pytest.raises(ValidationFailed) as excinfo:
        services.vehicle_update(vehicle=vehicle, changes=VehicleChanges(vehicle_key=" "))
    assert excinfo.value.field == "vehicle_key"


def test_an_update_refuses_an_unknown_field(vehicle):
    with pytest.raises(ValidationFailed) as excinfo:
        services.vehicle_update(vehicle=vehicle, changes=VehicleChanges(odometer=5))
    assert excinfo.value.field == "odometer"
    assert Vehicle.objects.get(pk=vehicle.pk).odometer is None


def test_an_invalid_update_changes_nothing(vehicle):
    with pytest.raises(ValidationFailed):
        services.vehicle_update(
            vehicle=vehicle, changes=VehicleChanges(make="Renault", vin="TOO-SHORT")
        )
    assert Vehicle.objects.get(pk=vehicle.pk).make == "Ford"


def test_archiving_and_restoring_a_vehicle(vehicle):
    services.vehicle_set_archived(vehicle=vehicle, archived=True)
    assert Vehicle.objects.get(pk=vehicle.pk).archived is True
    services.vehicle_set_archived(vehicle=vehicle, archived=False)
    assert Vehicle.objects.get(pk=vehicle.pk).archived is False


def test_deleting_a_vehicle_deletes_its_readings(vehicle, clock):
    services.reading_record(vehicle=vehicle, odometer=100)
    services.vehicle_delete(vehicle=vehicle)
    assert not Vehicle.objects.exists()
    assert not Reading.objects.exists()


# --- readings -------------------------------------------------------------------


def test_the_first_reading_sets_the_current_meters(vehicle, advisor, clock):
    reading = services.reading_record(
        vehicle=vehicle, odometer=12_500, note=" tyres ", actor=advisor
    )
    assert stored(vehicle) == [(12_500, None, False)]
    assert current(vehicle) == (12_500, None, NOW)
    assert vehicle.odometer == 12_500, "the caller's object is updated too"
    row = Reading.objects.get(pk=reading.pk)
    assert (row.recorded_at, row.source, row.note, row.created_by) == (
        NOW,
        ReadingSource.MANUAL,
        "tyres",
        advisor,
    )
    assert row.org_id == vehicle.org_id


def test_it_refuses_a_reading_below_the_previous_one(vehicle, clock):
    services.reading_record(vehicle=vehicle, odometer=12_000, recorded_at=ago(3))
    with pytest.raises(ValidationFailed) as excinfo:
        services.reading_record(vehicle=vehicle, odometer=11_999)
    assert excinfo.value.field == "odometer"
    assert excinfo.value.message == (
        "The odometer cannot go down: the previous reading was 12,000 km on 2030-06-12. "
        "If the meter was replaced or rolled over, record a correction."
    )
    assert stored(vehicle) == [(12_000, None, False)]
    assert current(vehicle)[0] == 12_000


def test_a_reading_equal_to_the_previous_one_is_stored(vehicle, clock):
    services.reading_record(vehicle=vehicle, odometer=12_000, recorded_at=ago(1))
    services.reading_record(vehicle=vehicle, odometer=12_000)
    assert len(stored(vehicle)) == 2


def test_a_correction_may_go_below_the_previous_reading(vehicle, clock):
    services.reading_record(vehicle=vehicle, odometer=480_000, recorded_at=ago(2))
    services.reading_record(vehicle=vehicle, odometer=15, is_correction=True, note="new cluster")
    assert stored(vehicle) == [(480_000, None, False), (15, None, True)]
    assert current(vehicle)[0] == 15
    services.reading_record(vehicle=vehicle, odometer=40, recorded_at=NOW + timedelta(minutes=1))
    assert current(vehicle)[0] == 40


def test_a_backfilled_reading_must_fit_between_its_neighbours(vehicle, clock):
    services.reading_record(vehicle=vehicle, odometer=1_000, recorded_at=ago(10))
    services.reading_record(vehicle=vehicle, odometer=2_000, recorded_at=ago(1))

    with pytest.raises(ValidationFailed) as excinfo:
        services.reading_record(vehicle=vehicle, odometer=2_500, recorded_at=ago(5))
    assert excinfo.value.message == (
        "The odometer is higher than a later reading (2,000 km on 2030-06-14)."
    )
    with pytest.raises(ValidationFailed) as excinfo:
        services.reading_record(vehicle=vehicle, odometer=900, recorded_at=ago(5))
    assert "cannot go down" in excinfo.value.message

    services.reading_record(vehicle=vehicle, odometer=1_500, recorded_at=ago(5))
    assert stored(vehicle) == [(1_000, None, False), (1_500, None, False), (2_000, None, False)]


def test_the_current_meters_follow_the_newest_reading_not_the_latest_entered(vehicle, clock):
    services.reading_record(vehicle=vehicle, odometer=2_000, recorded_at=ago(1))
    services.reading_record(vehicle=vehicle, odometer=1_000, recorded_at=ago(10))
    assert current(vehicle) == (2_000, None, ago(1))
    assert vehicle.odometer == 2_000


def test_a_reading_before_the_first_one_is_checked_against_it(vehicle, clock):
    services.reading_record(vehicle=vehicle, odometer=5_000, recorded_at=ago(1))
    with pytest.raises(ValidationFailed) as excinfo:
        services.reading_record(vehicle=vehicle, odometer=6_000, recorded_at=ago(3))
    assert "higher than a later reading" in excinfo.value.message


def test_an_implausible_jump_must_be_confirmed(vehicle, clock):
    services.reading_record(vehicle=vehicle, odometer=10_000, recorded_at=ago(1))
    with pytest.raises(ConfirmationRequired) as excinfo:
        services.reading_record(vehicle=vehicle, odometer=110_000)
    assert excinfo.value.field == "odometer"
    assert excinfo.value.code == "confirmation_required"
    assert excinfo.value.message.startswith(
        "That is 100,000 km more than the previous reading, over 1,500 km a day."
    )
    assert len(stored(vehicle)) == 1

    services.reading_record(vehicle=vehicle, odometer=110_000, confirm_jump=True)
    assert current(vehicle)[0] == 110_000


def test_the_plausible_daily_distance_comes_from_the_organization(org, vehicle, clock):
    org.max_daily_distance = 100
    org.save()
    services.reading_record(vehicle=vehicle, odometer=1_000, recorded_at=ago(2))
    services.reading_record(vehicle=vehicle, odometer=1_100, recorded_at=ago(1))
    with pytest.raises(ConfirmationRequired):
        services.reading_record(vehicle=vehicle, odometer=1_201)
    services.reading_record(vehicle=vehicle, odometer=1_200)


def test_a_jump_in_engine_hours_beyond_a_day_of_running_must_be_confirmed(truck, clock):
    services.reading_record(vehicle=truck, engine_hours=Decimal("100"), recorded_at=ago(1))
    with pytest.raises(ConfirmationRequired) as excinfo:
        services.reading_record(vehicle=truck, engine_hours=Decimal("124.5"))
    assert excinfo.value.field == "engine_hours"
    services.reading_record(vehicle=truck, engine_hours=Decimal("124"))
    assert current(truck)[1] == Decimal("124.0")


def test_engine_hours_are_refused_for_a_vehicle_that_does_not_track_them(vehicle, clock):
    with pytest.raises(ValidationFailed) as excinfo:
        services.reading_record(vehicle=vehicle, odometer=100, engine_hours=5)
    assert excinfo.value.field == "engine_hours"
    assert excinfo.value.message == "This vehicle does not track engine hours."
    assert stored(vehicle) == []


def test_engine_hours_are_kept_to_a_tenth_and_checked_on_their_own(truck, clock):
    services.reading_record(
        vehicle=truck, odometer=1_000, engine_hours=Decimal("50.04"), recorded_at=ago(2)
    )
    assert stored(truck) == [(1_000, Decimal("50.0"), False)]
    with pytest.raises(ValidationFailed) as excinfo:
        services.reading_record(vehicle=truck, engine_hours=Decimal("49.9"), recorded_at=ago(1))
    assert excinfo.value.field == "engine_hours"
    assert "The engine hours cannot go down" in excinfo.value.message
    assert "50 h" in excinfo.value.message


def test_an_odometer_only_reading_leaves_the_engine_hours_alone(truck, clock):
    services.reading_record(
        vehicle=truck, odometer=1_000, engine_hours=Decimal("50"), recorded_at=ago(2)
    )
    services.reading_record(vehicle=truck, odometer=1_100)
    vehicle = Vehicle.objects.get(pk=truck.pk)
    assert (vehicle.odometer, vehicle.engine_hours) == (1_100, Decimal("50.0"))
    assert (vehicle.odometer_at, vehicle.engine_hours_at) == (NOW, ago(2))


def test_it_refuses_a_reading_in_the_future(vehicle, clock):
    with pytest.raises(ValidationFailed) as excinfo:
        services.reading_record(vehicle=vehicle, odometer=100, recorded_at=NOW + timedelta(hours=1))
    assert excinfo.value.field == "recorded_at"
    assert excinfo.value.message == "A reading cannot be in the future."
    assert stored(vehicle) == []


def test_a_clock_a_few_minutes_fast_is_tolerated(vehicle, clock):
    services.reading_record(vehicle=vehicle, odometer=100, recorded_at=NOW + timedelta(minutes=4))
    assert len(stored(vehicle)) == 1


def test_it_refuses_a_time_without_a_time_zone(vehicle, clock):
    with pytest.raises(ValidationFailed) as excinfo:
        services.reading_record(vehicle=vehicle, odometer=100, recorded_at=datetime(2030, 6, 1))
    assert excinfo.value.field == "recorded_at"


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({}, "odometer", "Give an odometer value, engine hours, or both."),
        ({"odometer": -1}, "odometer", "The odometer cannot be negative."),
        ({"odometer": True}, "odometer", "The odometer must be a whole number."),
        ({"odometer": 10_000_001}, "odometer", "The odometer can be at most 10,000,000."),
        ({"engine_hours": Decimal("-0.5")}, "engine_hours", "Engine hours cannot be negative."),
        ({"engine_hours": Decimal("NaN")}, "engine_hours", "Engine hours must be a number."),
        (
            {"engine_hours": Decimal(1_000_001)},
            "engine_hours",
            "Engine hours can be at most 1,000,000.",
        ),
        ({"odometer": 1, "note": "n" * 256}, "note", "The note can be at most 255 characters."),
        ({"odometer": 1, "note": "a\x00"}, "note", "The note cannot contain NUL characters."),
    ],
)
def test_it_refuses_malformed_values(truck, clock, values, field, message):
    with pytest.raises(ValidationFailed) as excinfo:
        services.reading_record(vehicle=truck, **values)
    assert (excinfo.value.field, excinfo.value.message) == (field, message)
    assert stored(truck) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("12.5", "The odometer must be a whole number."),
        ("abc", "The odometer must be a whole number."),
        (True, "The odometer must be a whole number."),
        ("NaN", "The odometer must be a whole number."),
    ],
)
def test_an_odometer_sent_loosely_must_be_a_whole_number(value, message):
    with pytest.raises(ValidationFailed) as excinfo:
        reading_odometer(value)
    assert (excinfo.value.field, excinfo.value.message) == ("odometer", message)


@pytest.mark.parametrize("value", ["NaN", "lots", True, "Infinity"])
def test_engine_hours_sent_loosely_must_be_a_number(value):
    with pytest.raises(ValidationFailed) as excinfo:
        reading_engine_hours(value)
    assert (excinfo.value.field, excinfo.value.message) == (
        "engine_hours",
        "Engine hours must be a number.",
    )


def test_loose_meters_are_read_as_their_numbers():
    assert [reading_odometer(v) for v in (None, "", 12, " 40 ", "7.0")] == [None, None, 12, 40, 7]
    assert reading_engine_hours("12.5") == Decimal("12.5")
    assert reading_engine_hours(3) == Decimal(3)
    assert reading_engine_hours("") is None


# --- bulk -------------------------------------------------------------------------


def item(index, *, vehicle_id=None, vehicle_key=None, **reading) -> services.BulkItem:
    return services.BulkItem(
        index=index,
        vehicle_id=vehicle_id,
        vehicle_key=vehicle_key,
        reading=services.ReadingInput(**reading),
    )


def test_a_batch_stores_every_valid_reading_and_reports_every_invalid_one(org, vehicle, clock):
    truck = services.vehicle_create(org=org, label="Truck", vehicle_key="TRK")
    result = services.readings_bulk_record(
        org=org,
        items=[
            item(0, vehicle_id=vehicle.pk, odometer=1_000, recorded_at=ago(2)),
            item(1, vehicle_key="TRK", odometer=500, recorded_at=ago(2)),
            item(2, vehicle_id=vehicle.pk, odometer=-5),
            item(3, vehicle_key="NOPE", odometer=5),
            item(4, vehicle_id=vehicle.pk, odometer=1_100, recorded_at=ago(1)),
            item(5, vehicle_key="TRK", odometer=400, recorded_at=ago(1)),
        ],
    )
    assert result.created == 3
    assert result.errors == [
        {
            "index": 2,
            "code": "invalid",
            "field": "odometer",
            "message": "The odometer cannot be negative.",
        },
        {"index": 3, "code": "invalid", "field": "vehicle", "message": "Vehicle does not exist."},
        {
            "index": 5,
            "code": "invalid",
            "field": "odometer",
            "message": "The odometer cannot go down: the previous reading was 500 km on "
            "2030-06-13. If the meter was replaced or rolled over, record a correction.",
        },
    ]
    assert stored(vehicle) == [(1_000, None, False), (1_100, None, False)]
    assert stored(truck) == [(500, None, False)]
    assert current(vehicle) == (1_100, None, ago(1))
    assert current(truck) == (500, None, ago(2))
    assert set(Reading.objects.values_list("source", flat=True)) == {ReadingSource.API}


def test_a_batch_reports_another_fleets_vehicle_as_not_existing(org, other_org, clock):
    theirs = services.vehicle_create(org=other_org, label="Theirs", vehicle_key="SHARED")
    result = services.readings_bulk_record(
        org=org,
        items=[
            item(0, vehicle_id=theirs.pk, odometer=100),
            item(1, vehicle_key="SHARED", odometer=100),
        ],
    )
    assert result.created == 0
    assert [(e["index"], e["message"]) for e in result.errors] == [
        (0, "Vehicle does not exist."),
        (1, "Vehicle does not exist."),
    ]
    assert not Reading.objects.exists()
    assert Vehicle.objects.get(pk=theirs.pk).odometer is None


def test_a_batch_sorts_its_readings_by_time_before_checking_them(org, vehicle, clock):
    result = services.readings_bulk_record(
        org=org,
        items=[
            item(0, vehicle_id=vehicle.pk, odometer=3_000, recorded_at=ago(1)),
            item(1, vehicle_id=vehicle.pk, odometer=1_000, recorded_at=ago(3)),
            item(2, vehicle_id=vehicle.pk, odometer=2_000, recorded_at=ago(2)),
        ],
    )
    assert result.errors == []
    assert stored(vehicle) == [(1_000, None, False), (2_000, None, False), (3_000, None, False)]
    assert current(vehicle)[0] == 3_000


def test_a_batch_checks_backfilled_readings_against_the_stored_history(org, vehicle, clock):
    services.reading_record(vehicle=vehicle, odometer=1_000, recorded_at=ago(10))
    services.reading_record(vehicle=vehicle, odometer=2_000, recorded_at=ago(1))
    result = services.readings_bulk_record(
        org=org,
        items=[
            item(0, vehicle_id=vehicle.pk, odometer=2_500, recorded_at=ago(5)),
            item(1, vehicle_id=vehicle.pk, odometer=1_500, recorded_at=ago(5)),
        ],
    )
    assert [(e["index"], e["field"]) for e in result.errors] == [(0, "odometer")]
    assert "higher than a later reading" in result.errors[0]["message"]
    assert stored(vehicle) == [(1_000, None, False), (1_500, None, False), (2_000, None, False)]
    assert current(vehicle)[0] == 2_000


def test_a_batch_asks_for_confirmation_of_each_implausible_jump(org, vehicle, clock):
    services.reading_record(vehicle=vehicle, odometer=1_000, recorded_at=ago(2))
    result = services.readings_bulk_record(
        org=org,
        items=[
            item(0, vehicle_id=vehicle.pk, odometer=90_000, recorded_at=ago(1)),
            item(1, vehicle_id=vehicle.pk, odometer=90_000, recorded_at=ago(1), confirm_jump=True),
        ],
    )
    assert [(e["index"], e["code"]) for e in result.errors] == [(0, "confirmation_required")]
    assert current(vehicle)[0] == 90_000


def test_a_batch_reports_a_key_with_a_nul_character_as_not_existing(org, vehicle, clock):
    result = services.readings_bulk_record(
        org=org, items=[item(0, vehicle_key="VAN-1\x00", odometer=5)]
    )
    assert result.errors[0]["message"] == "Vehicle does not exist."
    assert not Reading.objects.exists()


def test_a_batch_refuses_engine_hours_for_a_vehicle_that_does_not_track_them(org, vehicle, clock):
    result = services.readings_bulk_record(
        org=org, items=[item(0, vehicle_id=vehicle.pk, odometer=5, engine_hours=1)]
    )
    assert result.errors[0]["field"] == "engine_hours"
    assert not Reading.objects.exists()


def test_a_batch_refuses_a_reading_in_the_future(org, vehicle, clock):
    result = services.readings_bulk_record(
        org=org,
        items=[item(0, vehicle_id=vehicle.pk, odometer=5, recorded_at=NOW + timedelta(days=1))],
    )
    assert result.errors[0]["field"] == "recorded_at"
    assert not Reading.objects.exists()


def test_a_batch_of_more_than_ten_thousand_readings_is_refused(org, vehicle, clock):
    items = [item(i, vehicle_id=vehicle.pk, odometer=i) for i in range(10_001)]
    with pytest.raises(ValidationFailed) as excinfo:
        services.readings_bulk_record(org=org, items=items)
    assert excinfo.value.field == "readings"
    assert excinfo.value.message == "Send at most 10,000 readings at once."
    assert not Reading.objects.exists()


def test_a_batch_of_exactly_ten_thousand_readings_is_stored(org, vehicle, clock):
    items = [
        item(i, vehicle_id=vehicle.pk, odometer=i, recorded_at=ago(20) + timedelta(minutes=i))
        for i in range(10_000)
    ]
    result = services.readings_bulk_record(org=org, items=items)
    assert result.errors == []
    assert Reading.objects.filter(vehicle=vehicle).count() == 10_000
    assert current(vehicle)[0] == 9_999


def test_an_empty_batch_stores_nothing(org):
    result = services.readings_bulk_record(org=org, items=[])
    assert (result.created, result.errors) == (0, [])


def test_the_queries_of_a_batch_do_not_grow_with_its_vehicles(org, clock):
    def batch_queries(count: int, prefix: str) -> int:
        fleet = [
            services.vehicle_create(org=org, label=f"{prefix}{n}", vehicle_key=f"{prefix}{n}")
            for n in range(count)
        ]
        items = [
            item(
                2 * n + k, vehicle_key=v.vehicle_key, odometer=100 * (k + 1), recorded_at=ago(2 - k)
            )
            for n, v in enumerate(fleet)
            for k in range(2)
        ]
        with CaptureQueriesContext(connection) as ctx:
            result = services.readings_bulk_record(org=org, items=items)
        assert result.errors == []
        return len(ctx.captured_queries)

    assert batch_queries(3, "A") == batch_queries(30, "B")
