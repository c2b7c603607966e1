"""The Schedule tab, the Due page and the presets page, for advisors, viewers and outsiders."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fleetmaint.accounts.models import Organization
from fleetmaint.intervals import services
from fleetmaint.intervals.models import IntervalPreset, ServiceInterval
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from fleetmaint.web import INVALID
from tests.clock import NOW

pytestmark = pytest.mark.usefixtures("clock")

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def van(vehicle, clock) -> Vehicle:
    """The fleet's van, last read at 10,000 km a day ago."""
    clock.shift(-timedelta(days=1))
    vehicles.reading_record(vehicle=vehicle, odometer=10_000)
    clock.move_to(NOW)
    vehicle.refresh_from_db()
    return vehicle


@pytest.fixture
def oil(van) -> ServiceInterval:
    return services.interval_create(
        vehicle=van, name="Oil Change", odometer=15_000, notes="Use 5W-30."
    )


@pytest.fixture
def their_vehicle(other_org) -> Vehicle:
    return vehicles.vehicle_create(org=other_org, label="Their pickup", vehicle_key="PICK-1")


def is_full_page(response) -> bool:
    return b"<html" in response.content


def field_html(response, input_id: str) -> str:
    """The rendered block of one form field: its label, input, help and errors."""
    html = response.content.decode()
    for block in html.split('<div class="field')[1:]:
        block = block.split("</div>", 1)[0]
        if f'id="{input_id}"' in block:
            return block
    raise AssertionError(f"no field {input_id!r} in the page")


def schedule_rows(response) -> dict[str, str]:
    """Each interval row of the Schedule tab: its name and state."""
    html = response.content.decode()
    rows = re.findall(r'class="interval-row state-(\w+)"[^>]*>\s*<td>\s*<strong>([^<]+)<', html)
    return {name: state for state, name in rows}


def due_rows(response) -> list[tuple[str, str]]:
    """The Due page's rows in order: (service, state)."""
    html = response.content.decode()
    rows = re.findall(
        r'<tr class="state-(\w+)">\s*(?:<td class="cell-select">.*?</td>\s*)?'
        r"<td><strong>([^<]+)</strong>",
        html,
        re.S,
    )
    return [(name, state) for state, name in rows]


def urls(vehicle: Vehicle, interval: ServiceInterval) -> dict[str, str]:
    base = f"/vehicles/{vehicle.pk}/schedule"
    return {
        "create": f"{base}/new/",
        "generate": f"{base}/generate/",
        "note": f"{base}/{interval.pk}/note/",
        "serviced": f"{base}/{interval.pk}/serviced/",
        "remove": f"{base}/{interval.pk}/remove/",
        "fleet-generate": "/schedule/generate/",
        "presets": "/schedule/presets/",
    }


WRITE_BODIES = {
    "create": {"name": "Wipers", "odometer": "20000"},
    "generate": {},
    "note": {"notes": "A note."},
    "serviced": {"odometer": "10000"},
    "remove": {},
    "fleet-generate": {},
    "presets": {"new-name": "Annual", "new-distance": "1000", "new-period": "12"},
}


def snapshot(org: Organization) -> list[tuple]:
    """Everything a write could change: the intervals and the presets."""
    services.presets_ensure(org)  # reading a page may create the built-in ones
    intervals = ServiceInterval.objects.filter(org=org).order_by("id")
    presets = IntervalPreset.objects.filter(org=org).order_by("id")
    return [
        *intervals.values_list("id", "notes", "serviced_at", "service_at_mileage"),
        *presets.values_list("id", "name", "distance", "months", "enabled"),
    ]


# --- the Schedule tab -----------------------------------------------------------------


