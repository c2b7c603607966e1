"""The maintenance schedule's rules: what an interval is, when it falls due, who hears of it."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from fleetmaint import sweeps
from fleetmaint.errors import DomainError, NotFound, ValidationFailed
from fleetmaint.intervals import inputs, queries, services
from fleetmaint.intervals.models import IntervalPreset, ServiceInterval
from fleetmaint.notifications import delivery
from fleetmaint.notifications.models import Channel, Event, Message
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.clock import NOW
from tests.notifications.conftest import smtp  # noqa: F401  (the real SMTP receiver)

pytestmark = pytest.mark.usefixtures("clock")

PRESET_NAMES = [
    "Oil Change",
    "Tire Rotation",
    "Replace Cabin Air Filter",
    "Replace Engine Air Filter",
    "Replace Brake Pads",
    "Replace Spark Plugs",
    "Replace Brake Fluid",
    "Replace Transmission Fluid",
]
# Every built-in preset: the eight of the vendor API, then those for diesels,
# electric vehicles and equipment.
ALL_PRESET_NAMES = [
    *PRESET_NAMES,
    "Replace Diesel Fuel Filter",
    "Battery Coolant Check",
    "Engine Oil and Filter",
    "Replace Hydraulic Filter",
    "Replace Air Filter",
    "Fuel Filter and Water Separator",
    "Grease Pivot Points",
]


@pytest.fixture
def people(admin_user, advisor, viewer):
    return {"admin": admin_user, "advisor": advisor, "viewer": viewer}


def read(vehicle: Vehicle, odometer: int):
    """Records an odometer reading now, as a driver's app would."""
    return vehicles.reading_record(vehicle=vehicle, odometer=odometer, confirm_jump=True)


def due_events() -> list[Event]:
    return list(Event.objects.filter(name="interval.due").order_by("id"))


def emailed(event: Event) -> set[str]:
    return set(
        Message.objects.filter(event=event, channel=Channel.EMAIL).values_list("address", flat=True)
    )


@pytest.fixture
def van(vehicle, clock) -> Vehicle:
    """The fleet's van, last read at 10,000 km a day ago."""
    clock.shift(-timedelta(days=1))
    read(vehicle, 10_000)
    clock.move_to(NOW)
    vehicle.refresh_from_db()
    return vehicle


# --- what an interval is --------------------------------------------------------------


def test_an_interval_can_be_due_at_a_mileage(van):
    interval = services.interval_create(vehicle=van, odometer=15_000, name="Oil Change")
    assert interval.service_at_mileage == 15_000
    assert interval.service_at_date is None
    assert interval.vehicle == van
    assert interval.org_id == van.org_id
    assert interval.name == "Oil Change"
    assert interval.created_at == NOW
    assert interval.last_updated == NOW
    assert interval.preset is None
    assert interval.serviced_at is None


def test_an_interval_can_be_due_on_a_date(van):
    interval = services.interval_create(vehicle=van, time=NOW + timedelta(days=90))
    assert interval.service_at_mileage is None
    assert interval.service_at_date == NOW + timedelta(days=90)


def test_an_interval_can_be_due_at_whichever_comes_first(van):
    interval = services.interval_create(
        vehicle=van, odometer=20_000, time=NOW + timedelta(days=30), notes="Brakes"
    )
    assert (interval.service_at_mileage, interval.service_at_date) == (
        20_000,
        NOW + timedelta(days=30),
    )
    assert interval.notes == "Brakes"


def test_an_interval_without_a_name_is_named_after_its_notes(van):
    interval = services.interval_create(vehicle=van, odometer=12_000, notes="Wipers\nboth sides")
    assert interval.name == "Wipers"


def test_an_interval_needs_a_mileage_or_a_date(van):
    with pytest.raises(ValidationFailed) as error:
        services.interval_create(vehicle=van, odometer=None, time=None)
    assert error.value.message == "Give a mileage, a date or both."
    assert not ServiceInterval.objects.exists()


@pytest.mark.parametrize("odometer", [0, 1_000_000])
def test_a_mileage_from_zero_to_a_million_is_accepted(vehicle, odometer):
    # A vehicle without a reading yet: any mileage lies ahead of it.
    interval = services.interval_create(vehicle=vehicle, odometer=odometer)
    assert interval.service_at_mileage == odometer


