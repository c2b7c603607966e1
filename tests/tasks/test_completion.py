"""A task marked done records what happened; one done by mistake can be reopened.

Services, the API and the pages: the date, the meters through the reading rules,
cost, who did it and notes; reopening within its rules; the task page's history
and files.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fleetmaint.accounts import services as accounts
from fleetmaint.errors import ConfirmationRequired, Conflict, ValidationFailed
from fleetmaint.reports.queries import cost_by_month
from fleetmaint.tasks import services
from fleetmaint.tasks.completion import CompletionInput
from fleetmaint.tasks.models import ServiceTask, Status, TaskCompletion, TaskFile
from fleetmaint.tasks.services import Conditions, TaskInput
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Reading, Vehicle
from fleetmaint.web import INVALID
from tests.clock import NOW

pytestmark = pytest.mark.usefixtures("clock", "media")

HTMX = {"HTTP_HX_REQUEST": "true"}
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def van(vehicle, clock) -> Vehicle:
    """Van 1, read at 11,000 km two days ago."""
    clock.move_to(NOW - timedelta(days=2))
    vehicles.reading_record(vehicle=vehicle, odometer=11_000)
    clock.move_to(NOW)
    vehicle.refresh_from_db()
    return vehicle


def create(vehicle: Vehicle, description: str = "Oil change", **fields) -> ServiceTask:
    mileage = fields.pop("mileage", {"limit": 5_000, "notification_interval": 1_000})
    data = TaskInput(description=description, conditions=Conditions(mileage=mileage), **fields)
    return services.task_create(vehicle=vehicle, data=data)


@pytest.fixture
def oil(van) -> ServiceTask:
    return create(van, cost=Decimal("120.50"))


@pytest.fixture
def repeating(van) -> ServiceTask:
    return create(van, "Tyre rotation", repeat=True, mileage={"limit": 10_000})


def pdf(name: str = "invoice.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def done(task: ServiceTask, **values) -> tuple[ServiceTask, ServiceTask | None]:
    return services.task_mark_done(task=task, completion=CompletionInput(**values))


# --- the service: what is recorded ------------------------------------------------------


def test_done_records_the_date_meters_cost_servicer_and_notes(oil, van, advisor):
    when = datetime(2030, 6, 14, 9, 0, tzinfo=UTC)
    task, _ = services.task_mark_done(
        task=oil,
        completion=CompletionInput(
            done_at=when,
            odometer=11_400,
            cost="95.00",
            servicer="Quick Lube",
            notes="Filter changed too.",
        ),
        actor=advisor,
    )

    assert (task.status, task.completion_date, task.completion_mileage) == ("done", when, 11_400)
    assert task.cost == Decimal("95.00")
    [record] = TaskCompletion.objects.filter(task=oil)
    assert (record.done_at, record.odometer, record.cost, record.planned_cost) == (
        when,
        11_400,
        Decimal("95.00"),
        Decimal("120.50"),
    )
    assert (record.servicer, record.notes, record.recorded_by) == (
        "Quick Lube",
        "Filter changed too.",
        advisor,
    )
    # The odometer went through the reading rules and is the van's newest value.
    assert record.reading.odometer == 11_400
    assert record.reading.recorded_at == when
    van.refresh_from_db()
    assert van.odometer == 11_400


def test_done_without_values_takes_today_the_current_meters_and_the_tasks_cost(oil, van):
    task, _ = done(oil)
    assert (task.completion_date, task.completion_mileage, task.cost) == (
        NOW,
        11_000,
        Decimal("120.50"),
    )
    # Nothing new about the meters: no reading is added.
    assert Reading.objects.filter(vehicle=van).count() == 1
    assert TaskCompletion.objects.get(task=oil).reading is None


def test_an_odometer_below_the_current_one_is_refused_naming_it_and_its_date(oil):
    with pytest.raises(ValidationFailed) as refused:
        done(oil, odometer=10_900)
    assert refused.value.field == "odometer"
    assert "11,000 km on 2030-06-13" in refused.value.message
    oil.refresh_from_db()
    assert oil.status == Status.CREATED
    assert not TaskCompletion.objects.exists()


def test_an_implausible_jump_needs_confirmation(oil, van):
    with pytest.raises(ConfirmationRequired):
        done(oil, odometer=19_000)
    oil.refresh_from_db()
    assert oil.status == Status.CREATED

    task, _ = done(oil, odometer=19_000, confirm_jump=True)
    assert task.completion_mileage == 19_000
    van.refresh_from_db()
    assert van.odometer == 19_000


def test_a_date_in_the_future_is_refused(oil):
    with pytest.raises(ValidationFailed) as refused:
        done(oil, done_at=NOW + timedelta(days=1))
    assert (refused.value.field, refused.value.message) == (
        "done_at",
        "The date cannot be in the future.",
    )


def test_the_cost_of_a_done_task_is_in_the_cost_chart(oil):
    done(oil, cost="80")
    june = next(m for m in cost_by_month(oil.org) if m.month.month == 6)
    assert june.tasks == Decimal("80.00")


def test_a_repeating_tasks_next_one_is_planned_at_the_planned_cost(van):
    task = create(van, "Wash", repeat=True, cost=Decimal("20"), mileage={"limit": 1_000})
    _, successor = done(task, cost="35")
    assert successor.cost == Decimal("20.00")


# --- the service: reopening ---------------------------------------------------------------


def test_reopening_takes_back_the_completion_and_removes_the_untouched_successor(
    repeating, advisor
):
    _, successor = done(repeating, cost="40", notes="By mistake")

    reopened = services.task_reopen(task=repeating, actor=advisor)

    assert reopened.status == Status.CREATED
    assert (reopened.completion_date, reopened.completion_mileage) == (None, None)
    assert not ServiceTask.objects.filter(pk=successor.pk).exists()
    [record] = reopened.completions.all()
    assert (record.reopened_at, record.reopened_by, record.successor_removed) == (
        NOW,
        advisor,
        True,
    )
    assert record.notes == "By mistake"
    # Done again later, both completions stay in its history.
    done(repeating)
    assert repeating.completions.count() == 2


def test_reopening_restores_the_planned_cost(oil):
    done(oil, cost="99")
    assert services.task_reopen(task=oil).cost == Decimal("120.50")
    assert all(m.tasks == 0 for m in cost_by_month(oil.org))


def test_a_reopened_task_is_evaluated_again(van, clock):
    task = create(van, "Brakes", mileage={"limit": 500})
    done(task)
    vehicles.reading_record(vehicle=van, odometer=11_600)
    assert services.task_reopen(task=task).status == Status.EXPIRED


def test_reopening_is_refused_when_the_successor_was_edited(repeating):
    _, successor = done(repeating)
    services.task_update(
        task=successor,
        data=TaskInput(
            description="Tyre rotation and balance",
            repeat=True,
            conditions=Conditions(mileage={"limit": 10_000}),
        ),
    )
    with pytest.raises(Conflict) as refused:
        services.task_reopen(task=repeating)
    assert f"(task {successor.pk}) is kept because it was edited since" in refused.value.message
    repeating.refresh_from_db()
    assert repeating.status == Status.DONE


def test_reopening_is_refused_when_the_successor_has_files_of_its_own(repeating):
    _, successor = done(repeating)
    stored = services.file_upload(org=repeating.org, upload=pdf())
    services.task_attach(task=successor, files=[stored])
    with pytest.raises(Conflict, match="files were attached to it"):
        services.task_reopen(task=repeating)


def test_files_the_successor_inherited_do_not_keep_it(repeating):
    stored = services.file_upload(org=repeating.org, upload=pdf())
    services.task_attach(task=repeating, files=[stored])
    _, successor = done(repeating)
    assert list(successor.files.all()) == [stored]
    services.task_reopen(task=repeating)
    assert list(repeating.files.all()) == [stored]
    assert TaskFile.objects.count() == 1


def test_an_open_task_cannot_be_reopened(oil):
    with pytest.raises(Conflict, match="not done"):
        services.task_reopen(task=oil)


# --- the API ---------------------------------------------------------------------------


def post(client, url: str, body: dict | None = None):
    return client.post(url, body or {}, content_type="application/json")


def test_the_api_records_what_happened(api, oil):
    response = post(
        api,
        f"/api/v1/tasks/{oil.pk}/done",
        {
            "done_at": "2030-06-15T08:00:00Z",
            "odometer": 11_200,
            "cost": "88.10",
            "servicer": "Depot North",
            "notes": "All good",
        },
    )

    assert response.status_code == 200, response.content
    task = response.json()["task"]
    assert task["status"] == "done"
    assert task["cost"] == 88.1
    assert task["completion"]["mileage"] == 11_200
    listed = api.get(f"/api/v1/tasks/{oil.pk}/completions").json()
    assert [(c["servicer"], c["notes"], c["cost"], c["reopened_at"]) for c in listed] == [
        ("Depot North", "All good", 88.1, None)
    ]


def test_the_api_refuses_a_lower_odometer_and_asks_to_confirm_a_jump(api, oil):
    lower = post(api, f"/api/v1/tasks/{oil.pk}/done", {"odometer": 10_000})
    assert lower.status_code == 400
    assert lower.json()["field"] == "odometer"
    assert "11,000 km on 2030-06-13" in lower.json()["message"]
    jump = post(api, f"/api/v1/tasks/{oil.pk}/done", {"odometer": 30_000})
    assert (jump.status_code, jump.json()["code"]) == (400, "confirmation_required")
    confirmed = post(
        api, f"/api/v1/tasks/{oil.pk}/done", {"odometer": 30_000, "confirm_jump": True}
    )
    assert confirmed.status_code == 200


def test_the_api_reopens_a_task(api, repeating):
    successor = post(api, f"/api/v1/tasks/{repeating.pk}/done").json()["next"]

    response = post(api, f"/api/v1/tasks/{repeating.pk}/reopen")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "created"
    assert api.get(f"/api/v1/tasks/{successor['id']}").status_code == 404
    [record] = api.get(f"/api/v1/tasks/{repeating.pk}/completions").json()
    assert record["reopened_at"] == "2030-06-15T10:00:00Z"
    again = post(api, f"/api/v1/tasks/{repeating.pk}/reopen")
    assert (again.status_code, again.json()["code"]) == (409, "conflict")


def test_a_read_only_key_cannot_reopen(org, oil):
    from django.test import Client

    done(oil)
    _, raw = accounts.apikey_create(org=org, name="reader", read_only=True)
    reader = Client(headers={"Authorization": f"Bearer {raw}"})
    assert post(reader, f"/api/v1/tasks/{oil.pk}/reopen").status_code == 403
    oil.refresh_from_db()
    assert oil.status == Status.DONE


# --- the pages --------------------------------------------------------------------------


def test_the_done_form_asks_what_happened_with_the_current_meters(advisor_client, oil):
    page = advisor_client.get(f"/tasks/{oil.pk}/done/")
    html = page.content.decode()
    assert page.status_code == 200
    for name in ("date", "odometer", "cost", "servicer", "notes"):
        assert f'name="{name}"' in html
    assert 'value="11000"' in html
    assert 'value="120.50"' in html


def test_marking_done_from_the_page_records_it_and_shows_it_on_the_task_page(
    advisor_client, oil, van
):
    response = advisor_client.post(
        f"/tasks/{oil.pk}/done/",
        {
            "date": "2030-06-14",
            "odometer": "11200",
            "cost": "70",
            "servicer": "Quick Lube",
            "notes": "Checked the brakes.",
            "on_page": "1",
            "back": f"/tasks/{oil.pk}/",
        },
    )
    assert response.status_code == 302
    page = advisor_client.get(response.url).content.decode()
    assert "“Oil change” is done." in page
    assert "11,200 km" in page and "70.00 EUR" in page and "by Quick Lube" in page
    assert "Checked the brakes." in page
    history = advisor_client.get(f"/vehicles/{van.pk}/history/").content.decode()
    assert "Oil change" in history and "Quick Lube" in history and "2030-06-14" in history


def test_a_jump_is_confirmed_on_the_form(advisor_client, oil):
    url = f"/tasks/{oil.pk}/done/"
    asked = advisor_client.post(url, {"odometer": "25000"}, **HTMX)
    assert asked.status_code == INVALID
    assert 'name="confirm_jump"' in asked.content.decode()
    confirmed = advisor_client.post(url, {"odometer": "25000", "confirm_jump": "on"}, **HTMX)
    assert confirmed.status_code == 204
    oil.refresh_from_db()
    assert oil.completion_mileage == 25_000


def test_a_future_date_is_refused_next_to_the_field(advisor_client, oil):
    response = advisor_client.post(f"/tasks/{oil.pk}/done/", {"date": "2030-06-16"})
    assert response.status_code == INVALID
    assert "The date cannot be in the future." in response.content.decode()


def test_an_advisor_reopens_from_the_task_page_a_viewer_may_not(advisor_client, viewer_client, oil):
    done(oil, notes="Wrong van")
    assert viewer_client.post(f"/tasks/{oil.pk}/reopen/").status_code == 403
    page = advisor_client.get(f"/tasks/{oil.pk}/").content.decode()
    assert f'action="/tasks/{oil.pk}/reopen/"' in page
    assert 'data-confirm="Reopen' in page

    response = advisor_client.post(f"/tasks/{oil.pk}/reopen/", {"back": f"/tasks/{oil.pk}/"})

    assert response.status_code == 302
    page = advisor_client.get(response.url).content.decode()
    assert "“Oil change” is open again." in page
    assert "reopened 2030-06-15" in page
    assert "Wrong van" in page


def test_a_refused_reopen_says_why(advisor_client, repeating):
    _, successor = done(repeating)
    stored = services.file_upload(org=repeating.org, upload=pdf())
    services.task_attach(task=successor, files=[stored])
    response = advisor_client.post(f"/tasks/{repeating.pk}/reopen/", follow=True)
    assert "is kept because files were attached to it" in response.content.decode()


def test_the_task_page_lists_files_to_download_and_remove(advisor_client, viewer_client, oil):
    stored = services.file_upload(org=oil.org, upload=pdf("Invoice.pdf"))
    services.task_attach(task=oil, files=[stored])

    page = advisor_client.get(f"/tasks/{oil.pk}/").content.decode()
    assert f'href="/tasks/{oil.pk}/files/{stored.pk}/"' in page
    assert f'action="/tasks/{oil.pk}/files/{stored.pk}/remove/"' in page
    assert 'data-confirm="Remove Invoice.pdf from this task?"' in page
    # A viewer sees and downloads the files, and is offered no removal.
    seen = viewer_client.get(f"/tasks/{oil.pk}/").content.decode()
    assert "Invoice.pdf" in seen and "/remove/" not in seen
    # The edit page lists them too.
    edit = advisor_client.get(f"/tasks/{oil.pk}/edit/").content.decode()
    assert f'href="/tasks/{oil.pk}/files/{stored.pk}/remove/"' in edit


def test_removing_a_file_asks_first_without_javascript(advisor_client, viewer_client, oil):
    stored = services.file_upload(org=oil.org, upload=pdf("Invoice.pdf"))
    services.task_attach(task=oil, files=[stored])
    url = f"/tasks/{oil.pk}/files/{stored.pk}/remove/"

    asked = advisor_client.get(url)
    assert asked.status_code == 200
    assert "Remove Invoice.pdf?" in asked.content.decode()
    assert oil.files.exists()
    assert viewer_client.post(url).status_code == 403

    removed = advisor_client.post(url, {"back": f"/tasks/{oil.pk}/"}, follow=True)
    assert "Removed Invoice.pdf." in removed.content.decode()
    assert not oil.files.exists()
