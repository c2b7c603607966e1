"""A service advisor meets the rules new tasks, intervals and completions follow, in a real
browser: what cannot be meant is refused on the form with the reason, nothing is saved,
and what is meant (a date already passed, confirmed; a biennial check) is taken.

Time stands still at ``NOW`` (12:00 in Berlin, where the fleet is) so that every date in
the messages is known; the day counts move it with time-machine, never by waiting.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.inputs import Conditions, TaskInput
from fleetmaint.tasks.models import ServiceTask, Status, TaskCompletion
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.browser.conftest import login, screenshot
from tests.clock import NOW

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("media")]

NARROW = {"width": 320, "height": 720}
DESKTOP = {"width": 1280, "height": 900}

TODAY = "2030-06-15"
TWO_WEEKS_AGO = "2030-06-01"
# The van's last reading, taken half an hour after midnight in Berlin (still the 11th in
# UTC): every message names the fleet's day.
LAST_READ = datetime(2030, 6, 11, 22, 30, tzinfo=UTC)
READ_ON = "2030-06-12"

REMINDER_ERROR = (
    "The reminder must come before the limit: a reminder 6,000 before a limit of 5,000 "
    "would make the task due soon the moment it starts. Give a reminder smaller than 5,000, "
    "or none."
)
TASK_PAST_ERROR = (
    f"The end date {TWO_WEEKS_AGO} is in the past. If the work is already overdue, "
    "confirm it (already overdue) and the task starts expired."
)
INTERVAL_PAST_ERROR = (
    "The due date is in the past. If the service is already overdue, confirm it "
    "(already overdue) and it is added as required now."
)
BELOW_ODOMETER_ERROR = (
    "The mileage cannot be below the vehicle's current odometer: Transit 4 is at 11,000 km "
    f"(read on {READ_ON}). Give 11,000 or more."
)
HORIZON_ERROR = "The due date must be within ten years from today, by 2040-06-15 at the latest."
GOES_DOWN_ERROR = (
    f"The odometer cannot go down: the previous reading was 11,000 km on {READ_ON}. "
    "If the meter was replaced or rolled over, record a correction."
)
JUMP_QUESTION = (
    "That is 4,000 km more than the previous reading, over 1,500 km a day. "
    "Check the value, and confirm it if it is right."
)


def _within_screen(page: Page, selector: str) -> bool:
    """The element ends before the right edge of the window."""
    return page.evaluate(
        "s => document.querySelector(s).getBoundingClientRect().right"
        " <= document.documentElement.clientWidth",
        selector,
    )


def _field(scope, field_id: str):
    """The form's field wrapper (label, input, help and errors) around one input."""
    return scope.locator(".field", has=scope.page.locator(f"#{field_id}"))


@pytest.fixture
def van(org, clock) -> Vehicle:
    """At 11,000 km, read in the night three days ago; 1,000 km driven over the month before."""
    van = vehicles.vehicle_create(org=org, label="Transit 4", vehicle_key="TR-4", make="Ford")
    vehicles.reading_record(vehicle=van, odometer=10_000, recorded_at=NOW - timedelta(days=33))
    vehicles.reading_record(vehicle=van, odometer=11_000, recorded_at=LAST_READ)
    van.refresh_from_db()
    assert van.odometer == 11_000
    return van


def _open_task_dialog(page: Page, live_server, van: Vehicle):
    page.goto(f"{live_server.url}/vehicles/{van.pk}/tasks/")
    page.get_by_role("link", name="+ New task").click()
    expect(page.locator("dialog#task-dialog[open]")).to_be_visible()
    return page.locator("dialog#task-dialog")


def _add_form(page: Page):
    return page.locator("form", has=page.get_by_role("button", name="Add interval"))


def _schedule(page: Page, live_server, van: Vehicle) -> None:
    page.goto(f"{live_server.url}/vehicles/{van.pk}/schedule/")
    expect(_add_form(page)).to_be_visible()