@pytest.mark.parametrize("odometer", [-1, 1_000_001, True])
def test_a_mileage_outside_the_range_is_refused(van, odometer):
    with pytest.raises(ValidationFailed) as error:
        services.interval_create(vehicle=van, odometer=odometer)
    assert error.value.message == "The odometer must be a whole number from 0 to 1,000,000."
    assert error.value.field == "odometer"
    assert not ServiceInterval.objects.exists()


@pytest.mark.parametrize(
    "raw, expected",
    [(None, None), ("", None), ("  ", None), ("1000000", 1_000_000), ("  42 ", 42), (7, 7)],
)
def test_a_loose_mileage_is_read_as_a_whole_number(raw, expected):
    assert inputs.parse_odometer(raw) == expected


@pytest.mark.parametrize(
    "raw", [-1, 1_000_001, "-5", "abc", "12.5", "NaN", "Infinity", "1e400", True, [1], "9" * 5000]
)
def test_a_loose_mileage_outside_the_range_or_not_a_number_is_refused(raw):
    with pytest.raises(ValidationFailed) as error:
        inputs.parse_odometer(raw)
    assert error.value.message == "The odometer must be a whole number from 0 to 1,000,000."


@pytest.mark.parametrize(
    "time, words",
    [
        (NOW - timedelta(days=1), "The due date is in the past."),
        (NOW + timedelta(days=3_654), "The due date must be within ten years from today"),
        (datetime(2030, 7, 1, 8, 0), "The due date needs a time zone."),  # names no moment
    ],
)
def test_a_date_in_the_past_or_beyond_ten_years_is_refused(van, time, words):
    with pytest.raises(ValidationFailed) as error:
        services.interval_create(vehicle=van, time=time)
    assert error.value.message.startswith(words)
    assert error.value.field == "time"


@pytest.mark.parametrize(
    "raw", ["yesterday", "2030-13-45T00:00:00Z", "1e400", "NaN", True, [1], {"a": 1}, 1.5]
)
def test_a_loose_time_that_is_not_a_time_is_refused(raw):
    with pytest.raises(ValidationFailed) as error:
        inputs.parse_time(raw, "Europe/Berlin")
    assert error.value.field == "time"


@pytest.mark.parametrize(
    "time, expected",
    [
        (NOW, NOW),
        (str(int(NOW.timestamp()) + 86_400), NOW + timedelta(days=1)),
        (int(NOW.timestamp()) + 3_600, NOW + timedelta(hours=1)),
        (str(int(NOW.timestamp() * 1000) + 60_000), NOW + timedelta(minutes=1)),
        ("2030-07-01T08:00:00Z", datetime(2030, 7, 1, 8, 0, tzinfo=UTC)),
        ("2030-07-01T08:00:00+02:00", datetime(2030, 7, 1, 6, 0, tzinfo=UTC)),
        # Without an offset, the fleet's own time zone (Berlin, UTC+2 in summer).
        ("2030-07-01 08:00:00", datetime(2030, 7, 1, 6, 0, tzinfo=UTC)),
        ("", None),
    ],
)
def test_a_loose_time_may_be_unix_seconds_or_iso_8601(time, expected):
    assert inputs.parse_time(time, "Europe/Berlin") == expected


@pytest.mark.parametrize(
    "time", [NOW, datetime(2031, 6, 15, 10, 0, tzinfo=UTC), NOW - timedelta(minutes=4)]
)
def test_a_date_from_now_to_a_year_ahead_is_accepted(van, time):
    interval = services.interval_create(vehicle=van, time=time)
    assert interval.service_at_date == time


def test_notes_of_exactly_the_limit_are_accepted(van):
    interval = services.interval_create(vehicle=van, odometer=12_000, notes="n" * 65_535)
    assert len(interval.notes) == 65_535


def test_notes_longer_than_the_limit_are_refused(van):
    with pytest.raises(ValidationFailed) as error:
        services.interval_create(vehicle=van, odometer=12_000, notes="n" * 65_536)
    assert error.value.message == "The notes can be at most 65,535 characters."
    assert not ServiceInterval.objects.exists()


def test_notes_with_a_nul_character_are_refused_not_a_crash(van):
    with pytest.raises(ValidationFailed) as error:
        services.interval_create(vehicle=van, odometer=12_000, notes="oil\x00filter")
    assert error.value.field == "notes"
    assert not ServiceInterval.objects.exists()


def test_a_vehicle_is_found_by_key_only_in_its_own_fleet(org, other_org, van):
    assert queries.vehicle_by_key(org, "VAN-1") == van
    for key in ("VAN-1", "", "nope", "VAN\x001"):
        with pytest.raises(NotFound) as error:
            queries.vehicle_by_key(other_org if key == "VAN-1" else org, key)
        assert error.value.message == "There is no such vehicle in this fleet."
        assert error.value.field == "vehicle_key"


