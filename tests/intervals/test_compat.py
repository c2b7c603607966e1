"""The vendor-compatible service interval endpoints (seed 003): exact wire format and errors."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from fleetmaint.accounts import services as accounts
from fleetmaint.intervals import services
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.notifications.models import Event
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.clock import NOW

pytestmark = pytest.mark.usefixtures("clock")

SUCCESS = {"error": "Success!"}

VEHICLE_MISSING = "Vehicle does not exist!"
NOTES_TOO_LONG = "notes can not be more than 65535 characters!"
ODOMETER_RANGE = "odometer is outside of valid range!"
TIME_RANGE = "time is outside of valid range!"
NO_BASIS = "Service interval must be based on mileage or time!"
NO_IDENTIFIER = "Requires non-zero identifier!"
NOT_FOUND = "Could not find requested service interval!"


def call(client: Client, method: str, **fields):
    """A vendor client's request: form-encoded POST to /voyorequest/<Method>."""
    return client.post(f"/voyorequest/{method}", fields, HTTP_ACCEPT="application/json")


def ok(response) -> dict:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"] == "Success!"
    return body


def refused(response, message: str) -> None:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": message}


@pytest.fixture
def van(vehicle, clock) -> Vehicle:
    """The fleet's van VAN-1, last read at 10,000 km a day ago."""
    clock.shift(-timedelta(days=1))
    vehicles.reading_record(vehicle=vehicle, odometer=10_000)
    clock.move_to(NOW)
    vehicle.refresh_from_db()
    return vehicle


@pytest.fixture
def their_vehicle(other_org) -> Vehicle:
    return vehicles.vehicle_create(org=other_org, label="Their pickup", vehicle_key="PICK-1")


def intervals_of(vehicle: Vehicle) -> list[ServiceInterval]:
    return list(ServiceInterval.objects.filter(vehicle=vehicle).order_by("id"))


# --- authorization -------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-key"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer"},
        {"Authorization": "Token {key}"},
        {"Authorization": "{key}"},
    ],
)
@pytest.mark.parametrize(
    "method",
    [
        "CreateServiceInterval",
        "GenerateServiceInterval",
        "GetAllServiceIntervals",
        "GetServiceIntervals",
        "RemoveServiceInterval",
        "UpdateServiceInterval",
    ],
)
def test_a_missing_or_wrong_key_is_invalid_authorization(api_key, van, headers, method):
    client = Client(headers={k: v.format(key=api_key) for k, v in headers.items()})
    response = call(client, method, vehicle_key="VAN-1", odometer="20000", id="1", notes="x")
    assert response.status_code == 401
    assert response.json() == {"error": "Invalid Authorization!"}
    assert not ServiceInterval.objects.exists()


def test_a_revoked_key_is_invalid_authorization(org, api, api_key, van):
    key = next(k for k in org.api_keys.all())
    accounts.apikey_revoke(org=org, key_id=key.pk)
    response = call(api, "GetAllServiceIntervals")
    assert response.status_code == 401
    assert response.json() == {"error": "Invalid Authorization!"}


def test_a_read_only_key_may_list_but_not_create(org, van):
    _, raw = accounts.apikey_create(org=org, name="dashboard", read_only=True)
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert ok(call(client, "GetAllServiceIntervals"))["service_intervals"] == []
    response = call(client, "CreateServiceInterval", vehicle_key="VAN-1", odometer="20000")
    assert response.status_code == 403
    assert not ServiceInterval.objects.exists()


def test_the_methods_are_posts_only(api, van):
    assert api.get("/voyorequest/GetAllServiceIntervals").status_code == 405


def test_an_unknown_method_is_not_found(api, van):
    assert api.post("/voyorequest/DropEverything", {}).status_code == 404


# --- CreateServiceInterval ----------------------------------------------------------------