def test_the_schedule_tab_shows_the_vehicles_open_intervals(advisor_client, org, van, oil):
    required = services.interval_create(vehicle=van, name="Wipers", odometer=10_000)
    # Passed since: a reading before this one made it due at 9,000.
    ServiceInterval.objects.filter(pk=required.pk).update(service_at_mileage=9_000)
    soon = services.interval_create(vehicle=van, name="MOT", time=NOW + timedelta(days=20))
    done = services.interval_create(vehicle=van, name="Done already", odometer=11_000)
    services.interval_mark_serviced(interval=done)
    other = vehicles.vehicle_create(org=org, label="Van 2", vehicle_key="VAN-2")
    services.interval_create(vehicle=other, name="Not this van", odometer=5_000)

    response = advisor_client.get(f"/vehicles/{van.pk}/schedule/")

    assert response.status_code == 200
    assert is_full_page(response)
    assert schedule_rows(response) == {"Oil Change": "ok", "Wipers": "required", "MOT": "soon"}
    html = response.content.decode()
    assert "5,000 km left" in html
    assert "1,000 km over" in html
    assert "Use 5W-30." in html
    assert f'id="interval-{required.pk}"' in html
    assert f'id="interval-{soon.pk}"' in html
    assert 'aria-current="page">Schedule' in html


def test_an_empty_schedule_says_how_to_start_one(advisor_client, van):
    response = advisor_client.get(f"/vehicles/{van.pk}/schedule/")
    assert response.status_code == 200
    assert b"No service intervals yet." in response.content


def test_an_htmx_request_gets_only_the_schedule_fragment(advisor_client, van, oil):
    response = advisor_client.get(f"/vehicles/{van.pk}/schedule/", **HTMX)
    assert response.status_code == 200
    assert not is_full_page(response)
    assert response.content.lstrip().startswith(b'<div id="schedule"')
    assert schedule_rows(response) == {"Oil Change": "ok"}


def test_a_viewer_sees_the_schedule_without_the_forms(viewer_client, van, oil):
    response = viewer_client.get(f"/vehicles/{van.pk}/schedule/")
    assert response.status_code == 200
    assert schedule_rows(response) == {"Oil Change": "ok"}
    assert b"Add an interval" not in response.content
    assert b"Mark serviced" not in response.content
    assert b"Generate preset intervals" not in response.content


def test_an_outsider_gets_404_for_the_schedule(outsider_client, van, oil):
    assert outsider_client.get(f"/vehicles/{van.pk}/schedule/").status_code == 404
    assert outsider_client.get(f"/vehicles/{van.pk}/schedule/", **HTMX).status_code == 404


def test_a_signed_out_visitor_is_sent_to_sign_in(client, van):
    response = client.get(f"/vehicles/{van.pk}/schedule/")
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize("action", list(WRITE_BODIES))
def test_a_viewer_may_not_change_the_schedule(viewer_client, org, van, oil, action):
    before = snapshot(org)
    response = viewer_client.post(urls(van, oil)[action], WRITE_BODIES[action])
    assert response.status_code == 403
    assert snapshot(org) == before


@pytest.mark.parametrize(
    "action", [a for a in WRITE_BODIES if a not in ("fleet-generate", "presets")]
)
def test_an_outsider_gets_404_for_every_change(outsider_client, org, van, oil, action):
    before = snapshot(org)
    response = outsider_client.post(urls(van, oil)[action], WRITE_BODIES[action], **HTMX)
    assert response.status_code == 404
    assert snapshot(org) == before


@pytest.mark.parametrize("action", ["note", "serviced", "remove"])
def test_an_interval_of_another_vehicle_is_404_under_this_ones_address(
    advisor_client, org, van, oil, action
):
    other = vehicles.vehicle_create(org=org, label="Van 2", vehicle_key="VAN-2")
    before = snapshot(org)
    response = advisor_client.post(urls(other, oil)[action], WRITE_BODIES[action])
    assert response.status_code == 404
    assert snapshot(org) == before


def test_another_fleets_interval_is_404(advisor_client, org, van, their_vehicle):
    theirs = services.interval_create(vehicle=their_vehicle, name="Theirs", odometer=5_000)
    response = advisor_client.post(urls(van, theirs)["note"], {"notes": "Hi."})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.notes == ""


@pytest.mark.parametrize("action", ["create", "note", "remove", "generate"])
def test_the_changes_are_posts_only(advisor_client, van, oil, action):
    assert advisor_client.get(urls(van, oil)[action]).status_code == 405


def test_serviced_asks_what_happened_on_a_page_of_its_own(advisor_client, van, oil):
    page = advisor_client.get(urls(van, oil)["serviced"])
    assert page.status_code == 200
    assert b'name="cost"' in page.content and b'name="servicer"' in page.content
    oil.refresh_from_db()
    assert oil.serviced_at is None