# --- falling due through a reading ----------------------------------------------------


def test_a_reading_below_the_mileage_tells_nobody(people, van):
    services.interval_create(vehicle=van, odometer=12_000, name="Oil Change")
    read(van, 11_999)
    assert due_events() == []
    assert ServiceInterval.objects.get().due_at is None


def test_a_reading_that_reaches_the_mileage_tells_the_advisors_once(people, van, clock):
    interval = services.interval_create(vehicle=van, odometer=12_000, name="Oil Change")

    clock.shift(timedelta(hours=2))
    read(van, 12_000)
    clock.shift(timedelta(hours=2))
    read(van, 12_500)
    clock.shift(timedelta(days=2))
    read(van, 13_000)

    [event] = due_events()
    assert event.dedupe_key == f"interval:{interval.pk}:due"
    assert event.subject == "Oil Change is due on Van 1"
    assert "the odometer reached 12,000 km" in event.text
    assert emailed(event) == {"alice@example.com", "bob@example.com"}
    interval.refresh_from_db()
    assert interval.due_at == NOW + timedelta(hours=2)


def test_only_admins_and_advisors_hear_that_an_interval_is_due(people, outsider, van):
    services.interval_create(vehicle=van, odometer=12_000)
    read(van, 12_001)
    [event] = due_events()
    users = set(Message.objects.filter(event=event).values_list("user__username", flat=True))
    assert users == {"alice", "bob"}


def test_each_interval_a_reading_crosses_is_told_once(people, van):
    first = services.interval_create(vehicle=van, odometer=11_000, name="Tires")
    second = services.interval_create(vehicle=van, odometer=11_500, name="Brakes")
    later = services.interval_create(vehicle=van, odometer=20_000, name="Plugs")

    read(van, 12_000)

    keys = [e.dedupe_key for e in due_events()]
    assert sorted(keys) == sorted([f"interval:{first.pk}:due", f"interval:{second.pk}:due"])
    assert f"interval:{later.pk}:due" not in keys


def test_a_reading_on_another_vehicle_does_not_make_this_one_due(org, people, van, clock):
    services.interval_create(vehicle=van, odometer=12_000)
    truck = vehicles.vehicle_create(org=org, label="Truck", vehicle_key="TRUCK-1")
    read(truck, 50_000)
    assert due_events() == []


def test_an_interval_created_at_a_mileage_already_reached_is_due_at_once(people, van):
    interval = services.interval_create(vehicle=van, odometer=10_000)
    [event] = due_events()
    assert event.dedupe_key == f"interval:{interval.pk}:due"
    read(van, 10_500)
    assert len(due_events()) == 1


def test_the_due_email_reaches_the_advisors_mailbox(people, van, smtp):  # noqa: F811
    services.interval_create(vehicle=van, odometer=12_000, name="Oil Change")
    read(van, 12_345)

    delivered = delivery.deliver_due()

    assert delivered >= 2
    assert len(smtp.to("alice@example.com")) == 1
    assert len(smtp.to("bob@example.com")) == 1
    assert smtp.to("victor@example.com") == []
    [mail] = smtp.to("bob@example.com")
    assert "Oil Change is due on Van 1" in mail["Subject"]
    body = next(
        part.get_payload(decode=True).decode()
        for part in mail.walk()
        if part.get_content_type() == "text/plain"
    )
    assert "12,345 km" in body
    assert "/vehicles/" in body

    # Nothing is sent a second time.
    assert delivery.deliver_due() == 0
    assert len(smtp.received) == 2


# --- falling due with time ------------------------------------------------------------


def test_the_sweep_finds_an_interval_whose_date_has_come_once(people, van, clock):
    interval = services.interval_create(vehicle=van, time=NOW + timedelta(days=10))

    sweeps.sweep_dates()
    assert due_events() == []

    clock.move_to(NOW + timedelta(days=10) - timedelta(seconds=1))
    sweeps.sweep_dates()
    assert due_events() == []

    clock.move_to(NOW + timedelta(days=10))
    results = sweeps.sweep_dates()
    assert results["fleetmaint.intervals.services.intervals_sweep_dates"] == 1

    clock.move_to(NOW + timedelta(days=12))
    assert services.intervals_sweep_dates() == 0

    [event] = due_events()
    assert event.dedupe_key == f"interval:{interval.pk}:due"
    assert emailed(event) == {"alice@example.com", "bob@example.com"}
    assert "its date 2030-06-25 has come" in event.text