def test_it_creates_an_interval_by_mileage(api, van):
    body = ok(
        call(api, "CreateServiceInterval", vehicle_key="VAN-1", odometer="20000", notes="Oil")
    )

    [interval] = intervals_of(van)
    assert body == {"error": "Success!", "service_id": str(interval.pk)}
    assert interval.service_at_mileage == 20_000
    assert interval.service_at_date is None
    assert interval.notes == "Oil"


@pytest.mark.parametrize(
    "time, expected",
    [
        (str(int((NOW + timedelta(days=30)).timestamp())), NOW + timedelta(days=30)),
        ("2030-08-01T09:30:00Z", datetime(2030, 8, 1, 9, 30, tzinfo=UTC)),
        ("2030-08-01T09:30:00+02:00", datetime(2030, 8, 1, 7, 30, tzinfo=UTC)),
        ("2030-08-01 09:30:00", datetime(2030, 8, 1, 7, 30, tzinfo=UTC)),  # Berlin time
    ],
)
def test_it_creates_an_interval_by_time_in_unix_seconds_or_iso_8601(api, van, time, expected):
    body = ok(call(api, "CreateServiceInterval", vehicle_key="VAN-1", time=time))
    interval = ServiceInterval.objects.get(pk=int(body["service_id"]))
    assert interval.service_at_date == expected
    assert interval.service_at_mileage is None


def test_it_creates_an_interval_by_mileage_and_time(api, van):
    time = str(int((NOW + timedelta(days=60)).timestamp()))
    body = ok(call(api, "CreateServiceInterval", vehicle_key="VAN-1", odometer="30000", time=time))
    interval = ServiceInterval.objects.get(pk=body["service_id"])
    assert (interval.service_at_mileage, interval.service_at_date) == (
        30_000,
        NOW + timedelta(days=60),
    )


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"vehicle_key": "NOPE", "odometer": "20000"}, VEHICLE_MISSING),
        ({"vehicle_key": "", "odometer": "20000"}, VEHICLE_MISSING),
        ({"odometer": "20000"}, VEHICLE_MISSING),
        ({"vehicle_key": "VAN-1\x00", "odometer": "20000"}, VEHICLE_MISSING),
        ({"vehicle_key": "VAN-1", "odometer": "20000", "notes": "n" * 65_536}, NOTES_TOO_LONG),
        ({"vehicle_key": "VAN-1", "odometer": "-1"}, ODOMETER_RANGE),
        ({"vehicle_key": "VAN-1", "odometer": "1000001"}, ODOMETER_RANGE),
        ({"vehicle_key": "VAN-1", "odometer": "99999999999999999999"}, ODOMETER_RANGE),
        ({"vehicle_key": "VAN-1", "odometer": "twenty thousand"}, ODOMETER_RANGE),
        ({"vehicle_key": "VAN-1", "odometer": "20000.5"}, ODOMETER_RANGE),
        ({"vehicle_key": "VAN-1", "odometer": "NaN"}, ODOMETER_RANGE),
        ({"vehicle_key": "VAN-1", "time": str(int(NOW.timestamp()) - 86_400)}, TIME_RANGE),
        ({"vehicle_key": "VAN-1", "time": str(int(NOW.timestamp()) + 367 * 86_400)}, TIME_RANGE),
        ({"vehicle_key": "VAN-1", "time": "2029-01-01T00:00:00Z"}, TIME_RANGE),
        ({"vehicle_key": "VAN-1", "time": "next tuesday"}, TIME_RANGE),
        ({"vehicle_key": "VAN-1", "time": "-1"}, TIME_RANGE),
        ({"vehicle_key": "VAN-1", "time": "1e400"}, TIME_RANGE),
        ({"vehicle_key": "VAN-1", "time": "99999999999999999999999999"}, TIME_RANGE),
        ({"vehicle_key": "VAN-1"}, NO_BASIS),
        ({"vehicle_key": "VAN-1", "odometer": "", "time": "", "notes": "x"}, NO_BASIS),
    ],
)
def test_an_invalid_create_is_refused_with_the_vendors_words(api, van, fields, message):
    refused(call(api, "CreateServiceInterval", **fields), message)
    assert not ServiceInterval.objects.exists()


