"""The Tasks pages: the fleet-wide list, a vehicle's Tasks tab and the task dialog.

Page and fragment, filters, sorts and pages, the dialog's forms and their
errors, files, and who may see and change what.
"""

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fleetmaint.accounts.models import Organization
from fleetmaint.tasks import services
from fleetmaint.tasks.models import ServiceTask, Status, TaskFile
from fleetmaint.tasks.services import Conditions, TaskInput
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from fleetmaint.web import INVALID
from tests.clock import NOW

pytestmark = pytest.mark.usefixtures("clock", "media")

HTMX = {"HTTP_HX_REQUEST": "true"}
DASH = "\u2013"  # the en dash of the pager's "1-25 of 30"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _drive(vehicle: Vehicle, clock, start: int, now: int) -> Vehicle:
    """Readings a month apart, so the vehicle has a usage rate and predictions."""
    clock.move_to(NOW - timedelta(days=30))
    vehicles.reading_record(vehicle=vehicle, odometer=start)
    clock.move_to(NOW - timedelta(minutes=1))
    vehicles.reading_record(vehicle=vehicle, odometer=now)
    clock.move_to(NOW)
    vehicle.refresh_from_db()
    return vehicle


@pytest.fixture
def van(vehicle, clock) -> Vehicle:
    """Van 1, driven from 10,000 to 11,000 km over the last month."""
    return _drive(vehicle, clock, 10_000, 11_000)


@pytest.fixture
def truck(org, clock) -> Vehicle:
    """A truck that also counts engine hours."""
    truck = vehicles.vehicle_create(
        org=org, label="Actros 7", vehicle_key="ACT-7", tracks_engine_hours=True
    )
    vehicles.reading_record(vehicle=truck, odometer=200_000, engine_hours=5_000)
    truck.refresh_from_db()
    return truck


@pytest.fixture
def their_vehicle(other_org, clock) -> Vehicle:
    their = vehicles.vehicle_create(org=other_org, label="Their pickup", vehicle_key="PICK-1")
    vehicles.reading_record(vehicle=their, odometer=1_000)
    their.refresh_from_db()
    return their


def create(vehicle: Vehicle, description: str = "Oil change", **fields) -> ServiceTask:
    """A task through the service; by default a 5,000 km limit with a 1,000 km reminder.

    An end before today is confirmed as already overdue, as a person entering late work does.
    """
    fields.setdefault("already_overdue", _ends_before_today(fields.get("date")))
    conditions = Conditions(
        mileage=fields.pop("mileage", None),
        date=fields.pop("date", None),
        engine_hours=fields.pop("engine_hours", None),
    )
    if conditions == Conditions():
        conditions.mileage = {"limit": 5_000, "notification_interval": 1_000}
    data = TaskInput(description=description, conditions=conditions, **fields)
    return services.task_create(vehicle=vehicle, data=data)


def _ends_before_today(date_condition: dict | None) -> bool:
    if not date_condition:
        return False
    end = date_condition["end"]
    return (end[:10] if isinstance(end, str) else f"{end:%Y-%m-%d}") < f"{NOW:%Y-%m-%d}"


def due_in(days: int, notify: int = 0) -> dict:
    end = (NOW + timedelta(days=days)).strftime("%Y-%m-%d 23:59:59")
    return {"end": end, "notification_interval": notify}