def test_the_sweep_covers_every_fleet(org, other_org, people, outsider, van, clock):
    theirs = vehicles.vehicle_create(org=other_org, label="Their pickup", vehicle_key="PICK-1")
    ours = services.interval_create(vehicle=van, time=NOW + timedelta(days=3))
    services.interval_create(vehicle=theirs, time=NOW + timedelta(days=3))

    clock.move_to(NOW + timedelta(days=4))
    assert services.intervals_sweep_dates() == 2

    by_org = {e.org_id: e for e in due_events()}
    assert set(by_org) == {org.pk, other_org.pk}
    assert emailed(by_org[org.pk]) == {"alice@example.com", "bob@example.com"}
    assert emailed(by_org[other_org.pk]) == {"oscar@example.com"}
    assert by_org[org.pk].dedupe_key == f"interval:{ours.pk}:due"


def test_an_interval_reached_by_mileage_and_then_by_date_is_told_once(people, van, clock):
    services.interval_create(vehicle=van, odometer=12_000, time=NOW + timedelta(days=5))
    read(van, 12_000)
    clock.move_to(NOW + timedelta(days=6))
    sweeps.sweep_dates()
    read(van, 12_100)
    assert len(due_events()) == 1


def test_a_reading_after_the_date_passed_tells_once_even_before_the_sweep(people, van, clock):
    services.interval_create(vehicle=van, time=NOW + timedelta(days=5))
    clock.move_to(NOW + timedelta(days=6))
    read(van, 10_100)
    sweeps.sweep_dates()
    assert len(due_events()) == 1


# --- notes ----------------------------------------------------------------------------


def test_a_note_is_appended_to_the_previous_notes(van, clock):
    interval = services.interval_create(vehicle=van, odometer=12_000, notes="Use 5W-30.")
    clock.shift(timedelta(hours=1))
    services.interval_update_notes(interval=interval, notes="Filter is in stock.")
    interval.refresh_from_db()
    assert interval.notes.startswith("Use 5W-30.")
    assert interval.notes.endswith("Filter is in stock.")
    assert interval.last_updated == NOW + timedelta(hours=1)
    assert interval.created_at == NOW


def test_a_note_that_would_make_the_notes_too_long_replaces_them(van):
    interval = services.interval_create(vehicle=van, odometer=12_000, notes="o" * 60_000)
    services.interval_update_notes(interval=interval, notes="n" * 6_000)
    interval.refresh_from_db()
    assert interval.notes == "n" * 6_000


def test_notes_that_fit_together_are_kept_together(van):
    interval = services.interval_create(vehicle=van, odometer=12_000, notes="o" * 30_000)
    services.interval_update_notes(interval=interval, notes="n" * 30_000)
    interval.refresh_from_db()
    assert interval.notes.startswith("o" * 30_000)
    assert interval.notes.endswith("n" * 30_000)
    assert len(interval.notes) <= 65_535


def test_notes_that_together_make_exactly_the_limit_are_both_kept(van):
    interval = services.interval_create(vehicle=van, odometer=12_000, notes="o" * 65_000)
    services.interval_update_notes(interval=interval, notes="n" * 535)
    interval.refresh_from_db()
    assert interval.notes.startswith("o" * 65_000)
    assert interval.notes.endswith("n" * 535)
    assert len(interval.notes) <= 65_535


def test_notes_one_character_over_the_limit_together_are_replaced(van):
    interval = services.interval_create(vehicle=van, odometer=12_000, notes="o" * 65_000)
    services.interval_update_notes(interval=interval, notes="n" * 536)
    interval.refresh_from_db()
    assert interval.notes == "n" * 536


def test_a_note_longer_than_the_limit_is_refused_and_the_old_notes_stay(van):
    interval = services.interval_create(vehicle=van, odometer=12_000, notes="Keep me.")
    with pytest.raises(ValidationFailed) as error:
        services.interval_update_notes(interval=interval, notes="n" * 65_536)
    assert error.value.message == "The notes can be at most 65,535 characters."
    interval.refresh_from_db()
    assert interval.notes == "Keep me."


def test_an_empty_note_changes_nothing(van):
    interval = services.interval_create(vehicle=van, odometer=12_000, notes="Keep me.")
    services.interval_update_notes(interval=interval, notes="")
    interval.refresh_from_db()
    assert interval.notes == "Keep me."


