"""Telematics ingest: Traccar's forwarded positions and the generic feed, as trackers send them."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fleetmaint.accounts import services as accounts
from fleetmaint.ingest.models import IngestIssue
from fleetmaint.vehicles import readings
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Reading, ReadingSource, Vehicle
from tests.clock import NOW

TRACCAR = "/api/v1/ingest/traccar"
FEED = "/api/v1/ingest/readings"


def moment(at: datetime) -> str:
    """A time as Traccar's JSON writes it: ISO 8601 with milliseconds and an offset."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+00:00")


def position(
    unique_id: str,
    at: datetime,
    *,
    odometer: float | None = None,
    total_distance: float | None = None,
    hours: int | None = None,
) -> dict:
    """A body of Traccar's PositionForwarderJson: its PositionData with position and device."""
    attributes: dict = {"sat": 9, "ignition": True, "motion": True, "distance": 12.4}
    if odometer is not None:
        attributes["odometer"] = odometer
    if total_distance is not None:
        attributes["totalDistance"] = total_distance
    if hours is not None:
        attributes["hours"] = hours
    return {
        "position": {
            "id": 4711,
            "attributes": attributes,
            "deviceId": 12,
            "protocol": "teltonika",
            "serverTime": moment(at + timedelta(seconds=2)),
            "deviceTime": moment(at),
            "fixTime": moment(at),
            "outdated": False,
            "valid": True,
            "latitude": 52.52,
            "longitude": 13.405,
            "altitude": 34.0,
            "speed": 23.7,
            "course": 181.0,
            "address": None,
            "accuracy": 0.0,
            "network": None,
            "geofenceIds": None,
        },
        "device": {
            "id": 12,
            "attributes": {},
            "groupId": 0,
            "calendarId": 0,
            "name": "Van 1 tracker",
            "uniqueId": unique_id,
            "status": "online",
            "lastUpdate": moment(at),
            "positionId": 4711,
            "phone": None,
            "model": "FMB920",
            "contact": None,
            "category": "van",
            "disabled": False,
            "expirationTime": None,
        },
    }