def pdf(name: str = "invoice.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def oil(van) -> ServiceTask:
    return create(van, "Oil change", comment="Use 5W-30.", cost=Decimal("120.50"))


@pytest.fixture
def their_task(their_vehicle) -> ServiceTask:
    task = create(their_vehicle, "Their brakes")
    stored = services.file_upload(org=their_vehicle.org, upload=pdf("theirs.pdf"))
    services.task_attach(task=task, files=[stored])
    return task


# --- reading the pages ----------------------------------------------------------------


def is_full_page(response) -> bool:
    return b"<html" in response.content


def rows(response) -> list[tuple[str, str]]:
    """The list's rows in order: (description, status)."""
    html = response.content.decode()
    found = re.findall(
        r'<tr id="task-\d+" class="status-(\w+)">\s*<td><strong>([^<]+)</strong>', html
    )
    return [(description, status) for status, description in found]


def names(response) -> list[str]:
    return [description for description, _ in rows(response)]


def row_html(response, task: ServiceTask) -> str:
    html = response.content.decode()
    match = re.search(rf'<tr id="task-{task.pk}".*?</tr>', html, re.S)
    assert match, f"no row for task {task.pk}"
    return match.group(0)


def field_html(response, input_id: str) -> str:
    """One form field's block (label, input, help, errors), up to the next field."""
    html = response.content.decode()
    for block in re.split(r'<(?:div|fieldset) class="field[ "]', html)[1:]:
        if f'id="{input_id}"' in block or f'id="{input_id}_0"' in block:
            return block
    raise AssertionError(f"no field {input_id!r} in the page")


def field_errors(response, input_id: str) -> list[str]:
    return re.findall(r'<p class="error" role="alert">([^<]*)</p>', field_html(response, input_id))


def all_errors(response) -> list[str]:
    html = response.content.decode()
    return re.findall(r'<p class="error" role="alert">([^<]*)</p>', html)


def triggered(response) -> dict:
    assert response.status_code == 204, response.content[:500]
    return json.loads(response.headers["HX-Trigger"])


def form_data(**overrides) -> dict:
    data = {
        "description": "Brake pads",
        "comment": "",
        "cost": "",
        "mileage_limit": "",
        "mileage_notify": "",
        "mileage_repeat": "",
        "date_end": "",
        "date_notify": "",
        "date_repeat": "",
        "emails": "",
        "sms_phones": "",
        "push_enabled": "on",
    }
    data.update(overrides)
    return data


def test_the_fleet_page_is_a_whole_page_and_its_results_a_fragment(advisor_client, oil, truck):
    create(truck, "Tachograph check", date=due_in(5, notify=10))

    page = advisor_client.get("/tasks/")
    fragment = advisor_client.get("/tasks/", **HTMX)

    assert page.status_code == fragment.status_code == 200
    assert is_full_page(page)
    html = page.content.decode()
    assert 'id="results"' in html
    assert "Service tasks" in html
    assert "+ New task for vehicles" in html
    assert 'name="status"' in html
    assert not is_full_page(fragment)
    body = fragment.content.decode().strip()
    assert body.startswith('<div id="results"')
    assert 'name="status"' not in body  # the filters stay, only the results are swapped
    # The counters come along out of band, so they follow what the dialog changed.
    assert html.count('id="task-stats"') == 1
    assert "hx-swap-oob" not in html
    assert body.count('<div class="stats" id="task-stats" hx-swap-oob="true">') == 1
    assert re.search(r'Due soon</div><div class="value[^"]*">1<', body)
    assert sorted(rows(fragment)) == sorted(rows(page))
    assert sorted(rows(page)) == [("Oil change", "created"), ("Tachograph check", "notified")]
    # The fleet page says which vehicle each task is for, and links to its tab.
    row = row_html(page, oil)
    assert f'href="/vehicles/{oil.vehicle_id}/tasks/">Van 1</a>' in row
    assert "Use 5W-30." in row
    assert "120.50 EUR" in row
    # The counters above the list.
    assert re.search(r'Due soon</div><div class="value[^"]*">1<', html)
    assert re.search(r'Planned</div><div class="value[^"]*">1<', html)


def test_a_vehicles_tab_lists_only_its_tasks(advisor_client, van, oil, truck):
    create(truck, "Not this van")

    page = advisor_client.get(f"/vehicles/{van.pk}/tasks/")
    fragment = advisor_client.get(f"/vehicles/{van.pk}/tasks/", **HTMX)

    assert page.status_code == fragment.status_code == 200
    assert is_full_page(page)
    html = page.content.decode()
    assert 'aria-current="page">Tasks' in html
    assert f'hx-get="/tasks/new/?vehicle={van.pk}"' in html
    assert "+ New task" in html
    assert names(page) == ["Oil change"]
    # On a vehicle's tab the vehicle column and filter are left out.
    assert '<th scope="col">Vehicle</th>' not in html
    assert 'name="vehicle"' not in html
    assert not is_full_page(fragment)
    assert 'id="results"' in fragment.content.decode()
    assert "task-stats" not in fragment.content.decode()
    assert names(fragment) == ["Oil change"]
    # The vehicle filter of the fleet page cannot widen a vehicle's tab.
    assert names(advisor_client.get(f"/vehicles/{van.pk}/tasks/?vehicle={truck.pk}")) == [
        "Oil change"
    ]


def test_a_task_shows_its_wear_and_predicted_date(advisor_client, van, oil, clock):
    vehicles.reading_record(vehicle=van, odometer=13_500, confirm_jump=True)
    response = advisor_client.get(f"/vehicles/{van.pk}/tasks/")
    row = row_html(response, oil)
    # 2,500 of 5,000 km: half worn.
    assert 'aria-valuenow="50"' in row
    assert 'role="progressbar"' in row
    assert "50%" in row
    # A month's 1,000 km a month (~33 km a day) leaves 2,500 km for about 75 days.
    oil.refresh_from_db()
    assert oil.predicted_end_date is not None
    assert oil.predicted_end_date.strftime("%Y-%m-%d") in row


@pytest.fixture
def mixed(org, van, truck, clock) -> dict[str, ServiceTask]:
    """Tasks in every status on two vehicles."""
    tasks = {
        "planned": create(van, "Planned oil", cost=Decimal("50")),
        "soon": create(truck, "Soon tyres", date=due_in(5, notify=10), cost=Decimal("900")),
        "late": create(van, "Late brakes", date=due_in(-2), unplanned=True, comment="Squeal"),
        "done": create(truck, "Done wipers", cost=Decimal("10")),
    }
    services.task_mark_done(task=tasks["done"])
    for task in tasks.values():
        task.refresh_from_db()
    assert [t.status for t in tasks.values()] == ["created", "notified", "expired", "done"]
    return tasks


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"Planned oil", "Soon tyres", "Late brakes"}),
        ("status=", {"Planned oil", "Soon tyres", "Late brakes"}),
        ("status=nonsense", {"Planned oil", "Soon tyres", "Late brakes"}),
        ("status=all", {"Planned oil", "Soon tyres", "Late brakes", "Done wipers"}),
        ("status=done", {"Done wipers"}),
        ("status=notified", {"Soon tyres"}),
        ("status=expired", {"Late brakes"}),
        ("status=created", {"Planned oil"}),
        ("unplanned=yes", {"Late brakes"}),
        ("unplanned=no", {"Planned oil", "Soon tyres"}),
        ("unplanned=maybe", {"Planned oil", "Soon tyres", "Late brakes"}),
        ("q=brakes", {"Late brakes"}),
        ("q=SQUEAL", {"Late brakes"}),  # the comment, in any case
        ("q=actros", {"Soon tyres"}),  # the vehicle's label
        ("q=act-7&status=all", {"Soon tyres", "Done wipers"}),  # its key
        ("q=nothing+like+this", set()),
    ],
)
def test_the_fleet_page_filters(advisor_client, mixed, query, expected):
    response = advisor_client.get(f"/tasks/?{query}", **HTMX)
    assert response.status_code == 200
    assert set(names(response)) == expected
    if not expected:
        assert "No tasks match these filters." in response.content.decode()


def test_the_fleet_page_filters_by_vehicle(advisor_client, mixed, van, truck, their_task):
    by_van = advisor_client.get(f"/tasks/?vehicle={van.pk}&status=all")
    by_truck = advisor_client.get(f"/tasks/?vehicle={truck.pk}&status=all")
    by_theirs = advisor_client.get(f"/tasks/?vehicle={their_task.vehicle_id}&status=all")
    nonsense = advisor_client.get("/tasks/?vehicle=abc")

    assert set(names(by_van)) == {"Planned oil", "Late brakes"}
    assert set(names(by_truck)) == {"Soon tyres", "Done wipers"}
    assert names(by_theirs) == []
    # Text that names no vehicle shows no tasks, and says why.
    assert names(nonsense) == []
    assert "No vehicle matches “abc”." in nonsense.content.decode()
    assert 'id="task-download"' not in nonsense.content.decode()  # nothing to download
    # The chosen filters are shown as chosen on the full page: the vehicle by name.
    html = by_truck.content.decode()
    assert f'name="vehicle" value="Actros 7 ({truck.vehicle_key})"' in html
    assert '<option value="all" selected>All</option>' in html
    # Its key, typed, filters the same way, and the links name the vehicle by id.
    typed = advisor_client.get("/tasks/", {"vehicle": truck.vehicle_key, "status": "all"})
    assert set(names(typed)) == {"Soon tyres", "Done wipers"}
    assert f"vehicle={truck.pk}" in typed.content.decode()
    # Another fleet's vehicle is not offered.
    assert "Their pickup" not in html