# --- adding ---------------------------------------------------------------------------


def test_an_advisor_adds_an_interval(advisor_client, van):
    response = advisor_client.post(
        f"/vehicles/{van.pk}/schedule/new/",
        {"name": "Timing belt", "odometer": "120000", "date": "2031-01-31", "notes": "Kit"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/vehicles/{van.pk}/schedule/"
    interval = ServiceInterval.objects.get(vehicle=van)
    assert interval.name == "Timing belt"
    assert interval.service_at_mileage == 120_000
    # The start of that day in Berlin.
    assert interval.service_at_date == datetime(2031, 1, 30, 23, 0, tzinfo=UTC)
    assert interval.notes == "Kit"
    page = advisor_client.get(response["Location"])
    assert b"Added Timing belt." in page.content


def test_an_interval_added_with_htmx_comes_back_in_the_fragment(advisor_client, van):
    response = advisor_client.post(
        f"/vehicles/{van.pk}/schedule/new/", {"name": "Wipers", "odometer": "12000"}, **HTMX
    )
    assert response.status_code == 200
    assert not is_full_page(response)
    assert response.content.lstrip().startswith(b'<div id="schedule"')
    assert b"Added Wipers." in response.content
    assert schedule_rows(response) == {"Wipers": "ok"}


def test_an_interval_due_today_is_accepted(advisor_client, van):
    response = advisor_client.post(
        f"/vehicles/{van.pk}/schedule/new/", {"name": "Today", "date": "2030-06-15"}, **HTMX
    )
    assert response.status_code == 200
    assert ServiceInterval.objects.get(vehicle=van).service_at_date == NOW


@pytest.mark.parametrize(
    "data, input_id, message",
    [
        ({"name": "Nothing"}, "id_odometer", "Give a mileage, a date or both."),
        (
            {"name": "Far", "odometer": "1000001"},
            "id_odometer",
            "The odometer must be a whole number from 0 to 1,000,000.",
        ),
        ({"name": "Minus", "odometer": "-1"}, "id_odometer", "greater than or equal to 0"),
        ({"name": "Text", "odometer": "lots"}, "id_odometer", "Enter a whole number."),
        (
            {"name": "Past", "date": "2030-06-14"},
            "id_date",
            "The due date is in the past.",
        ),
        (
            {"name": "Late", "date": "2040-06-16"},
            "id_date",
            "The due date must be within ten years from today",
        ),
        ({"name": "Bad", "date": "someday"}, "id_date", "Enter a valid date."),
        ({"name": "", "odometer": "12000"}, "id_name", "This field is required."),
        ({"name": "x" * 121, "odometer": "12000"}, "id_name", "at most 120 characters"),
        (
            {"name": "Long", "odometer": "12000", "notes": "n" * 65_536},
            "id_notes",
            "The notes can be at most 65,535 characters.",
        ),
    ],
)
def test_an_invalid_interval_is_refused_next_to_its_field(
    advisor_client, van, data, input_id, message
):
    response = advisor_client.post(f"/vehicles/{van.pk}/schedule/new/", data, **HTMX)
    assert response.status_code == INVALID
    assert not is_full_page(response)
    assert message in field_html(response, input_id)
    assert not ServiceInterval.objects.exists()


def test_an_invalid_interval_without_htmx_gets_the_whole_page(advisor_client, van):
    response = advisor_client.post(f"/vehicles/{van.pk}/schedule/new/", {"name": "Nothing"})
    assert response.status_code == INVALID
    assert is_full_page(response)
    assert "Give a mileage, a date or both." in field_html(response, "id_odometer")
    # What was typed is kept.
    assert 'value="Nothing"' in field_html(response, "id_name")


# --- notes, servicing, removing -------------------------------------------------------


def test_a_note_is_appended(advisor_client, van, oil, clock):
    clock.shift(timedelta(minutes=5))
    response = advisor_client.post(
        f"/vehicles/{van.pk}/schedule/{oil.pk}/note/", {"notes": "Filter ordered."}, **HTMX
    )
    assert response.status_code == 200
    assert b"Note added to Oil Change." in response.content
    oil.refresh_from_db()
    assert oil.notes.startswith("Use 5W-30.")
    assert oil.notes.endswith("Filter ordered.")
    assert oil.last_updated == NOW + timedelta(minutes=5)


def test_an_empty_note_is_refused(advisor_client, van, oil):
    response = advisor_client.post(
        f"/vehicles/{van.pk}/schedule/{oil.pk}/note/", {"notes": ""}, **HTMX
    )
    assert response.status_code == INVALID
    assert b"Write the note first." in response.content
    oil.refresh_from_db()
    assert oil.notes == "Use 5W-30."


def test_a_note_too_long_is_refused_and_said_so_after_the_redirect(advisor_client, van, oil):
    response = advisor_client.post(
        f"/vehicles/{van.pk}/schedule/{oil.pk}/note/", {"notes": "n" * 65_536}, follow=True
    )
    assert response.status_code == 200
    assert b"The notes can be at most 65,535 characters." in response.content
    oil.refresh_from_db()
    assert oil.notes == "Use 5W-30."


def test_a_long_note_replaces_notes_it_would_overflow(advisor_client, van, oil):
    ServiceInterval.objects.filter(pk=oil.pk).update(notes="o" * 65_530)
    response = advisor_client.post(
        f"/vehicles/{van.pk}/schedule/{oil.pk}/note/", {"notes": "Fresh start."}, **HTMX
    )
    assert response.status_code == 200
    oil.refresh_from_db()
    assert oil.notes == "Fresh start."


def test_marking_a_preset_interval_serviced_schedules_the_next(advisor_client, org, van):
    services.intervals_generate(org=org, vehicles=[van])
    oil = ServiceInterval.objects.get(vehicle=van, name="Oil Change")

    response = advisor_client.post(
        f"/vehicles/{van.pk}/schedule/{oil.pk}/serviced/",
        {"odometer": "9800", "date": "2030-06-10"},
        **HTMX,
    )

    assert response.status_code == 200
    assert b"Oil Change marked serviced. The next one is scheduled." in response.content
    oil.refresh_from_db()
    assert oil.serviced_odometer == 9_800
    assert oil.serviced_at == datetime(2030, 6, 9, 22, 0, tzinfo=UTC)
    following = ServiceInterval.objects.get(vehicle=van, name="Oil Change", serviced_at=None)
    assert following.service_at_mileage == 24_800
    assert following.service_at_date == datetime(2031, 6, 9, 22, 0, tzinfo=UTC)
    assert schedule_rows(response)["Oil Change"] == "ok"


def test_marking_serviced_twice_closes_it_once(advisor_client, org, van):
    services.intervals_generate(org=org, vehicles=[van])
    oil = ServiceInterval.objects.get(vehicle=van, name="Oil Change")
    url = f"/vehicles/{van.pk}/schedule/{oil.pk}/serviced/"

    first = advisor_client.post(url, {"odometer": "10100"}, **HTMX)
    second = advisor_client.post(url, {"odometer": "10100"}, **HTMX)

    assert first.status_code == 200
    assert second.status_code == 404
    assert ServiceInterval.objects.filter(vehicle=van, name="Oil Change").count() == 2
    assert ServiceInterval.objects.filter(vehicle=van, serviced_at=None).count() == 8


def test_marking_a_custom_interval_serviced_closes_it(advisor_client, van, oil):
    response = advisor_client.post(f"/vehicles/{van.pk}/schedule/{oil.pk}/serviced/", {})
    assert response.status_code == 302
    oil.refresh_from_db()
    assert oil.serviced_at == NOW
    assert ServiceInterval.objects.filter(serviced_at=None).count() == 0
    page = advisor_client.get(response["Location"])
    assert b"Oil Change marked serviced." in page.content
    assert schedule_rows(page) == {}


@pytest.mark.parametrize(
    "data, message",
    [
        ({"date": "2030-06-17"}, "The service date cannot be in the future."),
        ({"odometer": "-3"}, "greater than or equal to 0"),
        ({"odometer": "2000000"}, "The odometer must be a whole number from 0 to 1,000,000."),
        ({"date": "soon"}, "Enter a valid date."),
    ],
)
def test_an_invalid_service_is_refused(advisor_client, van, oil, data, message):
    response = advisor_client.post(f"/vehicles/{van.pk}/schedule/{oil.pk}/serviced/", data, **HTMX)
    assert response.status_code == INVALID
    assert message in response.content.decode()
    oil.refresh_from_db()
    assert oil.serviced_at is None


def test_a_removed_interval_leaves_the_schedule(advisor_client, van, oil):
    response = advisor_client.post(f"/vehicles/{van.pk}/schedule/{oil.pk}/remove/", **HTMX)
    assert response.status_code == 200
    assert b"Removed Oil Change." in response.content
    assert schedule_rows(response) == {}
    assert not ServiceInterval.objects.exists()
    again = advisor_client.post(f"/vehicles/{van.pk}/schedule/{oil.pk}/remove/", **HTMX)
    assert again.status_code == 404


def test_generating_the_presets_for_a_vehicle(advisor_client, van):
    url = f"/vehicles/{van.pk}/schedule/generate/"

    response = advisor_client.post(url, **HTMX)

    assert response.status_code == 200
    assert not is_full_page(response)
    assert b"Generated 8 intervals from the presets." in response.content
    assert len(schedule_rows(response)) == 8
    again = advisor_client.post(url, **HTMX)
    assert b"Every preset already has an open interval." in again.content
    assert ServiceInterval.objects.filter(vehicle=van).count() == 8


# --- the Due page ---------------------------------------------------------------------


@pytest.fixture
def fleet(org, van, their_vehicle):
    """Intervals in every state on two vans, and one in another fleet."""
    truck = vehicles.vehicle_create(org=org, label="Box truck", vehicle_key="BOX-1", plate="B-X 1")
    services.interval_create(vehicle=van, name="Wipers", odometer=10_000)  # required
    services.interval_create(vehicle=van, name="Inspection", time=NOW + timedelta(days=10))  # soon
    services.interval_create(vehicle=van, name="Oil Change", odometer=50_000)  # ok
    services.interval_create(
        vehicle=truck, name="Brakes", time=NOW + timedelta(days=200)
    )  # ok, no odometer
    services.interval_create(vehicle=their_vehicle, name="Their service", odometer=1)
    return truck


def test_the_due_page_lists_every_open_interval_of_the_fleet(advisor_client, fleet):
    response = advisor_client.get("/due/")
    assert response.status_code == 200
    assert is_full_page(response)
    rows = due_rows(response)
    assert rows[0] == ("Wipers", "required")
    assert dict(rows) == {
        "Wipers": "required",
        "Inspection": "soon",
        "Oil Change": "ok",
        "Brakes": "ok",
    }
    assert b"Their service" not in response.content


@pytest.mark.parametrize(
    "state, expected",
    [
        ("required", ["Wipers"]),
        ("soon", ["Inspection"]),
        ("ok", ["Brakes", "Oil Change"]),
        ("", ["Brakes", "Inspection", "Oil Change", "Wipers"]),
        ("nonsense", ["Brakes", "Inspection", "Oil Change", "Wipers"]),
    ],
)
def test_the_due_page_filters_by_state(advisor_client, fleet, state, expected):
    response = advisor_client.get("/due/", {"state": state, "sort": "name"})
    assert response.status_code == 200
    assert [name for name, _ in due_rows(response)] == expected


@pytest.mark.parametrize(
    "q, expected",
    [
        ("wip", ["Wipers"]),
        ("box", ["Brakes"]),
        ("B-X", ["Brakes"]),
        ("VAN-1", ["Inspection", "Oil Change", "Wipers"]),
        ("Their", []),
        ("nothing like it", []),
    ],
)
def test_the_due_page_searches_services_vehicles_and_plates(advisor_client, fleet, q, expected):
    response = advisor_client.get("/due/", {"q": q, "sort": "name"})
    assert [name for name, _ in due_rows(response)] == expected


def test_the_due_page_sorts(advisor_client, fleet):
    by_name = advisor_client.get("/due/?sort=name")
    assert [n for n, _ in due_rows(by_name)] == ["Brakes", "Inspection", "Oil Change", "Wipers"]
    by_vehicle = advisor_client.get("/due/?sort=vehicle")
    assert due_rows(by_vehicle)[0][0] == "Brakes"  # Box truck before Van 1
    newest = advisor_client.get("/due/?sort=created")
    assert [n for n, _ in due_rows(newest)] == ["Brakes", "Oil Change", "Inspection", "Wipers"]
    unknown = advisor_client.get("/due/?sort=drop+table")
    assert unknown.status_code == 200
    assert due_rows(unknown)[0] == ("Wipers", "required")


def test_the_due_page_filters_in_place_with_htmx(advisor_client, fleet):
    response = advisor_client.get("/due/?state=required", **HTMX)
    assert response.status_code == 200
    assert not is_full_page(response)
    assert response.content.lstrip().startswith(b'<div id="results">')
    assert due_rows(response) == [("Wipers", "required")]


def test_the_due_page_with_nothing_due_says_so(advisor_client, van):
    response = advisor_client.get("/due/")
    assert response.status_code == 200
    assert due_rows(response) == []
    assert b"Nothing here." in response.content


def test_a_viewer_reads_the_due_page_without_the_generate_button(viewer_client, fleet):
    response = viewer_client.get("/due/")
    assert response.status_code == 200
    assert len(due_rows(response)) == 4
    assert b"Generate presets for the fleet" not in response.content


def test_the_due_page_pages_its_rows(advisor_client, org, van):
    for n in range(30):
        services.interval_create(vehicle=van, name=f"Service {n:02}", odometer=20_000 + n)
    first = advisor_client.get("/due/?sort=name")
    assert len(due_rows(first)) == 25
    second = advisor_client.get("/due/?sort=name&page=2", **HTMX)
    assert [n for n, _ in due_rows(second)] == [f"Service {n}" for n in range(25, 30)]


def count_queries(client, url: str, **headers) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, **headers).status_code == 200
    return len(ctx.captured_queries)


def add_vehicles_with_intervals(org: Organization, start: int, count: int) -> None:
    for n in range(start, start + count):
        car = vehicles.vehicle_create(org=org, label=f"Car {n}", vehicle_key=f"CAR-{n}")
        vehicles.reading_record(vehicle=car, odometer=1_000 + n)
        services.intervals_generate(org=org, vehicles=[car])
        services.interval_create(vehicle=car, name="Wipers", odometer=1_000 + n)


def test_the_due_page_does_not_query_per_row(advisor_client, org):
    add_vehicles_with_intervals(org, 0, 1)
    few = count_queries(advisor_client, "/due/")
    add_vehicles_with_intervals(org, 1, 5)
    many = count_queries(advisor_client, "/due/")
    assert many == few
    assert count_queries(advisor_client, "/due/?state=required&sort=vehicle", **HTMX) <= few


def test_the_schedule_tab_does_not_query_per_row(advisor_client, org, van):
    services.interval_create(vehicle=van, name="Wipers", odometer=12_000)
    few = count_queries(advisor_client, f"/vehicles/{van.pk}/schedule/")
    services.intervals_generate(org=org, vehicles=[van])
    many = count_queries(advisor_client, f"/vehicles/{van.pk}/schedule/")
    assert many == few


def test_generating_for_the_fleet_goes_back_to_the_due_page(advisor_client, org, van, fleet):
    response = advisor_client.post("/schedule/generate/")
    assert response.status_code == 302
    assert response["Location"] == "/due/"
    assert ServiceInterval.objects.filter(vehicle=van, preset__isnull=False).count() == 8
    assert ServiceInterval.objects.filter(vehicle=fleet, preset__isnull=False).count() == 8
    page = advisor_client.get("/due/")
    assert b"Generated 16 intervals from the presets." in page.content


# --- the presets page -----------------------------------------------------------------


def test_the_presets_page_shows_the_built_in_presets_with_their_kinds_and_meter(
    advisor_client, org
):
    response = advisor_client.get("/schedule/presets/")
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("Oil Change", "Replace Transmission Fluid", "Grease Pivot Points"):
        assert f"<strong>{name}</strong>" in html
    assert IntervalPreset.objects.filter(org=org).count() == 15
    oil = IntervalPreset.objects.get(org=org, name="Oil Change")
    assert f'name="p{oil.pk}-kinds" value="combustion"' in html
    assert f'id="id_p{oil.pk}-kinds_2"' in html  # electric, not ticked
    assert re.search(rf'value="electric"[^>]*id="id_p{oil.pk}-kinds_2"[^>]*checked', html) is None


def preset_form(org: Organization, **overrides) -> dict:
    """The presets form as the browser sends it, unchanged unless overridden."""
    data: dict = {}
    for preset in services.presets_ensure(org):
        prefix = f"p{preset.pk}"
        data[f"{prefix}-kinds"] = list(preset.kinds)
        data[f"{prefix}-meter"] = preset.meter
        data[f"{prefix}-distance"] = "" if preset.distance is None else str(preset.distance)
        data[f"{prefix}-hours"] = "" if preset.hours is None else str(preset.hours)
        data[f"{prefix}-period"] = str(preset.weeks or preset.months or "")
        data[f"{prefix}-period_unit"] = "weeks" if preset.weeks else "months"
        if preset.enabled:
            data[f"{prefix}-enabled"] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_an_advisor_edits_the_presets_and_adds_a_custom_one(advisor_client, org, van):
    presets = {p.name: p for p in services.presets_ensure(org)}
    oil, plugs = presets["Oil Change"], presets["Replace Spark Plugs"]
    data = preset_form(
        org,
        **{
            f"p{oil.pk}-distance": "20000",
            f"p{oil.pk}-period": "18",
            f"p{plugs.pk}-enabled": None,
            "new-name": "Annual inspection",
            "new-kinds": ["combustion", "diesel"],
            "new-meter": "distance",
            "new-distance": "100000",
            "new-period": "12",
            "new-period_unit": "months",
            "for_new_vehicles": "on",
            "on_first_reading": "on",
        },
    )

    response = advisor_client.post("/schedule/presets/", data)

    assert response.status_code == 302
    oil.refresh_from_db()
    plugs.refresh_from_db()
    assert (oil.distance, oil.months) == (20_000, 18)
    assert not plugs.enabled
    custom = IntervalPreset.objects.get(org=org, name="Annual inspection")
    assert (custom.distance, custom.months, custom.builtin) == (100_000, 12, False)
    assert custom.kinds == ["combustion", "diesel"]
    org.refresh_from_db()
    assert org.generate_presets_for_new_vehicles
    assert org.generate_presets_on_first_reading

    advisor_client.post(f"/vehicles/{van.pk}/schedule/generate/")
    names = set(ServiceInterval.objects.filter(vehicle=van).values_list("name", flat=True))
    assert "Annual inspection" in names
    assert "Replace Spark Plugs" not in names
    new = vehicles.vehicle_create(org=org, label="New", vehicle_key="NEW-1")
    assert ServiceInterval.objects.filter(vehicle=new).count() == 8


def test_an_advisor_changes_a_presets_kinds_meter_and_period(advisor_client, org):
    presets = {p.name: p for p in services.presets_ensure(org)}
    tires, grease = presets["Tire Rotation"], presets["Grease Pivot Points"]
    data = preset_form(
        org,
        **{
            f"p{tires.pk}-kinds": ["diesel", "equipment"],
            f"p{grease.pk}-meter": "hours",
            f"p{grease.pk}-hours": "50",
            f"p{grease.pk}-period": "2",
            f"p{grease.pk}-period_unit": "weeks",
        },
    )
    response = advisor_client.post("/schedule/presets/", data)
    assert response.status_code == 302
    tires.refresh_from_db()
    grease.refresh_from_db()
    assert tires.kinds == ["diesel", "equipment"]
    assert (grease.meter, grease.hours, grease.weeks, grease.months) == ("hours", 50, 2, None)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("distance", "abc", "The distance must be a whole number."),
        ("distance", "-5", "The distance must be a whole number."),
        ("distance", "0", "Oil Change: the distance must be between 1 and 1,000,000."),
        ("distance", "", "Oil Change: it counts distance: give the distance between services."),
        ("period", "0", "Oil Change: the months must be between 1 and 240."),
        ("period", "9999", "Oil Change: the months must be between 1 and 240."),
        ("kinds", [], "Choose at least one kind of vehicle it applies to."),
        ("kinds", ["diesel", "steam"], "steam is not a kind of vehicle; choose from combustion"),
        ("meter", "furlongs", "A preset counts in distance, hours (engine hours) or time"),
        ("meter", "hours", "Oil Change: it counts engine hours: give the hours between services."),
    ],
)
def test_an_invalid_preset_is_refused_next_to_its_field_and_nothing_changes(
    advisor_client, org, field, value, message
):
    oil = next(p for p in services.presets_ensure(org) if p.name == "Oil Change")
    data = preset_form(org, **{f"p{oil.pk}-{field}": value, "for_new_vehicles": "on"})
    if value == []:
        del data[f"p{oil.pk}-kinds"]
    response = advisor_client.post("/schedule/presets/", data)
    assert response.status_code == INVALID
    html = response.content.decode()
    row = html.split(f'id="preset-{oil.pk}"', 1)[1].split("</tr>", 1)[0]
    assert message in row.replace("&#x27;", "'")
    assert "Some presets need fixing" in html
    oil.refresh_from_db()
    assert (oil.distance, oil.months, oil.meter) == (15_000, 12, "distance")
    assert oil.kinds == ["combustion", "diesel", "hybrid"]
    org.refresh_from_db()
    assert not org.generate_presets_for_new_vehicles


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"new-kinds": None}, "Choose at least one kind of vehicle it applies to."),
        ({"new-meter": "miles"}, "A preset counts in distance, hours (engine hours) or time"),
        ({"new-meter": "time", "new-period": ""}, "it counts time only: give the period"),
    ],
)
def test_a_new_preset_without_kinds_or_with_an_unknown_meter_is_refused(
    advisor_client, org, overrides, message
):
    new = {
        "new-name": "Annual inspection",
        "new-kinds": ["diesel"],
        "new-meter": "distance",
        "new-distance": "1000",
        "new-period": "12",
        "new-period_unit": "months",
    }
    response = advisor_client.post("/schedule/presets/", preset_form(org, **{**new, **overrides}))
    assert response.status_code == INVALID
    assert message in response.content.decode()
    assert not IntervalPreset.objects.filter(org=org, name="Annual inspection").exists()


