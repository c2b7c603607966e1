"""The task pages speak one vocabulary: Planned, Due soon, Overdue, Done; no "0.00 EUR"
for a task without a cost; an empty list says why; no glyph needs an emoji font."""

import re
from decimal import Decimal

import pytest

from fleetmaint.tasks import services
from fleetmaint.tasks.models import Status
from fleetmaint.vehicles.models import Vehicle
from tests.tasks.test_views import HTMX, _drive, create, due_in, pdf

pytestmark = pytest.mark.usefixtures("clock", "media")


@pytest.fixture
def van(vehicle, clock) -> Vehicle:
    """Van 1, driven from 10,000 to 11,000 km over the last month."""
    return _drive(vehicle, clock, 10_000, 11_000)


EMOJI = re.compile("[\u2190-\u2bff\U0001f000-\U0001faff]")


def _text(html: str) -> str:
    """What a person reads: the page without its tags and attributes."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _results(html: str) -> str:
    return html[html.index('id="results"') :]


def test_the_status_names_agree_in_the_list_its_filter_and_its_counts(advisor_client, van):
    create(van, "Oil change")
    create(van, "Brake pads", date=due_in(-2))
    soon = create(van, "Tyres", date=due_in(3, notify=7))
    assert soon.status == Status.NOTIFIED
    html = advisor_client.get("/tasks/?status=all").content.decode()
    text = _text(html)
    options = re.findall(r'<option value="(created|notified|expired|done)"[^>]*>([^<]+)<', html)
    assert options == [
        ("created", "Planned"),
        ("notified", "Due soon"),
        ("expired", "Overdue"),
        ("done", "Done"),
    ]
    assert re.search(r'<div class="label">Overdue</div><div class="value[^"]*">1<', html)
    # "Planned" names a status only; the kind filter says maintenance or repairs.
    kinds = re.findall(r'<option value="(|no|yes)"[^>]*>([^<]+)<', html)
    assert kinds[-3:] == [
        ("", "Maintenance and repairs"),
        ("no", "Maintenance"),
        ("yes", "Unplanned repairs"),
    ]
    rows = _text(_results(html))
    assert "planned" in rows and "due soon" in rows and "overdue" in rows
    for old in ("Created", "Expired", "expired", "created"):
        assert old not in text, old


def test_a_task_without_a_cost_shows_no_money(advisor_client, van):
    free = create(van, "Wiper check")
    create(van, "Oil change", cost=Decimal("1234.5"))
    listed = _text(_results(advisor_client.get(f"/vehicles/{van.pk}/tasks/").content.decode()))
    assert "1,234.50 EUR" in listed
    assert "0.00 EUR" not in listed.replace("1,234.50 EUR", "")
    detail = _text(advisor_client.get(f"/tasks/{free.pk}/").content.decode())
    assert re.search(r"Cost —", detail)
    assert "0.00" not in detail


def test_a_new_vehicle_says_it_has_no_tasks_yet_and_offers_to_add_one(advisor_client, van):
    html = advisor_client.get(f"/vehicles/{van.pk}/tasks/").content.decode()
    empty = html[html.index('id="tasks-empty"') :]
    assert "No tasks yet for this vehicle." in _text(empty)
    assert "No tasks match these filters" not in html
    assert re.search(rf'<a href="/tasks/new/\?vehicle={van.pk}"[^>]*>Add the first one</a>', empty)


def test_a_viewer_is_not_offered_to_add_one(viewer_client, van):
    text = _text(viewer_client.get(f"/vehicles/{van.pk}/tasks/").content.decode())
    assert "No tasks yet for this vehicle." in text and "Add the first one" not in text


def test_a_filter_that_matches_nothing_says_so(advisor_client, van):
    create(van, "Oil change")
    for query in ("status=done", "q=nothing+like+this", "unplanned=yes"):
        text = _text(
            advisor_client.get(f"/vehicles/{van.pk}/tasks/?{query}", **HTMX).content.decode()
        )
        assert "No tasks match these filters." in text, query
        assert "No tasks yet" not in text


def test_a_vehicle_with_only_done_tasks_has_no_open_ones(advisor_client, van):
    services.task_mark_done(task=create(van, "Oil change"))
    html = advisor_client.get(f"/vehicles/{van.pk}/tasks/").content.decode()
    assert "No open tasks for this vehicle." in _text(html)
    assert 'href="?status=all">Show all tasks</a>' in html


def test_a_fleet_without_tasks_says_so(advisor_client, van):
    text = _text(advisor_client.get("/tasks/").content.decode())
    assert "No tasks yet." in text and "Add the first one" in text


def test_files_and_repeats_are_drawn_not_typed_as_emoji(advisor_client, van):
    task = create(
        van, "Oil change", repeat=True, mileage={"limit": 5_000, "repeat_interval": 5_000}
    )
    services.task_attach(task=task, files=[services.file_upload(org=van.org, upload=pdf())])
    for url in (f"/vehicles/{van.pk}/tasks/", f"/tasks/{task.pk}/", f"/tasks/{task.pk}/edit/"):
        html = advisor_client.get(url).content.decode()
        main = html[html.index("<main") : html.index("</main>")]
        assert not EMOJI.findall(main.replace("← ", "")), url
        assert '<svg class="icon" aria-hidden="true"' in main, url
        assert "invoice.pdf" in main
    listed = _text(advisor_client.get(f"/vehicles/{van.pk}/tasks/").content.decode())
    assert "repeats" in listed


def test_the_task_pages_name_themselves_once(advisor_client, van):
    task = create(van, "Oil change")
    for url in (
        f"/tasks/{task.pk}/edit/",
        f"/tasks/{task.pk}/done/",
        f"/tasks/new/?vehicle={van.pk}",
    ):
        html = advisor_client.get(url).content.decode()
        headings = re.findall(r"<h[12][^>]*>(.*?)</h[12]>", html)
        assert len(headings) == len(set(headings)), (url, headings)
        assert 'id="task-dialog-title"' not in html
        # In a list's dialog the form names itself.
        dialog = advisor_client.get(url, **HTMX).content.decode()
        assert 'id="task-dialog-title"' in dialog or "/done/" in url, url
    edit = advisor_client.get(f"/tasks/{task.pk}/edit/").content.decode()
    assert edit.count("Edit “Oil change”") == 1  # the page's h1, not again above the form
    detail = _text(advisor_client.get(f"/tasks/{task.pk}/").content.decode())
    assert "Not done yet. Added" in detail


def test_the_wear_bars_name_their_meter_in_words(advisor_client, van):
    create(van, "Oil change")
    html = _results(advisor_client.get(f"/vehicles/{van.pk}/tasks/").content.decode())
    assert 'aria-label="Distance used"' in html and 'title="Distance: ' in html
    assert '<span class="wear-kind">km</span>' in html
    assert "mileage used" not in html and "engine_hours" not in html