def test_the_limits_themselves_are_accepted(api, van):
    year_later = str(int(NOW.timestamp()) + 365 * 86_400)
    # The van is at 10,000: a mileage below its odometer is outside the valid range.
    ok(call(api, "CreateServiceInterval", vehicle_key="VAN-1", odometer="10000"))
    ok(call(api, "CreateServiceInterval", vehicle_key="VAN-1", odometer="1000000"))
    ok(call(api, "CreateServiceInterval", vehicle_key="VAN-1", time=year_later))
    ok(
        call(
            api, "CreateServiceInterval", vehicle_key="VAN-1", odometer="10001", notes="n" * 65_535
        )
    )
    assert len(intervals_of(van)) == 4


def test_notes_with_a_nul_character_are_refused_not_a_crash(api, van):
    response = call(api, "CreateServiceInterval", vehicle_key="VAN-1", odometer="1", notes="a\x00")
    assert response.status_code == 400
    assert set(response.json()) == {"error"}
    assert not ServiceInterval.objects.exists()


def test_another_fleets_vehicle_key_does_not_exist(api, other_api, van, their_vehicle):
    refused(call(api, "CreateServiceInterval", vehicle_key="PICK-1", odometer="9"), VEHICLE_MISSING)
    refused(
        call(other_api, "CreateServiceInterval", vehicle_key="VAN-1", odometer="9"),
        VEHICLE_MISSING,
    )
    assert not ServiceInterval.objects.exists()


def test_a_created_interval_falls_due_with_the_odometer(api, van, advisor, clock):
    ok(call(api, "CreateServiceInterval", vehicle_key="VAN-1", odometer="10500"))
    clock.shift(timedelta(hours=6))
    vehicles.reading_record(vehicle=van, odometer=10_600)
    assert Event.objects.filter(name="interval.due").count() == 1
    body = ok(call(api, "GetAllServiceIntervals", maintenance_required="1"))
    assert [i["service_at_mileage"] for i in body["service_intervals"]] == ["10500"]


# --- GenerateServiceInterval -------------------------------------------------------------


def test_it_generates_the_presets_for_one_vehicle(api, org, van):
    spare = vehicles.vehicle_create(org=org, label="Spare", vehicle_key="SPARE-1")
    assert ok(call(api, "GenerateServiceInterval", vehicle_key="VAN-1")) == SUCCESS
    names = [i.name for i in intervals_of(van)]
    assert names == [
        "Oil Change",
        "Tire Rotation",
        "Replace Cabin Air Filter",
        "Replace Engine Air Filter",
        "Replace Brake Pads",
        "Replace Spark Plugs",
        "Replace Brake Fluid",
        "Replace Transmission Fluid",
    ]
    assert intervals_of(spare) == []
    oil = intervals_of(van)[0]
    assert oil.service_at_mileage == 25_000
    assert oil.service_at_date == datetime(2031, 6, 15, 10, 0, tzinfo=UTC)


def test_it_generates_the_presets_for_every_vehicle_without_a_key(api, org, van, their_vehicle):
    spare = vehicles.vehicle_create(org=org, label="Spare", vehicle_key="SPARE-1")
    assert ok(call(api, "GenerateServiceInterval")) == SUCCESS
    assert ok(call(api, "GenerateServiceInterval", vehicle_key="")) == SUCCESS
    assert len(intervals_of(van)) == 8
    assert len(intervals_of(spare)) == 8
    assert intervals_of(their_vehicle) == []


def test_generating_again_does_not_duplicate(api, van):
    ok(call(api, "GenerateServiceInterval", vehicle_key="VAN-1"))
    ok(call(api, "GenerateServiceInterval", vehicle_key="VAN-1"))
    assert len(intervals_of(van)) == 8