def test_a_custom_preset_with_a_taken_name_is_refused(advisor_client, org):
    new = {"new-name": "Oil Change", "new-kinds": ["diesel"], "new-meter": "distance"}
    data = preset_form(org, **new, **{"new-distance": "5", "new-period": "1"})
    response = advisor_client.post("/schedule/presets/", data)
    assert response.status_code == INVALID
    assert "a preset of that name exists" in response.content.decode()
    assert IntervalPreset.objects.filter(org=org).count() == 15


def test_each_fleet_has_its_own_presets(outsider_client, advisor_client, org, other_org):
    new = {"new-name": "Ours only", "new-kinds": ["diesel"], "new-meter": "distance"}
    advisor_client.post(
        "/schedule/presets/", preset_form(org, **new, **{"new-distance": "5", "new-period": "1"})
    )
    response = outsider_client.get("/schedule/presets/")
    assert response.status_code == 200
    assert b"Ours only" not in response.content
    assert b"mi" in response.content
    ours = next(p for p in services.presets_ensure(org) if p.name == "Ours only")
    outsider_client.post("/schedule/presets/", {f"p{ours.pk}-distance": "999"})
    ours.refresh_from_db()
    assert ours.distance == 5


def test_a_search_with_a_nul_character_is_searched_without_it(advisor_client, fleet):
    response = advisor_client.get("/due/", {"q": "wip\x00ers"})
    assert response.status_code == 200
    assert due_rows(response) == [("Wipers", "required")]


@pytest.mark.parametrize("value", ["²", "1_000", "1e3", "9" * 5_000])
def test_a_preset_number_that_is_not_plain_digits_is_refused(advisor_client, org, value):
    oil = next(p for p in services.presets_ensure(org) if p.name == "Oil Change")
    response = advisor_client.post(
        "/schedule/presets/", preset_form(org, **{f"p{oil.pk}-distance": value})
    )
    assert response.status_code == INVALID
    oil.refresh_from_db()
    assert oil.distance == 15_000