@pytest.mark.parametrize(
    "query",
    [
        "vehicle=%C2%B2",  # "²" is a digit to str.isdigit, but int() cannot read it
        "vehicle=99999999999999999999999",
        "page=%C2%B2",
        "page=-1",
        "sort=drop+table",
        "sort=cost%3Dsideways",
        "q=%00",
    ],
)
def test_odd_query_strings_do_not_break_the_list(advisor_client, mixed, query):
    response = advisor_client.get(f"/tasks/?{query}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        # Soonest predicted first; the task without a prediction last.
        ("predicted_date=asc", ["Late brakes", "Soon tyres", "Planned oil", "Done wipers"]),
        ("", ["Late brakes", "Soon tyres", "Planned oil", "Done wipers"]),
        # Statuses in the order a task lives them, the latest first.
        ("status=desc", ["Done wipers", "Late brakes", "Soon tyres", "Planned oil"]),
        ("vehicle=asc", ["Soon tyres", "Done wipers", "Planned oil", "Late brakes"]),
        ("description=asc", ["Done wipers", "Late brakes", "Planned oil", "Soon tyres"]),
        ("cost=desc", ["Soon tyres", "Planned oil", "Done wipers", "Late brakes"]),
        ("id=desc", ["Done wipers", "Late brakes", "Soon tyres", "Planned oil"]),
    ],
)
def test_the_fleet_page_sorts(advisor_client, mixed, sort, expected):
    # The planned oil change is predicted from the van's usage; the done task has no date.
    mixed["planned"].refresh_from_db()
    assert mixed["planned"].predicted_end_date > NOW + timedelta(days=5)
    assert mixed["done"].predicted_end_date is None

    response = advisor_client.get(f"/tasks/?status=all&sort={sort}")

    assert names(response) == expected
    if sort:
        assert f'<option value="{sort}" selected>' in response.content.decode()


@pytest.fixture
def thirty(van) -> list[ServiceTask]:
    data = TaskInput(
        description="Batch",
        conditions=Conditions(mileage={"limit": 5_000}),
    )
    return [services.task_create(vehicle=van, data=data) for _ in range(30)]


def test_the_list_pages_through_many_tasks_keeping_its_filters(advisor_client, van, thirty):
    first = advisor_client.get("/tasks/?sort=id%3Dasc&q=batch")
    second = advisor_client.get("/tasks/?sort=id%3Dasc&q=batch&page=2", **HTMX)
    beyond = advisor_client.get("/tasks/?sort=id%3Dasc&q=batch&page=99")

    html = first.content.decode()
    assert len(rows(first)) == 25
    assert f"1{DASH}25 of 30" in html
    assert "Page 1 of 2" in html
    assert 'href="?sort=id%3Dasc&amp;q=batch&amp;page=2"' in html
    assert 'hx-target="#results"' in html
    assert not is_full_page(second)
    assert len(rows(second)) == 5
    assert f"26{DASH}30 of 30" in second.content.decode()
    assert f'id="task-{thirty[-1].pk}"' in second.content.decode()
    assert f'id="task-{thirty[0].pk}"' not in second.content.decode()
    assert "← Previous" in second.content.decode()
    # A page past the end shows the last one.
    assert len(rows(beyond)) == 5


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/tasks/?status=all", "/vehicles/{van}/tasks/?status=all"])
def test_the_number_of_queries_does_not_grow_with_the_tasks(advisor_client, org, van, url):
    truck = vehicles.vehicle_create(org=org, label="Truck", vehicle_key="TRK")
    vehicles.reading_record(vehicle=truck, odometer=5_000)
    truck.refresh_from_db()
    url = url.format(van=van.pk)

    def add(count: int) -> None:
        for n in range(count):
            task = create(
                van if n % 2 else truck,
                f"Task {n}",
                date=due_in(n - 5, notify=3),
                already_overdue=n < 5,
            )
            stored = services.file_upload(org=org, upload=pdf(f"sheet-{n}.pdf"))
            services.task_attach(task=task, files=[stored])
            if n % 3 == 0:
                services.task_mark_done(task=task)

    add(3)
    few = _queries(advisor_client, url)
    add(27)
    many = _queries(advisor_client, url)

    assert many == few
    assert many <= 10  # the work markers come in the rows' own statement


# --- creating a task ------------------------------------------------------------------


def test_the_new_task_dialog_is_a_fragment_for_htmx_and_a_page_without(advisor_client, van):
    fragment = advisor_client.get(f"/tasks/new/?vehicle={van.pk}", **HTMX)
    page = advisor_client.get(f"/tasks/new/?vehicle={van.pk}")

    assert fragment.status_code == page.status_code == 200
    assert not is_full_page(fragment)
    body = fragment.content.decode().strip()
    assert body.startswith('<form id="task-form"')
    assert f'hx-post="/tasks/new/?vehicle={van.pk}"' in body
    assert "New task for Van 1" in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert 'name="mileage_limit"' in body
    assert 'name="hours_limit"' not in body  # the van does not count engine hours
    assert re.search(r'name="push_enabled"[^>]*checked', body)
    assert is_full_page(page)
    assert f'action="/tasks/new/?vehicle={van.pk}"' in page.content.decode()


def test_the_dialog_offers_engine_hours_for_a_vehicle_that_counts_them(advisor_client, truck):
    response = advisor_client.get(f"/tasks/new/?vehicle={truck.pk}", **HTMX)
    assert 'name="hours_limit"' in response.content.decode()


def test_new_without_a_vehicle_goes_to_the_batch_dialog(advisor_client, van):
    assert advisor_client.get("/tasks/new/").url == "/tasks/batch/"
    assert advisor_client.get("/tasks/new/?vehicle=abc").url == "/tasks/batch/"