def test_generating_for_an_electric_van_takes_only_the_presets_that_fit_it(api, org):
    vehicles.vehicle_create(org=org, label="e-Van", vehicle_key="EV-1", powertrain="electric")
    assert call(api, "GenerateServiceInterval", vehicle_key="EV-1").json() == SUCCESS
    listed = ok(call(api, "GetServiceIntervals", vehicle_key="EV-1"))["service_intervals"]
    # Listed as before, each with the seed's fields.
    assert {tuple(sorted(i)) for i in listed} == {
        ("created_at", "id", "last_updated", "notes", "service_at_date")
    }
    names = {i.name for i in ServiceInterval.objects.filter(vehicle__vehicle_key="EV-1")}
    assert "Oil Change" not in names
    assert "Replace Spark Plugs" not in names
    assert "Tire Rotation" in names


@pytest.mark.parametrize("key", ["NOPE", "PICK-1", "VAN\x00"])
def test_generating_for_an_unknown_vehicle_is_refused(api, van, their_vehicle, key):
    refused(call(api, "GenerateServiceInterval", vehicle_key=key), VEHICLE_MISSING)
    assert not ServiceInterval.objects.exists()


# --- GetAllServiceIntervals and GetServiceIntervals -------------------------------------------


@pytest.fixture
def schedule(org, van, their_vehicle, clock):
    """A required mileage interval, a future dated one, and one on another van and fleet."""
    clock.move_to(NOW - timedelta(hours=1))
    by_mileage = services.interval_create(vehicle=van, odometer=10_000, notes="Wipers")
    clock.move_to(NOW)
    by_date = services.interval_create(vehicle=van, time=NOW + timedelta(days=40))
    spare = vehicles.vehicle_create(org=org, label="Spare", vehicle_key="SPARE-1")
    on_spare = services.interval_create(
        vehicle=spare, odometer=50_000, time=datetime(2030, 12, 24, 18, 30, 5, tzinfo=UTC)
    )
    services.interval_create(vehicle=their_vehicle, odometer=1, notes="Theirs")
    return by_mileage, by_date, on_spare


def test_all_intervals_come_in_the_vendors_shape(api, schedule):
    by_mileage, by_date, on_spare = schedule

    body = ok(call(api, "GetAllServiceIntervals"))

    assert set(body) == {"error", "service_intervals"}
    assert body["service_intervals"] == [
        {
            "id": str(by_mileage.pk),
            "created_at": "2030-06-15 09:00:00",
            "last_updated": "2030-06-15 09:00:00",
            "notes": "Wipers",
            "service_at_mileage": "10000",
        },
        {
            "id": str(by_date.pk),
            "created_at": "2030-06-15 10:00:00",
            "last_updated": "2030-06-15 10:00:00",
            "notes": "",
            "service_at_date": "2030-07-25 10:00:00",
        },
        {
            "id": str(on_spare.pk),
            "created_at": "2030-06-15 10:00:00",
            "last_updated": "2030-06-15 10:00:00",
            "notes": "",
            "service_at_mileage": "50000",
            "service_at_date": "2030-12-24 18:30:05",
        },
    ]


@pytest.mark.parametrize(
    "flag, expected",
    [(None, [0, 1, 2]), ("", [0, 1, 2]), ("1", [0]), ("0", [1, 2])],
)
def test_all_intervals_filter_by_maintenance_required(api, schedule, flag, expected):
    fields = {} if flag is None else {"maintenance_required": flag}
    body = ok(call(api, "GetAllServiceIntervals", **fields))
    assert [i["id"] for i in body["service_intervals"]] == [str(schedule[n].pk) for n in expected]


def test_an_interval_whose_time_has_come_requires_maintenance(api, schedule, clock):
    clock.move_to(NOW + timedelta(days=40))
    body = ok(call(api, "GetAllServiceIntervals", maintenance_required="1"))
    assert [i["id"] for i in body["service_intervals"]] == [
        str(schedule[0].pk),
        str(schedule[1].pk),
    ]