def test_a_reminder_as_long_as_its_limit_is_refused_and_nothing_is_saved(
    page: Page, live_server, advisor, van
):
    page.set_viewport_size(DESKTOP)
    login(page, live_server, "bob")
    dialog = _open_task_dialog(page, live_server, van)
    dialog.get_by_label("Description").fill("Oil change")
    dialog.get_by_label("Distance limit").fill("5000")
    dialog.get_by_label("Remind before (distance)").fill("6000")
    dialog.get_by_role("button", name="Create task").click()

    reminder = _field(dialog, "id_mileage_notify")
    expect(reminder).to_have_class(re.compile(r"\bhas-error\b"))
    expect(reminder.get_by_role("alert")).to_have_text(REMINDER_ERROR)
    expect(page.locator("dialog#task-dialog[open]")).to_be_visible()
    expect(dialog.get_by_label("Remind before (distance)")).to_have_value("6000")
    assert ServiceTask.objects.filter(vehicle=van).count() == 0
    screenshot(page, "input-rules-reminder-refused")

    # The form came back with the focus in the refused field.
    expect(dialog.get_by_label("Remind before (distance)")).to_be_focused()

    # On a phone the refusal is brought into view, whole, within the screen.
    page.set_viewport_size(NARROW)
    dialog.get_by_role("button", name="Create task").click()
    expect(reminder.get_by_role("alert")).to_have_text(REMINDER_ERROR)
    expect(reminder.get_by_role("alert")).to_be_in_viewport(ratio=1)
    screenshot(page, "input-rules-reminder-refused-320")
    assert _within_screen(page, "dialog#task-dialog")
    assert _within_screen(page, ".topbar .userbox")  # "Sign out" is not pushed off screen

    # A reminder shorter than the limit is what was meant: the task is saved.
    page.set_viewport_size(DESKTOP)
    dialog.get_by_label("Remind before (distance)").fill("500")
    dialog.get_by_role("button", name="Create task").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#live-notice")).to_have_text("Created “Oil change”.")
    task = ServiceTask.objects.get(vehicle=van)
    assert (task.mileage_limit, task.mileage_notify) == (5_000, 500)


def test_a_task_dated_in_the_past_is_saved_only_when_confirmed_as_already_overdue(
    page: Page, live_server, advisor, van
):
    login(page, live_server, "bob")
    dialog = _open_task_dialog(page, live_server, van)
    dialog.get_by_label("Description").fill("Annual inspection")
    dialog.get_by_label("End date").fill(TWO_WEEKS_AGO)
    dialog.get_by_role("button", name="Create task").click()

    end = _field(dialog, "id_date_end")
    expect(end).to_have_class(re.compile(r"\bhas-error\b"))
    expect(end.get_by_role("alert")).to_have_text(TASK_PAST_ERROR)
    expect(dialog.get_by_label("Already overdue")).not_to_be_checked()
    assert not ServiceTask.objects.filter(vehicle=van).exists()
    screenshot(page, "input-rules-task-past-refused")

    dialog.get_by_label("Already overdue").check()
    dialog.get_by_role("button", name="Create task").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#live-notice")).to_have_text("Created “Annual inspection”.")
    task = ServiceTask.objects.get(vehicle=van)
    assert task.status == Status.EXPIRED
    row = page.locator(f"#task-{task.pk}")
    expect(row.locator(".badge.danger")).to_have_text("overdue")
    expect(row).to_contain_text("by date")
    screenshot(page, "input-rules-task-already-overdue")