def test_creating_through_htmx_answers_204_and_tells_the_list(advisor_client, van):
    response = advisor_client.post(
        f"/tasks/new/?vehicle={van.pk}",
        form_data(
            description="Brake pads",
            comment="Front axle",
            cost="250.00",
            repeat="on",
            mileage_limit="500",
            mileage_notify="100",
            mileage_repeat="20000",
            date_end="2030-12-31",
            date_notify="14",
            emails="Fleet@Example.com; boss@example.com",
            sms_phones="+49 151 12345678",
        ),
        **HTMX,
    )

    trigger = triggered(response)
    assert trigger == {"tasksChanged": {"notice": "Created “Brake pads”."}}
    task = ServiceTask.objects.get(vehicle=van)
    assert task.description == "Brake pads"
    assert task.comment == "Front axle"
    assert task.cost == Decimal("250.00")
    assert task.repeat is True
    assert task.unplanned is False
    assert (task.mileage_limit, task.mileage_notify, task.mileage_repeat) == (500, 100, 20_000)
    assert (task.start_mileage, task.mileage_notify_at, task.mileage_expire_at) == (
        11_000,
        11_400,
        11_500,
    )
    assert task.date_end == datetime(2030, 12, 31, 22, 59, 59, tzinfo=UTC)  # Berlin's midnight
    assert task.date_notify_days == 14
    assert task.emails == ["boss@example.com", "fleet@example.com"]
    assert task.sms_phones == ["+4915112345678"]
    assert task.push_enabled is True
    assert task.status == Status.CREATED
    assert task.predicted_end_date is not None

    # The list the dialog was opened from shows it.
    assert names(advisor_client.get(f"/vehicles/{van.pk}/tasks/", **HTMX)) == ["Brake pads"]


def test_creating_without_htmx_redirects_to_the_vehicles_tab(advisor_client, van):
    response = advisor_client.post(
        f"/tasks/new/?vehicle={van.pk}", form_data(mileage_limit="5000", unplanned="on")
    )

    assert response.status_code == 302
    assert response.url == f"/vehicles/{van.pk}/tasks/"
    task = ServiceTask.objects.get(vehicle=van)
    assert task.unplanned is True
    assert task.push_enabled is True
    page = advisor_client.get(response.url)
    assert "Created “Brake pads”." in page.content.decode()
    assert names(page) == ["Brake pads"]


def test_a_date_condition_already_reached_makes_an_expired_task(advisor_client, van):
    advisor_client.post(
        f"/tasks/new/?vehicle={van.pk}",
        form_data(date_end="2030-06-01", already_overdue="on"),
        **HTMX,
    )
    task = ServiceTask.objects.get(vehicle=van)
    assert (task.status, task.status_condition) == (Status.EXPIRED, "date")


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"mileage_limit": "-5"}, "id_mileage_limit", "greater than or equal to 0"),
        ({"mileage_limit": "500", "mileage_notify": "-1"}, "id_mileage_notify", "greater than"),
        ({"mileage_limit": "lots"}, "id_mileage_limit", "Enter a whole number."),
        ({"mileage_limit": "0"}, "id_mileage_limit", "between 1 and"),
        ({}, "id_mileage_limit", "Give at least one condition"),
        ({"mileage_limit": "500", "date_end": "31.12.2030"}, "id_date_end", "Enter a valid date."),
        ({"date_end": "2230-01-01"}, "id_date_end", "within a hundred years"),
        (
            {"mileage_limit": "500", "emails": "ops@example.com, not-an-address"},
            "id_emails",
            "is not a valid e-mail address",
        ),
        ({"mileage_limit": "500", "sms_phones": "12"}, "id_sms_phones", ""),
        ({"mileage_limit": "500", "description": ""}, "id_description", "required"),
        ({"mileage_limit": "500", "cost": "-1"}, "id_cost", "greater than or equal to 0"),
    ],
)
def test_a_wrong_task_is_refused_with_the_error_next_to_its_field(
    advisor_client, van, fields, field_id, message
):
    for headers in ({}, HTMX):
        response = advisor_client.post(
            f"/tasks/new/?vehicle={van.pk}", form_data(**fields), **headers
        )

        assert response.status_code == INVALID
        assert is_full_page(response) is not bool(headers)
        errors = field_errors(response, field_id)
        assert len(errors) == 1, all_errors(response)
        assert message in errors[0]
        assert all_errors(response) == errors  # and nowhere else
        assert "form-errors" not in response.content.decode()
    assert not ServiceTask.objects.exists()
    # What was typed is kept.
    if fields.get("emails"):
        assert 'value="ops@example.com, not-an-address"' in response.content.decode()


def test_engine_hours_on_a_vehicle_without_them_are_refused_on_that_field(advisor_client, van):
    response = advisor_client.post(
        f"/tasks/new/?vehicle={van.pk}", form_data(hours_limit="250"), **HTMX
    )

    assert response.status_code == INVALID
    # The field is shown with its error, even though the van does not offer it otherwise.
    assert field_errors(response, "id_hours_limit") == ["Van 1 does not track engine hours."]
    assert not ServiceTask.objects.exists()


def test_a_mileage_condition_needs_an_odometer_reading(advisor_client, org):
    fresh = vehicles.vehicle_create(org=org, label="New van", vehicle_key="NEW-1")
    response = advisor_client.post(
        f"/tasks/new/?vehicle={fresh.pk}", form_data(mileage_limit="500"), **HTMX
    )
    assert response.status_code == INVALID
    [error] = field_errors(response, "id_mileage_limit")
    assert "has no odometer reading yet" in error


def test_engine_hours_are_accepted_where_they_are_counted(advisor_client, truck):
    response = advisor_client.post(
        f"/tasks/new/?vehicle={truck.pk}",
        form_data(hours_limit="250.5", hours_notify="20"),
        **HTMX,
    )
    triggered(response)
    task = ServiceTask.objects.get(vehicle=truck)
    assert (task.hours_limit, task.hours_expire_at) == (Decimal("250.5"), Decimal("5250.5"))


def test_a_task_can_be_created_with_an_attachment(advisor_client, van, media):
    response = advisor_client.post(
        f"/tasks/new/?vehicle={van.pk}",
        {**form_data(mileage_limit="500"), "attachment": pdf("quote.pdf")},
        **HTMX,
    )
    triggered(response)
    task = ServiceTask.objects.get(vehicle=van)
    [stored] = task.files.all()
    assert stored.name == "quote.pdf"
    assert stored.content_type == "application/pdf"
    assert (media / stored.file.name).read_bytes() == PDF