def test_all_intervals_leave_out_serviced_and_removed_ones(api, schedule):
    by_mileage, by_date, _ = schedule
    services.interval_mark_serviced(interval=by_mileage)
    services.interval_remove(interval=by_date)
    body = ok(call(api, "GetAllServiceIntervals"))
    assert [i["id"] for i in body["service_intervals"]] == [str(schedule[2].pk)]


def test_a_fleet_without_intervals_gets_an_empty_list(api, van):
    assert ok(call(api, "GetAllServiceIntervals")) == {"error": "Success!", "service_intervals": []}


def test_a_vehicles_intervals_are_its_own(api, schedule):
    body = ok(call(api, "GetServiceIntervals", vehicle_key="VAN-1"))
    assert [i["id"] for i in body["service_intervals"]] == [
        str(schedule[0].pk),
        str(schedule[1].pk),
    ]
    assert "service_at_date" not in body["service_intervals"][0]
    assert "service_at_mileage" not in body["service_intervals"][1]


def test_a_vehicle_without_intervals_gets_an_empty_list(api, org, van):
    vehicles.vehicle_create(org=org, label="Empty", vehicle_key="EMPTY-1")
    body = ok(call(api, "GetServiceIntervals", vehicle_key="EMPTY-1"))
    assert body == {"error": "Success!", "service_intervals": []}


@pytest.mark.parametrize("fields", [{}, {"vehicle_key": ""}, {"vehicle_key": "PICK-1"}])
def test_the_intervals_of_an_unknown_vehicle_are_refused(api, schedule, fields):
    refused(call(api, "GetServiceIntervals", **fields), VEHICLE_MISSING)


def test_another_fleet_sees_only_its_own_intervals(other_api, schedule):
    body = ok(call(other_api, "GetAllServiceIntervals"))
    assert [i["notes"] for i in body["service_intervals"]] == ["Theirs"]
    refused(call(other_api, "GetServiceIntervals", vehicle_key="VAN-1"), VEHICLE_MISSING)


# --- RemoveServiceInterval ----------------------------------------------------------------


def test_it_removes_an_interval(api, schedule):
    by_mileage = schedule[0]
    assert ok(call(api, "RemoveServiceInterval", vehicle_key="VAN-1", id=by_mileage.pk)) == SUCCESS
    assert not ServiceInterval.objects.filter(pk=by_mileage.pk).exists()
    body = ok(call(api, "GetServiceIntervals", vehicle_key="VAN-1"))
    assert str(by_mileage.pk) not in [i["id"] for i in body["service_intervals"]]


@pytest.mark.parametrize("raw", [None, "", "0", "-4", "abc", "1.5"])
def test_removing_without_a_proper_identifier_is_refused(api, schedule, raw):
    fields = {"vehicle_key": "VAN-1"}
    if raw is not None:
        fields["id"] = raw
    refused(call(api, "RemoveServiceInterval", **fields), NO_IDENTIFIER)
    assert ServiceInterval.objects.count() == 4


@pytest.mark.parametrize("key", ["NOPE", "", "PICK-1"])
def test_removing_from_an_unknown_vehicle_is_refused(api, schedule, key):
    refused(call(api, "RemoveServiceInterval", vehicle_key=key, id=schedule[0].pk), VEHICLE_MISSING)
    assert ServiceInterval.objects.count() == 4


def test_removing_an_interval_of_another_vehicle_or_fleet_finds_nothing(
    api, other_api, schedule, their_vehicle
):
    on_spare = schedule[2]
    theirs = intervals_of(their_vehicle)[0]
    refused(call(api, "RemoveServiceInterval", vehicle_key="VAN-1", id=on_spare.pk), NOT_FOUND)
    refused(call(api, "RemoveServiceInterval", vehicle_key="VAN-1", id=theirs.pk), NOT_FOUND)
    refused(
        call(other_api, "RemoveServiceInterval", vehicle_key="VAN-1", id=on_spare.pk),
        VEHICLE_MISSING,
    )
    assert ServiceInterval.objects.count() == 4