def test_a_note_with_a_nul_character_is_refused_not_a_crash(van):
    interval = services.interval_create(vehicle=van, odometer=12_000, notes="Keep me.")
    with pytest.raises(ValidationFailed):
        services.interval_update_notes(interval=interval, notes="bad\x00note")
    interval.refresh_from_db()
    assert interval.notes == "Keep me."


# --- removing -------------------------------------------------------------------------


def test_a_removed_interval_stops_appearing_and_notifying(org, people, van, clock):
    interval = services.interval_create(vehicle=van, odometer=12_000, time=NOW + timedelta(days=5))
    services.interval_remove(interval=interval)

    assert list(queries.open_intervals(org, queries.DueFilters())) == []
    assert list(queries.maintenance_required(org, None)) == []
    read(van, 13_000)
    clock.move_to(NOW + timedelta(days=6))
    sweeps.sweep_dates()
    assert due_events() == []


def test_an_interval_is_found_only_on_its_own_vehicle(org, other_org, van):
    interval = services.interval_create(vehicle=van, odometer=12_000)
    other = vehicles.vehicle_create(org=org, label="Van 2", vehicle_key="VAN-2")
    assert queries.open_interval(van, interval.pk) == interval
    assert queries.open_interval_in(org, interval.pk) == interval
    with pytest.raises(NotFound) as error:
        queries.open_interval(other, interval.pk)
    assert error.value.message == "There is no open service interval with that id."
    with pytest.raises(NotFound):
        queries.open_interval_in(other_org, interval.pk)


@pytest.mark.parametrize("raw", [None, "", "0", 0, "-3", "abc", "1.5", True, [1], "\u0661"])
def test_an_identifier_must_be_a_positive_number(raw):
    with pytest.raises(ValidationFailed) as error:
        inputs.parse_identifier(raw)
    assert error.value.message == "Give the interval's id, a whole number above zero."
    assert error.value.field == "id"


def test_an_identifier_too_large_for_the_database_is_simply_not_found(van):
    with pytest.raises(NotFound):
        queries.open_interval(van, inputs.parse_identifier("99999999999999999999999"))


# --- servicing ------------------------------------------------------------------------


def test_marking_a_custom_interval_serviced_closes_it_without_a_next_one(org, people, van):
    interval = services.interval_create(vehicle=van, odometer=12_000)
    following = services.interval_mark_serviced(interval=interval, odometer=11_200)
    assert following is None
    interval.refresh_from_db()
    assert interval.serviced_at == NOW
    assert interval.serviced_odometer == 11_200
    assert list(queries.open_intervals(org, queries.DueFilters())) == []

    read(van, 12_500)
    assert due_events() == []


def test_a_serviced_preset_interval_schedules_the_next_from_the_service(org, van):
    services.intervals_generate(org=org, vehicles=[van])
    oil = ServiceInterval.objects.get(vehicle=van, name="Oil Change")
    serviced_on = NOW - timedelta(days=3)

    # Before the van's reading of 10,000 a day ago: the service's odometer fits below it.
    following = services.interval_mark_serviced(
        interval=oil, odometer=9_700, serviced_at=serviced_on
    )

    assert following is not None
    following.refresh_from_db()
    assert following.preset_id == oil.preset_id
    assert following.name == "Oil Change"
    assert following.service_at_mileage == 9_700 + 15_000
    assert following.service_at_date == datetime(2031, 6, 12, 10, 0, tzinfo=UTC)
    assert following.serviced_at is None
    oil.refresh_from_db()
    assert (oil.serviced_at, oil.serviced_odometer) == (serviced_on, 9_700)


def test_a_service_without_an_odometer_schedules_from_the_vehicles_odometer(org, van):
    services.intervals_generate(org=org, vehicles=[van])
    tires = ServiceInterval.objects.get(vehicle=van, name="Tire Rotation")
    following = services.interval_mark_serviced(interval=tires)
    assert following.service_at_mileage == 10_000 + 10_000
    assert following.service_at_date == datetime(2030, 12, 15, 10, 0, tzinfo=UTC)