def send(client: Client, body: dict) -> dict:
    response = client.post(TRACCAR, json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def tracked(org, key: str, device: str, *, unit: str = "km", hours: bool = False) -> Vehicle:
    vehicle = vehicles.vehicle_create(
        org=org, label=key, vehicle_key=key, distance_unit=unit, tracks_engine_hours=hours
    )
    vehicle.device_id = device
    vehicle.save(update_fields=["device_id"])
    return vehicle


def meters_of(vehicle: Vehicle) -> list[tuple]:
    return list(
        Reading.objects.filter(vehicle=vehicle)
        .order_by("recorded_at")
        .values_list("odometer", "engine_hours", "source")
    )


@pytest.fixture
def readings_key(org) -> str:
    _, raw = accounts.apikey_create(org=org, name="traccar", readings_only=True)
    return raw


@pytest.fixture
def tracker(readings_key) -> Client:
    return Client(headers={"Authorization": f"Bearer {readings_key}"})


@pytest.fixture
def van(org) -> Vehicle:
    return tracked(org, "VAN-1", "356307042441013", unit="km", hours=True)


@pytest.fixture
def truck(org) -> Vehicle:
    return tracked(org, "TRUCK-1", "866000111222333", unit="mi")


# --- Traccar -----------------------------------------------------------------------------


def test_traccar_metres_become_the_vehicles_km_and_milliseconds_hours(clock, tracker, van):
    at = NOW - timedelta(minutes=5)
    answer = send(tracker, position(van.device_id, at, odometer=123456789.0, hours=45_000_000))
    assert answer["accepted"] == 1
    assert meters_of(van) == [(123456, Decimal("12.5"), ReadingSource.TELEMATICS)]
    assert Vehicle.objects.get(pk=van.pk).odometer == 123456


def test_traccar_metres_become_miles_on_a_mile_vehicle(clock, tracker, truck):
    # 160,934.4 m is exactly 100 miles; engine hours are dropped on a vehicle without them.
    answer = send(tracker, position(truck.device_id, NOW, odometer=160934.4, hours=3_600_000))
    assert answer["accepted"] == 1
    assert meters_of(truck) == [(100, None, ReadingSource.TELEMATICS)]


def test_total_distance_is_taken_when_the_tracker_reads_no_odometer(clock, tracker, van):
    send(tracker, position(van.device_id, NOW, total_distance=2_500_900.0))
    assert meters_of(van)[0][0] == 2500


def test_two_positions_a_minute_apart_make_one_reading(clock, tracker, van):
    start = NOW - timedelta(hours=3)
    send(tracker, position(van.device_id, start, odometer=1_000_000))
    answer = send(
        tracker, position(van.device_id, start + timedelta(minutes=1), odometer=1_001_000)
    )
    assert answer["skipped_recent"] == 1
    assert answer["accepted"] == 0
    assert len(meters_of(van)) == 1


def test_two_positions_an_hour_apart_make_two_readings(clock, tracker, van):
    start = NOW - timedelta(hours=3)
    send(tracker, position(van.device_id, start, odometer=1_000_000))
    send(tracker, position(van.device_id, start + timedelta(hours=1), odometer=1_050_000))
    assert [m[0] for m in meters_of(van)] == [1000, 1050]


def test_the_period_is_a_setting(clock, tracker, van, settings):
    settings.TELEMATICS_MIN_INTERVAL_SECONDS = 300
    start = NOW - timedelta(hours=1)
    send(tracker, position(van.device_id, start, odometer=1_000_000))
    send(tracker, position(van.device_id, start + timedelta(minutes=2), odometer=1_001_000))
    send(tracker, position(van.device_id, start + timedelta(minutes=6), odometer=1_002_000))
    assert [m[0] for m in meters_of(van)] == [1000, 1002]


def test_a_position_sent_again_is_a_duplicate(clock, tracker, van):
    body = position(van.device_id, NOW - timedelta(minutes=10), odometer=5_000_000)
    send(tracker, body)
    answer = send(tracker, body)
    assert answer["duplicates"] == 1
    assert answer["accepted"] == answer["skipped_recent"] == 0
    assert len(meters_of(van)) == 1


def test_a_decreasing_odometer_is_refused_with_the_reading_rules_message(clock, tracker, van):
    start = NOW - timedelta(hours=5)
    send(tracker, position(van.device_id, start, odometer=5_000_000))
    answer = send(tracker, position(van.device_id, start + timedelta(hours=2), odometer=4_000_000))
    assert answer["accepted"] == 0
    [refusal] = answer["refused"]
    assert refusal["field"] == "odometer"
    assert refusal["device"] == van.device_id
    assert refusal["message"].startswith(
        "The odometer cannot go down: the previous reading was 5,000 km"
    )
    issue = IngestIssue.objects.get()
    assert (issue.vehicle_id, issue.odometer, issue.message) == (van.pk, 4000, refusal["message"])


def test_an_implausible_jump_is_held_for_review_not_stored(clock, tracker, van, org):
    start = NOW - timedelta(hours=5)
    send(tracker, position(van.device_id, start, odometer=5_000_000))
    far = (org.max_daily_distance * 10 + 5_000) * 1000
    answer = send(tracker, position(van.device_id, start + timedelta(hours=2), odometer=far))
    assert answer["accepted"] == 0
    assert answer["refused"][0]["code"] == "confirmation_required"
    assert len(meters_of(van)) == 1
    issue = IngestIssue.objects.get(vehicle=van)
    assert issue.code == "confirmation_required"
    assert issue.odometer == far // 1000


def test_an_unknown_device_is_reported_not_an_error(clock, tracker, van):
    answer = send(tracker, position("000000000000000", NOW, odometer=1000))
    assert answer["unknown_devices"] == 1
    assert answer["unknown"] == ["000000000000000"]
    assert answer["accepted"] == 0
    assert not Reading.objects.exists()


def test_another_fleets_device_is_unknown(clock, tracker, other_org):
    tracked(other_org, "THEIRS", "111")
    answer = send(tracker, position("111", NOW, odometer=1000))
    assert answer["unknown_devices"] == 1
    assert not Reading.objects.exists()


def test_a_body_that_is_not_a_position_is_400(clock, tracker):
    response = tracker.post(TRACCAR, json.dumps({"device": {}}), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["field"] == "position"


def test_a_position_without_a_time_is_reported(clock, tracker, van):
    body = position(van.device_id, NOW, odometer=1000)
    for name in ("fixTime", "deviceTime", "serverTime"):
        del body["position"][name]
    answer = send(tracker, body)
    assert answer["refused"][0]["field"] == "position.fixTime"


# --- keys ----------------------------------------------------------------------------------


def test_a_readings_only_key_is_refused_everywhere_else(clock, tracker, vehicle):
    assert tracker.get("/api/v1/vehicles").status_code == 403
    response = tracker.post(
        f"/api/v1/vehicles/{vehicle.pk}/readings",
        json.dumps({"odometer": 10}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_a_read_only_key_cannot_ingest(clock, org, van):
    _, raw = accounts.apikey_create(org=org, name="reader", read_only=True)
    reader = Client(headers={"Authorization": f"Bearer {raw}"})
    body = json.dumps(position(van.device_id, NOW, odometer=1000))
    assert reader.post(TRACCAR, body, content_type="application/json").status_code == 403
    assert reader.post(FEED, "{}", content_type="application/json").status_code == 403
    assert not Reading.objects.exists()


def test_a_full_key_may_ingest_and_no_key_may_not(clock, api, van):
    body = json.dumps(position(van.device_id, NOW, odometer=1000))
    assert api.post(TRACCAR, body, content_type="application/json").status_code == 200
    assert Client().post(TRACCAR, body, content_type="application/json").status_code == 401


def test_a_key_cannot_be_read_only_and_readings_only(org):
    with pytest.raises(Exception, match="cannot be read-only"):
        accounts.apikey_create(org=org, name="both", read_only=True, readings_only=True)


# --- the generic feed -----------------------------------------------------------------------


def test_the_feed_names_vehicles_by_key_vin_or_device(clock, tracker, org, van, truck):
    Vehicle.objects.filter(pk=truck.pk).update(vin="1FTBW3XM6HKA12345")
    at = (NOW - timedelta(minutes=1)).isoformat()
    answer = tracker.post(
        FEED,
        json.dumps(
            [
                {"vehicle_key": "VAN-1", "odometer": 1200, "odometer_unit": "km", "timestamp": at},
                {
                    "vin": "1ftbw3xm6hka12345",
                    "odometer": 1000,
                    "odometer_unit": "km",
                    "timestamp": at,
                },
                {"device_id": "nobody", "odometer": 5, "timestamp": at},
            ]
        ),
        content_type="application/json",
    ).json()
    assert answer["accepted"] == 2
    assert answer["unknown"] == ["nobody"]
    assert meters_of(van)[0][0] == 1200
    assert meters_of(truck)[0][0] == 621  # 1,000 km, rounded down in miles


def test_engine_seconds_become_hours_and_the_vehicle_unit_is_the_default(clock, tracker, van):
    answer = tracker.post(
        FEED,
        json.dumps(
            {
                "device_id": van.device_id,
                "odometer": 77,
                "engine_seconds": 9000,
                "timestamp": NOW.isoformat(),
            }
        ),
        content_type="application/json",
    ).json()
    assert answer["accepted"] == 1
    assert meters_of(van) == [(77, Decimal("2.5"), ReadingSource.TELEMATICS)]


def test_ndjson_with_a_bad_line_reports_it_and_stores_the_rest(clock, tracker, van, truck):
    lines = [
        json.dumps({"vehicle_key": "VAN-1", "odometer": 500, "timestamp": NOW.isoformat()}),
        "{not json",
        "",
        json.dumps({"vehicle_key": "TRUCK-1", "odometer": 70, "timestamp": "yesterday"}),
        json.dumps({"vehicle_key": "TRUCK-1", "odometer": 80, "timestamp": NOW.isoformat()}),
    ]
    response = tracker.post(FEED, "\n".join(lines), content_type="application/x-ndjson")
    assert response.status_code == 200
    answer = response.json()
    assert answer["accepted"] == 2
    assert [(r["line"], r["field"]) for r in answer["refused"]] == [(2, None), (4, "timestamp")]
    assert "not valid JSON" in answer["refused"][0]["message"]


def test_a_feed_item_without_a_vehicle_or_a_zone_is_reported(clock, tracker, van):
    answer = tracker.post(
        FEED,
        json.dumps(
            [
                {"odometer": 5, "timestamp": NOW.isoformat()},
                {"vehicle_key": "VAN-1", "odometer": 5, "timestamp": "2030-06-15T10:00:00"},
                {
                    "vehicle_key": "VAN-1",
                    "odometer": 5,
                    "odometer_unit": "yd",
                    "timestamp": NOW.isoformat(),
                },
            ]
        ),
        content_type="application/json",
    ).json()
    assert [r["field"] for r in answer["refused"]] == ["vehicle_key", "timestamp", "odometer_unit"]
    assert answer["accepted"] == 0


def test_a_batch_keeps_one_reading_per_period_per_vehicle(clock, tracker, van):
    start = NOW - timedelta(hours=3)
    items = [
        {
            "vehicle_key": "VAN-1",
            "odometer": 1000 + minute,
            "timestamp": (start + timedelta(minutes=minute)).isoformat(),
        }
        for minute in range(0, 180, 5)
    ]
    answer = tracker.post(FEED, json.dumps(items), content_type="application/json").json()
    assert answer["accepted"] == 3
    assert answer["skipped_recent"] == len(items) - 3
    assert [m[0] for m in meters_of(van)] == [1000, 1060, 1120]


# --- cost ---------------------------------------------------------------------------------


def _feed_batch(org, count: int, start: datetime) -> str:
    return json.dumps(
        [
            {"device_id": f"dev-{n}", "odometer": 1010, "timestamp": start.isoformat()}
            for n in range(count)
        ]
    )


def test_statements_do_not_grow_with_the_batch(clock, tracker, org, settings, monkeypatch):
    # Predictions go to a job on commit; here they would be refreshed in place.
    monkeypatch.setattr(readings, "enqueue_predictions", lambda ids: None)
    settings.TELEMATICS_MIN_INTERVAL_SECONDS = 60
    start = NOW - timedelta(hours=2)
    for n in range(40):
        vehicle = tracked(org, f"V-{n}", f"dev-{n}")
        readings.reading_record(vehicle=vehicle, odometer=1000, recorded_at=start)
    tracker.post(FEED, "[]", content_type="application/json")  # the key's first use is noted once
    counts = []
    for size, at in ((2, NOW - timedelta(minutes=30)), (40, NOW - timedelta(minutes=10))):
        body = _feed_batch(org, size, at)
        with CaptureQueriesContext(connection) as queries:
            answer = tracker.post(FEED, body, content_type="application/json").json()
        assert answer["accepted"] == size
        counts.append(len(queries))
    assert counts[0] == counts[1]