def test_an_interval_dated_in_the_past_is_added_only_when_confirmed_as_already_overdue(
    page: Page, live_server, advisor, van
):
    login(page, live_server, "bob")
    _schedule(page, live_server, van)
    form = _add_form(page)
    form.get_by_label("Name").fill("Annual inspection")
    form.get_by_label("Due on").fill(TWO_WEEKS_AGO)
    form.get_by_role("button", name="Add interval").click()

    due_on = _field(_add_form(page), "id_date")
    expect(due_on).to_have_class(re.compile(r"\bhas-error\b"))
    expect(due_on.get_by_role("alert")).to_have_text(INTERVAL_PAST_ERROR)
    assert not ServiceInterval.objects.filter(vehicle=van).exists()
    screenshot(page, "input-rules-interval-past-refused")

    form = _add_form(page)
    expect(form.get_by_label("Name")).to_have_value("Annual inspection")
    form.get_by_label("Already overdue").check()
    form.get_by_role("button", name="Add interval").click()
    expect(page.locator("#schedule-notice")).to_have_text("Added Annual inspection.")
    interval = ServiceInterval.objects.get(vehicle=van)
    row = page.locator(f"#interval-{interval.pk}")
    expect(row).to_have_class(re.compile(r"\bstate-required\b"))
    expect(row.locator(".badge.danger")).to_have_text("required")
    expect(row).to_contain_text(f"on {TWO_WEEKS_AGO}")
    expect(row).to_contain_text("14 days overdue")


def test_the_schedule_refuses_a_mileage_passed_and_a_date_past_ten_years_but_takes_a_biennial(
    page: Page, live_server, advisor, van
):
    login(page, live_server, "bob")
    _schedule(page, live_server, van)

    # A mileage the van has passed: the message names its odometer and when it was read.
    form = _add_form(page)
    form.get_by_label("Name").fill("Brake inspection")
    form.get_by_label("Due at odometer").fill("10500")
    form.get_by_role("button", name="Add interval").click()
    odometer = _field(_add_form(page), "id_odometer")
    expect(odometer.get_by_role("alert")).to_have_text(BELOW_ODOMETER_ERROR)
    assert not ServiceInterval.objects.filter(vehicle=van).exists()
    screenshot(page, "input-rules-interval-below-odometer")

    # A day past the ten-year horizon.
    form = _add_form(page)
    form.get_by_label("Name").fill("Registration renewal")
    form.get_by_label("Due at odometer").fill("")
    form.get_by_label("Due on").fill("2040-06-16")
    form.get_by_role("button", name="Add interval").click()
    due_on = _field(_add_form(page), "id_date")
    expect(due_on.get_by_role("alert")).to_have_text(HORIZON_ERROR)
    expect(_add_form(page).get_by_role("alert")).to_have_count(1)  # the mileage error is gone
    assert not ServiceInterval.objects.filter(vehicle=van).exists()

    # Every two years is well within it.
    form = _add_form(page)
    form.get_by_label("Due on").fill("2032-06-15")
    form.get_by_role("button", name="Add interval").click()
    expect(page.locator("#schedule-notice")).to_have_text("Added Registration renewal.")
    renewal = ServiceInterval.objects.get(vehicle=van)
    row = page.locator(f"#interval-{renewal.pk}")
    expect(row.locator(".badge.ok")).to_have_text("on track")
    expect(row).to_contain_text("on 2032-06-15")
    expect(row).to_contain_text("731 days left")  # 2032 is a leap year
    screenshot(page, "input-rules-biennial-accepted")


@pytest.fixture
def oil(van) -> ServiceTask:
    return tasks.task_create(
        vehicle=van,
        data=TaskInput(
            description="Oil change", cost="120", conditions=Conditions(mileage={"limit": 5_000})
        ),
    )