def test_marking_serviced_twice_is_refused_and_schedules_one_next_interval(org, van):
    services.intervals_generate(org=org, vehicles=[van])
    oil = ServiceInterval.objects.get(vehicle=van, name="Oil Change")
    stale = ServiceInterval.objects.get(pk=oil.pk)

    services.interval_mark_serviced(interval=oil, odometer=10_100)
    with pytest.raises(DomainError) as error:
        services.interval_mark_serviced(interval=stale, odometer=10_200)

    assert error.value.message == "This interval has already been serviced."
    assert ServiceInterval.objects.filter(vehicle=van, name="Oil Change").count() == 2
    oil.refresh_from_db()
    assert oil.serviced_odometer == 10_100


def test_a_service_date_in_the_future_is_refused(van):
    interval = services.interval_create(vehicle=van, odometer=12_000)
    with pytest.raises(ValidationFailed):
        services.interval_mark_serviced(interval=interval, serviced_at=NOW + timedelta(days=1))
    interval.refresh_from_db()
    assert interval.serviced_at is None


@pytest.mark.parametrize("odometer", [-1, 1_000_001])
def test_a_service_odometer_out_of_range_is_refused(van, odometer):
    interval = services.interval_create(vehicle=van, odometer=12_000)
    with pytest.raises(ValidationFailed) as error:
        services.interval_mark_serviced(interval=interval, odometer=odometer)
    assert error.value.message == "The odometer must be a whole number from 0 to 1,000,000."
    interval.refresh_from_db()
    assert interval.serviced_at is None


def test_the_next_interval_of_a_preset_falls_due_like_any_other(org, people, van, clock):
    services.intervals_generate(org=org, vehicles=[van])
    oil = ServiceInterval.objects.get(vehicle=van, name="Oil Change")
    following = services.interval_mark_serviced(interval=oil, odometer=10_000)

    clock.shift(timedelta(days=20))
    read(van, 25_000)

    keys = [e.dedupe_key for e in due_events()]
    assert keys.count(f"interval:{following.pk}:due") == 1
    assert f"interval:{oil.pk}:due" not in keys


# --- presets and generating -----------------------------------------------------------


def test_every_fleet_starts_with_the_built_in_presets(org, other_org):
    ours = services.presets_ensure(org)
    assert [p.name for p in ours] == ALL_PRESET_NAMES
    assert all(p.builtin and p.enabled and p.kinds for p in ours)
    seed = [p for p in ours if p.name in PRESET_NAMES]
    assert all(p.meter == "distance" and p.distance > 0 and p.months > 0 for p in seed)
    theirs = services.presets_ensure(other_org)
    assert {p.pk for p in ours}.isdisjoint(p.pk for p in theirs)
    # Other Fleet counts in miles.
    assert {p.distance_unit for p in theirs} == {"mi"}
    assert next(p for p in theirs if p.name == "Oil Change").distance == 9_321
    # Asking again creates nothing new.
    assert len(services.presets_ensure(org)) == len(ALL_PRESET_NAMES)


def test_generating_for_a_vehicle_starts_from_its_odometer_and_today(org, van):
    created = services.intervals_generate(org=org, vehicles=[van])

    assert created == 8
    rows = {i.name: i for i in ServiceInterval.objects.filter(vehicle=van)}
    assert sorted(rows) == sorted(PRESET_NAMES)
    oil = rows["Oil Change"]
    assert oil.service_at_mileage == 10_000 + 15_000
    assert oil.service_at_date == datetime(2031, 6, 15, 10, 0, tzinfo=UTC)
    assert oil.start_odometer == 10_000
    assert oil.preset.name == "Oil Change"
    tires = rows["Tire Rotation"]
    assert tires.service_at_mileage == 20_000
    assert tires.service_at_date == datetime(2030, 12, 15, 10, 0, tzinfo=UTC)
    assert rows["Replace Transmission Fluid"].service_at_date == datetime(
        2035, 6, 15, 10, 0, tzinfo=UTC
    )


def test_a_vehicle_counting_miles_gets_preset_distances_in_miles(org):
    car = vehicles.vehicle_create(
        org=org, label="US import", vehicle_key="US-1", distance_unit="mi"
    )
    read(car, 40_000)
    services.intervals_generate(org=org, vehicles=[car])
    oil = ServiceInterval.objects.get(vehicle=car, name="Oil Change")
    assert oil.service_at_mileage == 40_000 + 9_321  # 15,000 km


def test_a_vehicle_without_an_odometer_gets_date_only_intervals(org, vehicle):
    services.intervals_generate(org=org, vehicles=[vehicle])
    rows = ServiceInterval.objects.filter(vehicle=vehicle)
    assert rows.count() == 8
    assert {r.service_at_mileage for r in rows} == {None}
    assert None not in {r.service_at_date for r in rows}