@pytest.mark.parametrize(
    "url", ["/tasks/new/?vehicle={van}", "/tasks/batch/", "/tasks/{task}/edit/"]
)
def test_a_refused_form_keeps_no_attachment(advisor_client, van, media, url):
    task = create(van, "Existing")
    url = url.format(van=van.pk, task=task.pk)
    data = {**form_data(mileage_limit="0"), "vehicles": [str(van.pk)], "attachment": pdf()}

    response = advisor_client.post(url, data, **HTMX)

    assert response.status_code == INVALID
    [error] = field_errors(response, "id_mileage_limit")
    assert "between 1 and" in error
    assert not TaskFile.objects.exists()
    assert not list(media.rglob("*.pdf"))
    assert ServiceTask.objects.get().mileage_limit == 5_000


def test_a_wrong_attachment_is_refused_on_its_field(advisor_client, van):
    text = SimpleUploadedFile("notes.txt", b"just text", content_type="text/plain")
    response = advisor_client.post(
        f"/tasks/new/?vehicle={van.pk}",
        {**form_data(mileage_limit="500"), "attachment": text},
        **HTMX,
    )
    assert response.status_code == INVALID
    [error] = field_errors(response, "id_attachment")
    assert "notes.txt is not a PDF" in error
    assert not ServiceTask.objects.exists()
    assert not TaskFile.objects.exists()


def test_another_fleets_vehicle_cannot_be_given_a_task(advisor_client, their_vehicle):
    url = f"/tasks/new/?vehicle={their_vehicle.pk}"
    assert advisor_client.get(url).status_code == 404
    assert advisor_client.post(url, form_data(mileage_limit="500")).status_code == 404
    assert not ServiceTask.objects.exists()


# --- several vehicles at once ---------------------------------------------------------


def test_the_batch_dialog_offers_the_fleets_vehicles(advisor_client, org, van, truck, their_task):
    parked = vehicles.vehicle_create(org=org, label="Parked", vehicle_key="OLD")
    vehicles.vehicle_set_archived(vehicle=parked, archived=True)

    response = advisor_client.get("/tasks/batch/", **HTMX)

    assert response.status_code == 200
    assert not is_full_page(response)
    html = response.content.decode()
    assert "New task for several vehicles" in html
    assert 'hx-post="/tasks/batch/"' in html
    assert f'value="{van.pk}"' in html and "Van 1 (VAN-1)" in html
    assert f'value="{truck.pk}"' in html and "Actros 7 (ACT-7)" in html
    assert "Their pickup" not in html
    assert "Parked" not in html
    assert 'name="hours_limit"' in html


def test_a_batch_creates_the_task_for_every_ticked_vehicle_sharing_the_file(
    advisor_client, van, truck
):
    response = advisor_client.post(
        "/tasks/batch/",
        {
            **form_data(description="Tyre check", mileage_limit="5000", date_end="2030-09-30"),
            "vehicles": [str(van.pk), str(truck.pk)],
            "attachment": pdf("checklist.pdf"),
        },
        **HTMX,
    )

    assert triggered(response) == {
        "tasksChanged": {"notice": "Created “Tyre check” for 2 vehicles."}
    }
    tasks = ServiceTask.objects.filter(description="Tyre check").order_by("vehicle__label")
    assert [(t.vehicle_id, t.start_mileage) for t in tasks] == [
        (truck.pk, 200_000),
        (van.pk, 11_000),
    ]
    [stored] = TaskFile.objects.all()
    assert [list(t.files.all()) for t in tasks] == [[stored], [stored]]
    fleet = advisor_client.get("/tasks/")
    assert names(fleet) == ["Tyre check", "Tyre check"]
    assert fleet.content.decode().count("checklist.pdf") == 2


def test_a_batch_without_htmx_redirects_to_the_fleet_page(advisor_client, van):
    response = advisor_client.post(
        "/tasks/batch/", {**form_data(mileage_limit="100"), "vehicles": [str(van.pk)]}
    )
    assert response.status_code == 302
    assert response.url == "/tasks/"
    assert ServiceTask.objects.filter(vehicle=van).count() == 1


def test_a_batch_needs_a_ticked_vehicle(advisor_client, van, truck):
    response = advisor_client.post("/tasks/batch/", form_data(mileage_limit="5000"), **HTMX)

    assert response.status_code == INVALID
    assert field_errors(response, "id_vehicles") == ["This field is required."]
    assert not ServiceTask.objects.exists()


def test_a_batch_refuses_another_fleets_vehicle(advisor_client, van, their_vehicle):
    response = advisor_client.post(
        "/tasks/batch/",
        {**form_data(mileage_limit="5000"), "vehicles": [str(van.pk), str(their_vehicle.pk)]},
        **HTMX,
    )
    assert response.status_code == INVALID
    [error] = field_errors(response, "id_vehicles")
    assert "Select a valid choice" in error
    assert not ServiceTask.objects.exists()


def test_a_batch_is_all_or_nothing(advisor_client, van, truck):
    response = advisor_client.post(
        "/tasks/batch/",
        {**form_data(hours_limit="100"), "vehicles": [str(van.pk), str(truck.pk)]},
        **HTMX,
    )
    assert response.status_code == INVALID
    assert field_errors(response, "id_hours_limit") == ["Van 1 does not track engine hours."]
    assert "checked" in field_html(response, "id_vehicles")  # the ticks are kept
    assert not ServiceTask.objects.exists()


# --- changing a task ------------------------------------------------------------------