def test_removing_twice_finds_nothing_the_second_time(api, schedule):
    interval_id = schedule[0].pk
    ok(call(api, "RemoveServiceInterval", vehicle_key="VAN-1", id=interval_id))
    refused(call(api, "RemoveServiceInterval", vehicle_key="VAN-1", id=interval_id), NOT_FOUND)
    refused(
        call(api, "RemoveServiceInterval", vehicle_key="VAN-1", id="99999999999999999999999"),
        NOT_FOUND,
    )


def test_a_removed_interval_no_longer_notifies(api, schedule, advisor, van, clock):
    by_date = schedule[1]
    ok(call(api, "RemoveServiceInterval", vehicle_key="VAN-1", id=by_date.pk))
    clock.move_to(NOW + timedelta(days=41))
    services.intervals_sweep_dates()
    keys = set(Event.objects.filter(name="interval.due").values_list("dedupe_key", flat=True))
    assert f"interval:{by_date.pk}:due" not in keys


# --- UpdateServiceInterval ------------------------------------------------------------------


def test_an_update_appends_the_note(api, schedule, clock):
    by_mileage = schedule[0]
    clock.shift(timedelta(minutes=30))
    assert (
        ok(
            call(
                api,
                "UpdateServiceInterval",
                vehicle_key="VAN-1",
                id=str(by_mileage.pk),
                notes="Both sides.",
            )
        )
        == SUCCESS
    )
    body = ok(call(api, "GetServiceIntervals", vehicle_key="VAN-1"))
    [row] = [i for i in body["service_intervals"] if i["id"] == str(by_mileage.pk)]
    assert row["notes"].startswith("Wipers")
    assert row["notes"].endswith("Both sides.")
    assert row["last_updated"] == "2030-06-15 10:30:00"
    assert row["created_at"] == "2030-06-15 09:00:00"


def test_an_update_that_would_overflow_replaces_the_note(api, schedule):
    by_mileage = schedule[0]
    ServiceInterval.objects.filter(pk=by_mileage.pk).update(notes="o" * 65_000)
    ok(call(api, "UpdateServiceInterval", vehicle_key="VAN-1", id=by_mileage.pk, notes="n" * 600))
    by_mileage.refresh_from_db()
    assert by_mileage.notes == "n" * 600


def test_an_update_with_too_long_a_note_is_refused(api, schedule):
    by_mileage = schedule[0]
    refused(
        call(
            api, "UpdateServiceInterval", vehicle_key="VAN-1", id=by_mileage.pk, notes="n" * 65_536
        ),
        NOTES_TOO_LONG,
    )
    by_mileage.refresh_from_db()
    assert by_mileage.notes == "Wipers"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"vehicle_key": "NOPE"}, VEHICLE_MISSING),
        ({"vehicle_key": "PICK-1"}, VEHICLE_MISSING),
        ({"vehicle_key": "VAN-1", "id": "424242"}, NOT_FOUND),
        ({"vehicle_key": "SPARE-1"}, NOT_FOUND),
    ],
)
def test_an_update_of_something_that_is_not_there_is_refused(api, schedule, fields, message):
    by_mileage = schedule[0]
    fields = {"id": str(by_mileage.pk), "notes": "Hello", **fields}
    refused(call(api, "UpdateServiceInterval", **fields), message)
    by_mileage.refresh_from_db()
    assert by_mileage.notes == "Wipers"


def test_an_update_of_another_fleets_interval_is_refused(other_api, schedule):
    by_mileage = schedule[0]
    refused(
        call(other_api, "UpdateServiceInterval", vehicle_key="PICK-1", id=by_mileage.pk, notes="x"),
        NOT_FOUND,
    )
    by_mileage.refresh_from_db()
    assert by_mileage.notes == "Wipers"