def test_a_preset_with_an_open_interval_is_not_generated_again(org, van):
    assert services.intervals_generate(org=org, vehicles=[van]) == 8
    assert services.intervals_generate(org=org, vehicles=[van]) == 0

    oil = ServiceInterval.objects.get(vehicle=van, name="Oil Change")
    services.interval_mark_serviced(interval=oil, odometer=10_000)
    assert services.intervals_generate(org=org, vehicles=[van]) == 0

    tires = ServiceInterval.objects.get(vehicle=van, name="Tire Rotation")
    services.interval_remove(interval=tires)
    assert services.intervals_generate(org=org, vehicles=[van]) == 1
    assert ServiceInterval.objects.filter(vehicle=van, serviced_at=None).count() == 8


def test_a_custom_interval_does_not_stop_a_preset_of_the_same_name(org, van):
    services.interval_create(vehicle=van, odometer=12_000, name="Oil Change")
    assert services.intervals_generate(org=org, vehicles=[van]) == 8


def test_generating_for_the_fleet_covers_its_active_vehicles_only(org, other_org, van):
    idle = vehicles.vehicle_create(org=org, label="Old van", vehicle_key="OLD-1")
    vehicles.vehicle_set_archived(vehicle=idle, archived=True)
    spare = vehicles.vehicle_create(org=org, label="Spare", vehicle_key="SPARE-1")
    theirs = vehicles.vehicle_create(org=other_org, label="Their pickup", vehicle_key="PICK-1")

    assert services.intervals_generate(org=org) == 16

    assert ServiceInterval.objects.filter(vehicle=van).count() == 8
    assert ServiceInterval.objects.filter(vehicle=spare).count() == 8
    assert not ServiceInterval.objects.filter(vehicle=idle).exists()
    assert not ServiceInterval.objects.filter(vehicle=theirs).exists()
    assert not IntervalPreset.objects.filter(org=other_org).exists()


def test_an_edited_disabled_or_custom_preset_is_generated_as_it_now_is(org, van):
    presets = {p.name: p for p in services.presets_ensure(org)}
    services.presets_update(
        org=org,
        changes={
            presets["Oil Change"].pk: {"distance": 20_000, "months": 6},
            presets["Replace Spark Plugs"].pk: {"enabled": False},
        },
        new={"name": "Annual inspection", "distance": 100_000, "months": 12},
    )

    services.intervals_generate(org=org, vehicles=[van])

    rows = {i.name: i for i in ServiceInterval.objects.filter(vehicle=van)}
    assert "Replace Spark Plugs" not in rows
    assert rows["Oil Change"].service_at_mileage == 30_000
    assert rows["Oil Change"].service_at_date == datetime(2030, 12, 15, 10, 0, tzinfo=UTC)
    assert rows["Annual inspection"].service_at_mileage == 110_000
    assert len(rows) == 8


@pytest.mark.parametrize(
    "values, field",
    [
        ({"distance": 0}, "distance"),
        ({"distance": 1_000_001}, "distance"),
        ({"months": 0}, "months"),
        ({"months": 241}, "months"),
    ],
)
def test_a_preset_edit_out_of_range_is_refused_and_changes_nothing(org, values, field):
    oil = next(p for p in services.presets_ensure(org) if p.name == "Oil Change")
    with pytest.raises(ValidationFailed) as error:
        services.presets_update(org=org, changes={oil.pk: values})
    assert error.value.field == field
    oil.refresh_from_db()
    assert (oil.distance, oil.months) == (15_000, 12)


def test_a_custom_preset_needs_a_name_not_taken(org):
    services.presets_ensure(org)
    with pytest.raises(ValidationFailed):
        services.presets_update(
            org=org, changes={}, new={"name": "oil change", "distance": 1, "months": 1}
        )
    assert IntervalPreset.objects.filter(org=org).count() == len(ALL_PRESET_NAMES)


def test_another_fleets_preset_cannot_be_edited(org, other_org):
    theirs = services.presets_ensure(other_org)[0]
    with pytest.raises(NotFound):
        services.presets_update(org=org, changes={theirs.pk: {"distance": 1}})


def test_new_vehicles_get_the_presets_only_when_the_fleet_asks_for_it(org):
    plain = vehicles.vehicle_create(org=org, label="Plain", vehicle_key="P-1")
    assert not ServiceInterval.objects.filter(vehicle=plain).exists()

    services.schedule_settings_update(org=org, for_new_vehicles=True, on_first_reading=False)
    scheduled = vehicles.vehicle_create(org=org, label="Scheduled", vehicle_key="S-1")
    assert ServiceInterval.objects.filter(vehicle=scheduled).count() == 8