def test_the_edit_dialog_shows_the_tasks_values(advisor_client, van):
    task = create(
        van,
        "Oil change",
        comment="5W-30",
        cost=Decimal("80"),
        repeat=True,
        mileage={"limit": 5_000, "notification_interval": 500, "repeat_interval": 15_000},
        date={"end": "2030-12-31 23:59:59", "notification_interval": 30},
        emails=["ops@example.com"],
        sms_phones=["+49 151 12345678"],
    )

    response = advisor_client.get(f"/tasks/{task.pk}/edit/", **HTMX)

    assert response.status_code == 200
    assert not is_full_page(response)
    html = response.content.decode()
    assert f'hx-post="/tasks/{task.pk}/edit/"' in html
    assert "Edit “Oil change”" in html
    assert "Save task" in html

    def value(field_id: str) -> str | None:
        match = re.search(r'value="([^"]*)"', field_html(response, field_id))
        return match and match.group(1)

    assert value("id_description") == "Oil change"
    assert value("id_comment") == "5W-30"
    assert value("id_cost") == "80.00"
    assert value("id_mileage_limit") == "5000"
    assert value("id_mileage_notify") == "500"
    assert value("id_mileage_repeat") == "15000"
    assert value("id_date_end") == "2030-12-31"
    assert value("id_date_notify") == "30"
    assert value("id_emails") == "ops@example.com"
    assert value("id_sms_phones") == "+4915112345678"
    assert "checked" in field_html(response, "id_repeat")
    assert "checked" not in field_html(response, "id_unplanned")


def test_editing_changes_the_conditions_and_the_status_follows(advisor_client, van, oil):
    assert oil.status == Status.CREATED
    response = advisor_client.post(
        f"/tasks/{oil.pk}/edit/",
        form_data(
            description="Oil and filter",
            comment="Use 5W-30.",
            cost="120.50",
            mileage_limit="300",
            date_end="2030-06-20",
            date_notify="10",
        ),
        **HTMX,
    )

    assert triggered(response) == {"tasksChanged": {"notice": "Saved “Oil and filter”."}}
    oil.refresh_from_db()
    assert oil.description == "Oil and filter"
    assert (oil.mileage_limit, oil.mileage_notify, oil.mileage_expire_at) == (300, None, 11_300)
    assert oil.date_end == datetime(2030, 6, 20, 21, 59, 59, tzinfo=UTC)
    # Five days to go with a ten-day reminder: due soon, by date.
    assert (oil.status, oil.status_condition) == (Status.NOTIFIED, "date")
    row = row_html(advisor_client.get(f"/vehicles/{van.pk}/tasks/"), oil)
    assert "due soon" in row
    assert "by date" in row


def test_editing_keeps_the_attached_files_and_can_add_one(advisor_client, van, oil):
    stored = services.file_upload(org=van.org, upload=pdf("first.pdf"))
    services.task_attach(task=oil, files=[stored])

    response = advisor_client.post(
        f"/tasks/{oil.pk}/edit/",
        {**form_data(description="Oil change", mileage_limit="5000"), "attachment": pdf("b.pdf")},
    )

    assert response.status_code == 302
    assert response.url == f"/vehicles/{van.pk}/tasks/"
    assert sorted(oil.files.values_list("name", flat=True)) == ["b.pdf", "first.pdf"]


def test_a_wrong_edit_is_refused_in_place(advisor_client, oil):
    response = advisor_client.post(
        f"/tasks/{oil.pk}/edit/", form_data(description="Oil change"), **HTMX
    )
    assert response.status_code == INVALID
    assert not is_full_page(response)
    [error] = field_errors(response, "id_mileage_limit")
    assert "Give at least one condition" in error
    oil.refresh_from_db()
    assert oil.mileage_limit == 5_000