def test_marking_done_refuses_an_odometer_gone_down_asks_about_a_jump_and_records_the_rest(
    page: Page, live_server, advisor, van, oil
):
    page.set_viewport_size(DESKTOP)
    login(page, live_server, "bob")
    page.goto(f"{live_server.url}/vehicles/{van.pk}/tasks/")
    row = page.locator(f"#task-{oil.pk}")
    dialog = page.locator("dialog#task-dialog")

    # 1. Below the van's odometer: refused, naming the reading and its day.
    row.get_by_text("Actions", exact=True).click()
    row.get_by_label("Done on").fill("2030-06-14")
    row.get_by_label("Odometer").fill("10900")
    row.get_by_label("Cost").fill("95.40")
    row.get_by_label("Done by").fill("Quick Lube")
    row.get_by_label("Notes").fill("Filter changed too.")
    row.get_by_role("button", name="Mark done").click()
    expect(page.locator("dialog#task-dialog[open]")).to_be_visible()
    odometer = _field(dialog, "id_odometer")
    expect(odometer).to_have_class(re.compile(r"\bhas-error\b"))
    expect(odometer.get_by_role("alert")).to_have_text(GOES_DOWN_ERROR)
    expect(dialog.get_by_label("Notes")).to_have_value("Filter changed too.")
    expect(dialog.get_by_label("The meter values are right")).to_have_count(0)
    screenshot(page, "input-rules-done-odometer-down")
    assert not TaskCompletion.objects.filter(task=oil).exists()
    oil.refresh_from_db()
    assert oil.status != Status.DONE

    # 2. 4,000 km in a day and a half: asked to confirm, still nothing recorded.
    dialog.get_by_label("Odometer").fill("15000")
    dialog.get_by_role("button", name="Mark done").click()
    odometer = _field(dialog, "id_odometer")
    expect(odometer.get_by_role("alert")).to_have_text(JUMP_QUESTION)
    confirm = dialog.get_by_label("The meter values are right although they jumped far")
    expect(confirm).to_be_visible()
    expect(confirm).not_to_be_checked()
    screenshot(page, "input-rules-done-jump-question")
    assert not TaskCompletion.objects.filter(task=oil).exists()
    van.refresh_from_db()
    assert van.odometer == 11_000

    # 3. Confirmed: recorded, with the date, the odometer, the cost and the notes.
    confirm.check()
    dialog.get_by_role("button", name="Mark done").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#live-notice")).to_have_text("“Oil change” is done.")
    completion = TaskCompletion.objects.get(task=oil)
    assert (completion.odometer, str(completion.cost), completion.notes) == (
        15_000,
        "95.40",
        "Filter changed too.",
    )
    van.refresh_from_db()
    assert van.odometer == 15_000

    page.get_by_role("navigation", name="Vehicle sections").get_by_role(
        "link", name="History"
    ).click()
    work = page.locator("#work-history tbody tr").first
    expect(work).to_contain_text("2030-06-14")
    expect(work).to_contain_text("Oil change")
    expect(work).to_contain_text("15,000 km")
    expect(work).to_contain_text("95.40 EUR")
    expect(work).to_contain_text("Quick Lube")
    expect(work).to_contain_text("Filter changed too.")
    screenshot(page, "input-rules-done-history")


def test_day_counts_follow_the_fleets_calendar_days(page: Page, live_server, advisor, van, clock):
    login(page, live_server, "bob")
    _schedule(page, live_server, van)
    for name, day in (("Wiper check", TODAY), ("Tyre check", "2030-06-29")):
        form = _add_form(page)
        form.get_by_label("Name").fill(name)
        form.get_by_label("Due on").fill(day)
        form.get_by_role("button", name="Add interval").click()
        expect(page.locator("#schedule-notice")).to_have_text(f"Added {name}.")
    wiper = page.locator("tr.interval-row", has_text="Wiper check").locator("td").nth(2)
    tyre = page.locator("tr.interval-row", has_text="Tyre check").locator("td").nth(2)
    expect(wiper.locator(".muted.small").first).to_have_text("today")
    expect(tyre.locator(".muted.small").first).to_have_text("14 days left")
    screenshot(page, "input-rules-day-counts")

    # A minute before midnight in Berlin it is still today; a minute after, a day late.
    clock.move_to(datetime(2030, 6, 15, 21, 59, tzinfo=UTC))
    page.reload()
    expect(wiper.locator(".muted.small").first).to_have_text("today")
    expect(tyre.locator(".muted.small").first).to_have_text("14 days left")
    clock.move_to(datetime(2030, 6, 15, 22, 1, tzinfo=UTC))
    page.reload()
    expect(wiper.locator(".muted.small").first).to_have_text("1 day overdue")
    expect(tyre.locator(".muted.small").first).to_have_text("13 days left")