def test_a_first_odometer_reading_generates_the_presets_when_the_fleet_asks_for_it(
    org, vehicle, clock
):
    services.schedule_settings_update(org=org, for_new_vehicles=False, on_first_reading=True)

    read(vehicle, 5_000)

    rows = {i.name: i for i in ServiceInterval.objects.filter(vehicle=vehicle)}
    assert len(rows) == 8
    assert rows["Oil Change"].service_at_mileage == 20_000

    clock.shift(timedelta(days=1))
    read(vehicle, 5_500)
    assert ServiceInterval.objects.filter(vehicle=vehicle).count() == 8


def test_a_first_reading_generates_nothing_when_the_fleet_did_not_ask(org, vehicle):
    read(vehicle, 5_000)
    assert not ServiceInterval.objects.filter(vehicle=vehicle).exists()


def test_a_vehicle_that_already_had_an_odometer_generates_nothing_on_a_reading(org, van, clock):
    services.schedule_settings_update(org=org, for_new_vehicles=False, on_first_reading=True)
    clock.shift(timedelta(hours=5))
    read(van, 10_200)
    assert not ServiceInterval.objects.filter(vehicle=van).exists()


# --- states ---------------------------------------------------------------------------


def test_the_due_list_sorts_intervals_into_required_soon_and_ok(org, van):
    required = services.interval_create(vehicle=van, odometer=10_000, name="Required")
    soon = services.interval_create(vehicle=van, time=NOW + timedelta(days=10), name="Soon")
    near = services.interval_create(vehicle=van, odometer=10_500, name="Near")
    ok = services.interval_create(
        vehicle=van, odometer=50_000, time=NOW + timedelta(days=200), name="Ok"
    )

    def names(state):
        return {i.name for i in queries.open_intervals(org, queries.DueFilters(state=state))}

    assert names("required") == {required.name}
    assert names("soon") == {soon.name, near.name}
    assert names("ok") == {ok.name}
    assert names("") == {"Required", "Soon", "Near", "Ok"}
    assert {i.name for i in queries.maintenance_required(org, True)} == {"Required"}
    assert {i.name for i in queries.maintenance_required(org, False)} == {"Soon", "Near", "Ok"}


def test_the_berlin_fleet_sees_due_dates_in_its_own_time_zone(people, van, clock):
    # 23:30 UTC on the 20th is already the 21st in Berlin.
    services.interval_create(vehicle=van, time=datetime(2030, 6, 20, 23, 30, tzinfo=UTC))
    clock.move_to(datetime(2030, 6, 21, 0, 0, tzinfo=UTC))
    sweeps.sweep_dates()
    [event] = due_events()
    assert "its date 2030-06-21 has come" in event.text


# --- at the same time -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_tell_each_crossing_once(people, van, clock):
    for n in range(5):
        services.interval_create(vehicle=van, name=f"S{n}", time=NOW + timedelta(days=1))
    clock.move_to(NOW + timedelta(days=2))
    barrier = threading.Barrier(2)
    failures = []

    def sweep():
        try:
            barrier.wait(timeout=10)
            sweeps.sweep_dates()
        except Exception as error:  # reported below
            failures.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=sweep) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    assert failures == []
    assert len(due_events()) == 5
    assert Message.objects.filter(channel=Channel.EMAIL).count() == 10


def test_a_batch_of_readings_tells_each_crossing_once(org, people, van, clock):
    truck = vehicles.vehicle_create(org=org, label="Truck", vehicle_key="TRUCK-1")
    ours = services.interval_create(vehicle=van, odometer=10_800)
    services.interval_create(vehicle=truck, time=NOW + timedelta(days=30))
    clock.shift(timedelta(days=1))
    items = [
        vehicles.BulkItem(0, van.pk, None, vehicles.ReadingInput(odometer=10_500)),
        vehicles.BulkItem(1, None, "VAN-1", vehicles.ReadingInput(odometer=10_900)),
        vehicles.BulkItem(2, truck.pk, None, vehicles.ReadingInput(odometer=100)),
    ]
    items[0].reading.recorded_at = NOW + timedelta(hours=12)

    result = vehicles.readings_bulk_record(org=org, items=items)

    assert result.errors == []
    assert [e.dedupe_key for e in due_events()] == [f"interval:{ours.pk}:due"]