def test_a_done_task_cannot_be_edited(advisor_client, van, oil):
    services.task_mark_done(task=oil)
    page = advisor_client.get(f"/vehicles/{van.pk}/tasks/?status=done")
    assert names(page) == ["Oil change"]
    assert "row-actions" not in row_html(page, oil)
    assert f"/tasks/{oil.pk}/edit/" not in page.content.decode()

    response = advisor_client.post(
        f"/tasks/{oil.pk}/edit/", form_data(description="Changed", mileage_limit="10"), **HTMX
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/vehicles/{van.pk}/tasks/"
    oil.refresh_from_db()
    assert (oil.description, oil.mileage_limit, oil.status) == ("Oil change", 5_000, "done")
    page = advisor_client.get(f"/tasks/{oil.pk}/edit/", follow=True)
    assert "done tasks are kept as they were" in page.content.decode()


# --- done, delete ---------------------------------------------------------------------


def test_marking_done_takes_the_task_off_the_open_list(advisor_client, van, oil):
    response = advisor_client.post(f"/tasks/{oil.pk}/done/", **HTMX)

    assert triggered(response) == {"tasksChanged": {"notice": "“Oil change” is done."}}
    oil.refresh_from_db()
    assert oil.status == Status.DONE
    assert oil.completion_mileage == 11_000
    assert oil.completion_date == NOW
    assert names(advisor_client.get(f"/vehicles/{van.pk}/tasks/")) == []
    done = advisor_client.get(f"/vehicles/{van.pk}/tasks/?status=done")
    assert rows(done) == [("Oil change", "done")]
    assert "done 2030-06-15" in row_html(done, oil)
    assert "0% at completion" in row_html(done, oil)


def test_marking_a_repeating_task_done_schedules_the_next_one(advisor_client, van):
    task = create(van, "Oil change", repeat=True, mileage={"limit": 500, "repeat_interval": 800})
    vehicles.reading_record(vehicle=van, odometer=11_600, confirm_jump=True)

    response = advisor_client.post(f"/tasks/{task.pk}/done/", **HTMX)

    assert triggered(response) == {
        "tasksChanged": {"notice": "“Oil change” is done. The next one is scheduled."}
    }
    task.refresh_from_db()
    assert task.status == Status.DONE
    assert task.completion_wear == 120  # 600 of 500 km
    following = task.repeated_by
    assert (following.start_mileage, following.mileage_expire_at) == (11_600, 12_400)
    assert following.status == Status.CREATED
    assert rows(advisor_client.get(f"/vehicles/{van.pk}/tasks/")) == [("Oil change", "created")]
    # Twice is once.
    again = advisor_client.post(f"/tasks/{task.pk}/done/", **HTMX)
    assert again.status_code == 204
    assert ServiceTask.objects.filter(vehicle=van).count() == 2


def test_marking_done_without_htmx_goes_back_where_it_came_from(advisor_client, van, oil):
    response = advisor_client.post(f"/tasks/{oil.pk}/done/", {"back": "/tasks/?status=all"})
    assert response.status_code == 302
    assert response.url == "/tasks/?status=all"
    assert "“Oil change” is done." in advisor_client.get(response.url).content.decode()


@pytest.mark.parametrize(
    "back", ["https://evil.example/phish", "//evil.example/phish", "javascript:alert(1)"]
)
def test_going_back_stays_on_the_site(advisor_client, van, oil, back):
    response = advisor_client.post(f"/tasks/{oil.pk}/done/", {"back": back})
    assert response.status_code == 302
    assert response.url == f"/vehicles/{van.pk}/tasks/"


@pytest.mark.parametrize("odometer", ["5", "abc", "²", "-1", "99999999999999999999"])
def test_a_wrong_completion_odometer_is_refused_not_a_crash(advisor_client, van, oil, odometer):
    response = advisor_client.post(f"/tasks/{oil.pk}/done/", {"odometer": odometer}, **HTMX)
    assert response.status_code == INVALID
    oil.refresh_from_db()
    assert oil.status == Status.CREATED


def test_a_completion_odometer_below_the_start_is_refused(advisor_client, oil):
    response = advisor_client.post(f"/tasks/{oil.pk}/done/", {"odometer": "5"}, **HTMX)
    assert response.status_code == INVALID
    # The form comes back with the reading rules' reason next to the odometer, for the dialog.
    refusal = "the previous reading was 11,000 km on 2030-06-15"
    assert refusal in field_html(response, "id_odometer")
    plain = advisor_client.post(f"/tasks/{oil.pk}/done/", {"odometer": "5"})
    assert plain.status_code == INVALID
    assert refusal in plain.content.decode()
    oil.refresh_from_db()
    assert oil.status == Status.CREATED


def test_deleting_a_task(advisor_client, van, oil, media):
    stored = services.file_upload(org=van.org, upload=pdf())
    services.task_attach(task=oil, files=[stored])

    response = advisor_client.post(f"/tasks/{oil.pk}/delete/", **HTMX)

    assert triggered(response) == {"tasksChanged": {"notice": "Deleted “Oil change”."}}
    assert not ServiceTask.objects.filter(pk=oil.pk).exists()
    assert not TaskFile.objects.exists()
    assert names(advisor_client.get("/tasks/?status=all")) == []
    plain = create(van, "Second")
    response = advisor_client.post(f"/tasks/{plain.pk}/delete/")
    assert response.status_code == 302
    assert response.url == f"/vehicles/{van.pk}/tasks/"


def test_writes_need_a_post(advisor_client, oil):
    # "done" asks what happened first: its form is a page of its own.
    assert advisor_client.get(f"/tasks/{oil.pk}/done/").status_code == 200
    for action in ("delete", "files"):
        assert advisor_client.get(f"/tasks/{oil.pk}/{action}/").status_code == 405
    oil.refresh_from_db()
    assert oil.status == Status.CREATED


# --- files ----------------------------------------------------------------------------


def test_a_file_is_attached_and_downloaded(advisor_client, viewer_client, van, oil):
    response = advisor_client.post(
        f"/tasks/{oil.pk}/files/", {"file": pdf("Invoice 2030-06.pdf")}, **HTMX
    )

    assert triggered(response) == {"tasksChanged": {"notice": "Attached Invoice 2030-06.pdf."}}
    [stored] = oil.files.all()
    url = f"/tasks/{oil.pk}/files/{stored.pk}/"
    assert f'href="{url}"' in row_html(advisor_client.get(f"/vehicles/{van.pk}/tasks/"), oil)
    for client in (advisor_client, viewer_client):
        download = client.get(url)
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == PDF
        assert download["Content-Type"] == "application/pdf"
        assert download["Content-Disposition"] == 'attachment; filename="Invoice 2030-06.pdf"'


def test_attaching_without_htmx_goes_back(advisor_client, van, oil):
    response = advisor_client.post(f"/tasks/{oil.pk}/files/", {"file": pdf(), "back": "/tasks/"})
    assert response.status_code == 302
    assert response.url == "/tasks/"
    assert oil.files.count() == 1


def test_a_file_that_is_not_a_pdf_or_image_is_refused(advisor_client, van, oil):
    fake = SimpleUploadedFile("invoice.pdf.txt", b"hello, not a pdf", content_type="text/plain")
    response = advisor_client.post(f"/tasks/{oil.pk}/files/", {"file": fake}, **HTMX)

    message = "invoice.pdf.txt is not a PDF, PNG, JPEG, GIF or WebP file."
    assert response.status_code == INVALID
    assert message in response.content.decode()
    # The row's menu swaps nothing; the page is told what to say.
    assert json.loads(response.headers["HX-Trigger"]) == {"tasksRefused": {"notice": message}}
    assert not TaskFile.objects.exists()

    fake.seek(0)
    plain = advisor_client.post(f"/tasks/{oil.pk}/files/", {"file": fake}, follow=True)
    assert plain.status_code == 200
    assert "is not a PDF, PNG, JPEG, GIF or WebP file." in plain.content.decode()
    assert not TaskFile.objects.exists()


def test_attaching_nothing_asks_for_a_file(advisor_client, van, oil):
    response = advisor_client.post(f"/tasks/{oil.pk}/files/", follow=True)
    assert response.status_code == 200
    assert "Choose a file to attach." in response.content.decode()
    fragment = advisor_client.post(f"/tasks/{oil.pk}/files/", **HTMX)
    assert fragment.status_code == INVALID
    assert json.loads(fragment.headers["HX-Trigger"]) == {
        "tasksRefused": {"notice": "Choose a file to attach."}
    }
    assert not oil.files.exists()


def test_a_file_is_removed(advisor_client, van, oil, media, django_capture_on_commit_callbacks):
    stored = services.file_upload(org=van.org, upload=pdf())
    services.task_attach(task=oil, files=[stored])
    path = media / stored.file.name
    assert path.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = advisor_client.post(f"/tasks/{oil.pk}/files/{stored.pk}/remove/", **HTMX)

    assert triggered(response) == {"tasksChanged": {"notice": "Removed invoice.pdf."}}
    assert not oil.files.exists()
    assert not TaskFile.objects.exists()
    assert not path.exists()
    assert advisor_client.get(f"/tasks/{oil.pk}/files/{stored.pk}/").status_code == 404


def test_a_shared_file_stays_with_the_other_tasks(advisor_client, van, oil):
    other = create(van, "Other")
    stored = services.file_upload(org=van.org, upload=pdf())
    services.task_attach(task=oil, files=[stored])
    services.task_attach(task=other, files=[stored])

    advisor_client.post(f"/tasks/{oil.pk}/files/{stored.pk}/remove/", **HTMX)

    assert not oil.files.exists()
    assert list(other.files.all()) == [stored]
    assert advisor_client.get(f"/tasks/{other.pk}/files/{stored.pk}/").status_code == 200


def test_a_file_is_reached_only_through_a_task_that_holds_it(advisor_client, van, oil):
    other = create(van, "Other")
    stored = services.file_upload(org=van.org, upload=pdf())
    services.task_attach(task=other, files=[stored])

    assert advisor_client.get(f"/tasks/{oil.pk}/files/{stored.pk}/").status_code == 404
    remove = advisor_client.post(f"/tasks/{oil.pk}/files/{stored.pk}/remove/")
    assert remove.status_code == 404
    assert list(other.files.all()) == [stored]


# --- who may do what ------------------------------------------------------------------


def write_requests(task: ServiceTask, stored: TaskFile) -> list[tuple[str, str, dict]]:
    vehicle = task.vehicle_id
    return [
        ("get", f"/tasks/new/?vehicle={vehicle}", {}),
        ("post", f"/tasks/new/?vehicle={vehicle}", form_data(mileage_limit="100")),
        ("get", "/tasks/batch/", {}),
        ("post", "/tasks/batch/", {**form_data(mileage_limit="100"), "vehicles": [vehicle]}),
        ("get", f"/tasks/{task.pk}/edit/", {}),
        ("post", f"/tasks/{task.pk}/edit/", form_data(description="X", mileage_limit="100")),
        ("post", f"/tasks/{task.pk}/done/", {}),
        ("post", f"/tasks/{task.pk}/files/", {"file": pdf()}),
        ("post", f"/tasks/{task.pk}/files/{stored.pk}/remove/", {}),
        ("post", f"/tasks/{task.pk}/delete/", {}),
    ]


def snapshot(org: Organization) -> list[tuple]:
    tasks = ServiceTask.objects.filter(org=org).order_by("id")
    return [
        *tasks.values_list("id", "description", "status", "mileage_limit", "files"),
        *TaskFile.objects.filter(org=org).order_by("id").values_list("id", "name"),
    ]


@pytest.fixture
def attached(oil) -> TaskFile:
    stored = services.file_upload(org=oil.org, upload=pdf("sheet.pdf"))
    services.task_attach(task=oil, files=[stored])
    return stored


def test_a_viewer_sees_the_tasks_but_changes_nothing(viewer_client, org, van, oil, attached):
    for url in ("/tasks/", f"/vehicles/{van.pk}/tasks/"):
        response = viewer_client.get(url)
        assert response.status_code == 200
        assert names(response) == ["Oil change"]
        html = response.content.decode()
        assert "row-actions" not in html
        assert ">Actions</summary>" not in html
        assert "+ New task" not in html
        assert "Mark done" not in html
        assert f'href="/tasks/{oil.pk}/files/{attached.pk}/"' in html

    before = snapshot(org)
    for method, url, data in write_requests(oil, attached):
        for headers in ({}, HTMX):
            response = getattr(viewer_client, method)(url, data, **headers)
            assert response.status_code == 403, (method, url)
    assert snapshot(org) == before


def test_an_outsider_cannot_reach_another_fleets_tasks(
    outsider_client, advisor_client, their_task, oil, attached, van
):
    # Oscar's own fleet has a task; Bob's fleet's task and file are not there for him.
    assert names(outsider_client.get("/tasks/?status=all")) == ["Their brakes"]
    assert names(advisor_client.get("/tasks/?status=all")) == ["Oil change"]

    before = snapshot(oil.org)
    assert outsider_client.get(f"/vehicles/{van.pk}/tasks/").status_code == 404
    assert outsider_client.get(f"/tasks/{oil.pk}/files/{attached.pk}/").status_code == 404
    for method, url, data in write_requests(oil, attached):
        if url == "/tasks/batch/":
            continue  # his own fleet's batch dialog, which does not offer Bob's vehicles
        response = getattr(outsider_client, method)(url, data)
        assert response.status_code == 404, (method, url)
    assert snapshot(oil.org) == before

    # Bob cannot reach Oscar's either, even through one of his own tasks.
    [their_file] = their_task.files.all()
    assert advisor_client.get(f"/vehicles/{their_task.vehicle_id}/tasks/").status_code == 404
    assert advisor_client.get(f"/tasks/{their_task.pk}/files/{their_file.pk}/").status_code == 404
    assert advisor_client.get(f"/tasks/{oil.pk}/files/{their_file.pk}/").status_code == 404
    assert advisor_client.get(f"/tasks/{their_task.pk}/edit/").status_code == 404
    remove = advisor_client.post(f"/tasks/{oil.pk}/files/{their_file.pk}/remove/")
    assert remove.status_code == 404
    assert list(their_task.files.all()) == [their_file]


def test_signed_out_visitors_are_sent_to_sign_in(client, oil):
    for url in ("/tasks/", f"/vehicles/{oil.vehicle_id}/tasks/", f"/tasks/{oil.pk}/edit/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/login/")


def test_someone_without_a_fleet_is_told_so(client, oil):
    client.force_login(User.objects.create_user(username="nobody", password="pw"))
    assert client.get("/tasks/").status_code == 403


@pytest.mark.parametrize("name", ["description", "comment", "emails", "sms_phones"])
def test_text_with_a_nul_byte_is_refused_next_to_its_field(advisor_client, van, name):
    data = form_data(mileage_limit="500", **{name: "oil\x00change"})
    response = advisor_client.post(f"/tasks/new/?vehicle={van.pk}", data, **HTMX)
    assert response.status_code == INVALID
    assert field_errors(response, f"id_{name}")
    assert not ServiceTask.objects.exists()


def test_a_task_without_conditions_is_refused_in_plain_words(advisor_client, van):
    response = advisor_client.post(f"/tasks/new/?vehicle={van.pk}", form_data(), **HTMX)
    assert response.status_code == INVALID
    assert "Give at least one condition: a mileage, a date or engine hours." in (
        response.content.decode()
    )
    assert not ServiceTask.objects.exists()
