"""The Due page does not let an advisor tick work a pending quote or an open order holds.

Its box is disabled, says why in its title and points to the row's "on quote N" or
"on order N" marker; the other boxes stay enabled. A request that ticks held work
anyway (an old tab, a crafted form) is still refused with a link to its holder.

Uses the fleet of ``conftest.py``: the van at 10,000 km with its preset schedule.
"""

import re
from datetime import timedelta

import pytest

from fleetmaint.orders import quotes
from fleetmaint.orders.models import Quote
from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.models import ServiceTask, Status
from fleetmaint.tasks.services import Conditions, TaskInput
from tests.orders.conftest import HTMX, NOW

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def brakes(van) -> ServiceTask:
    """A task due soon, so listed under "Tasks due"."""
    soon = Conditions(date={"end": NOW + timedelta(days=3), "notification_interval": 7})
    task = tasks.task_create(
        vehicle=van, data=TaskInput(description="Check brakes", conditions=soon)
    )
    assert task.status == Status.NOTIFIED
    return task


def boxes(html: str, name: str) -> dict[int, str]:
    """Each tick box of ``name`` ("interval" or "task"), by the id it sends."""
    found = re.findall(rf'<input type="checkbox" name="{name}" value="(\d+)"([^>]*)>', html)
    return {int(pk): attributes for pk, attributes in found}


def test_held_work_cannot_be_ticked_and_the_rest_can(
    advisor_client, make_quote, schedule, oil, washer, brakes
):
    quote = make_quote(chosen_intervals=(oil,), chosen_tasks=(brakes,))
    order = quotes.quote_accept(quote=make_quote(chosen_intervals=(washer,)))

    html = advisor_client.get("/due/").content.decode()

    intervals = boxes(html, "interval")
    assert set(intervals) == {i.pk for i in schedule.values()} | {washer.pk}
    held = {oil.pk: f"quote {quote.pk}", washer.pk: f"order {order.pk}"}
    for pk, attributes in intervals.items():
        if pk in held:
            assert " disabled" in attributes
            assert f'aria-describedby="held-interval-{pk}"' in attributes
            assert f'title="Already on {held[pk]}: a new quote for it is refused"' in attributes
        else:
            assert "disabled" not in attributes and "aria-describedby" not in attributes
    # Each disabled box points to the marker that links to the quote or order.
    assert re.search(
        rf'<span id="held-interval-{oil.pk}"><a class="badge info on-work" '
        rf'href="/quotes/{quote.pk}/"[^>]*>on quote {quote.pk}</a>\s*</span>',
        html,
    )
    assert f'<span id="held-interval-{washer.pk}"><a class="badge info on-work" ' in html
    # The task due soon is on the quote too.
    [task_box] = boxes(html, "task").values()
    assert " disabled" in task_box and f'aria-describedby="held-task-{brakes.pk}"' in task_box
    assert f'<span id="held-task-{brakes.pk}">' in html


def test_free_work_is_ticked_as_before(advisor_client, schedule, brakes):
    html = advisor_client.get("/due/", **HTMX).content.decode()
    assert 'id="held-' not in html
    assert not any("disabled" in a for a in boxes(html, "interval").values())
    assert "disabled" not in boxes(html, "task")[brakes.pk]


def test_held_work_sent_anyway_is_still_refused_with_a_link(
    advisor_client, make_quote, garage, oil
):
    quote = make_quote(chosen_intervals=(oil,))
    posted = advisor_client.post(
        "/quotes/new/",
        {"interval": oil.pk, "servicer": garage.pk, "type": "scheduled_maintenance"},
    )
    assert posted.status_code == 422
    text = posted.content.decode()
    assert f"Oil Change is already on quote {quote.pk}" in text
    assert f'<a href="/quotes/{quote.pk}/">Open quote {quote.pk}</a>' in text
    assert Quote.objects.count() == 1


def test_a_viewer_is_offered_no_boxes_at_all(viewer_client, make_quote, oil):
    make_quote(chosen_intervals=(oil,))
    html = viewer_client.get("/due/").content.decode()
    assert 'type="checkbox"' not in html
    assert f'id="held-interval-{oil.pk}"' in html  # the marker still says where it is
