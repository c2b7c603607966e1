"""The vehicle record's History tab: one timeline of what happened to a vehicle, newest
first, a page at a time, for that vehicle only, at a cost that does not grow with it."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fleetmaint.contracts import services as contracts
from fleetmaint.tasks import services as tasks
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Reading
from tests.reports.history_support import garage, order
from tests.reports.record_support import (
    PDF,
    at,
    contract,
    count_queries,
    reading,
    serviced,
    story,
    task_done,
)

pytestmark = pytest.mark.usefixtures("clock", "media")

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "history"}
ENTRY = re.compile(r'<tr class="tl-entry kind-(\w+)[^"]*" id="\w+-(\d+)"')


def url(vehicle, query: str = "") -> str:
    return f"/vehicles/{vehicle.pk}/history/{query}"


def entries(response) -> list[tuple[str, int]]:
    """(kind, id) of the timeline's lines, in the order shown."""
    return [(kind, int(pk)) for kind, pk in ENTRY.findall(response.content.decode())]


@pytest.fixture
def told(clock, vehicle, advisor):
    return story(clock, vehicle, advisor)


def test_it_tells_the_whole_story_newest_first(advisor_client, vehicle, told):
    response = advisor_client.get(url(vehicle))

    assert response.status_code == 200
    kinds = [kind for kind, _ in entries(response)]
    # The readings the work recorded are on the work's own lines, not twice.
    assert kinds == [
        "task",
        "service",
        "order",
        "reading",
        "contract_cancel",
        "reading",
        "reading",
        "contract_start",
        "contract_start",
    ]
    html = response.content.decode()
    for text in [
        "Bleed the brakes",
        "by Quick Lube",
        "Fluid was dark.",
        "recorded by bob",
        "13,500 km",
        "45.50 EUR",
        "Oil change",
        "by Depot North",
        "80.00 EUR",
        "Tire rotation",
        "Brake pads",
        "260.50 EUR",
        "Extended warranty W-9",
        "Sold with the old trailer",
        "Typed 19 for 10",
        "Service plan SP-1",
    ]:
        assert text in html, text


def test_attachments_are_links_to_their_files(advisor_client, vehicle, told):
    html = advisor_client.get(url(vehicle)).content.decode()
    brakes, plan = told["brakes"], told["plan"]
    invoice = brakes.files.get()
    terms = plan.documents.get()
    assert f'href="/tasks/{brakes.pk}/files/{invoice.pk}/">invoice.pdf</a>' in html
    assert (
        f'href="/vehicles/{vehicle.pk}/contracts/{plan.pk}/documents/{terms.pk}/">terms.pdf</a>'
        in html
    )
    assert advisor_client.get(f"/tasks/{brakes.pk}/files/{invoice.pk}/").status_code == 200


def test_a_voided_reading_and_a_correction_say_so(advisor_client, vehicle, told, clock):
    reading(clock, vehicle, 500, at(6, 1), is_correction=True, note="New cluster fitted")
    html = advisor_client.get(url(vehicle, "?kind=readings")).content.decode()
    wrong = told["wrong"]
    line = html[html.index(f'id="reading-{wrong.pk}"') :]
    line = line[: line.index("</tr>")]
    assert "voided" in line and "Typed 19 for 10" in line and "kind-reading voided" in html
    assert "correction" in html and "New cluster fitted" in html


def test_a_reopened_completion_stays_marked(advisor_client, vehicle, told):
    tasks.task_reopen(task=told["brakes"])
    html = advisor_client.get(url(vehicle, "?kind=work")).content.decode()
    assert "reopened 2030-06-15" in html
    assert 'class="tl-entry kind-task reopened"' in html


def test_the_kind_filter_shows_one_kind_and_keeps_it_in_the_links(advisor_client, vehicle, told):
    work = advisor_client.get(url(vehicle, "?kind=work"))
    assert [kind for kind, _ in entries(work)] == ["task", "service"]
    orders = advisor_client.get(url(vehicle, "?kind=orders"))
    assert entries(orders) == [("order", told["order"].pk)]
    events = advisor_client.get(url(vehicle, "?kind=contracts"))
    assert [kind for kind, _ in entries(events)] == [
        "contract_cancel",
        "contract_start",
        "contract_start",
    ]
    # All five readings, the two the work recorded included.
    readings = advisor_client.get(url(vehicle, "?kind=readings"))
    assert [kind for kind, _ in entries(readings)] == ["reading"] * 5
    assert 'aria-current="true">Readings</a>' in readings.content.decode()
    # An unknown kind shows everything.
    assert len(entries(advisor_client.get(url(vehicle, "?kind=nope")))) == 9


def test_money_is_shown_only_where_there_is_some(advisor_client, vehicle, clock):
    reading(clock, vehicle, 10_000, at(4, 1))
    task_done(clock, vehicle, "Check the lights", on=at(5, 1), cost=Decimal("0"))
    html = advisor_client.get(url(vehicle)).content.decode()
    assert "Check the lights" in html
    assert "0.00 EUR" not in html and "EUR" not in html.split('id="history"')[1]


def test_only_this_vehicles_story_is_told(advisor_client, org, vehicle, told, clock):
    truck = vehicles.vehicle_create(org=org, label="Truck", vehicle_key="TRK")
    reading(clock, truck, 50_000, at(5, 25))
    task_done(clock, truck, "Truck tyres", on=at(5, 26), cost=Decimal("900"))
    contract(truck, "T-1")
    order(clock, truck, told["order"].servicer, "oil-change", on=at(5, 27))

    html = advisor_client.get(url(vehicle)).content.decode()
    assert "Truck tyres" not in html and "50,000 km" not in html and "T-1" not in html
    assert len(entries(advisor_client.get(url(vehicle)))) == 9
    assert len(entries(advisor_client.get(url(truck)))) == 4


def test_another_fleet_gets_not_found_and_a_viewer_reads(
    outsider_client, viewer_client, vehicle, told
):
    assert outsider_client.get(url(vehicle)).status_code == 404
    response = viewer_client.get(url(vehicle))
    assert response.status_code == 200
    assert len(entries(response)) == 9


def test_it_pages_in_place_with_the_page_in_the_url(advisor_client, vehicle, clock):
    for n in range(45):
        Reading.objects.create(
            org=vehicle.org,
            vehicle=vehicle,
            odometer=1_000 + n,
            recorded_at=at(1, 1) + timedelta(days=n),
        )
    first = advisor_client.get(url(vehicle))
    assert len(entries(first)) == 20
    assert "1\u201320 of 45" in first.content.decode()
    assert 'href="?page=2" hx-get="?page=2" hx-target="#history"' in first.content.decode()

    second = advisor_client.get(url(vehicle, "?kind=readings&page=2"), **HTMX)
    html = second.content.decode()
    assert "<html" not in html and html.lstrip().startswith("<section")
    assert "21\u201340 of 45" in html
    assert 'href="?kind=readings&page=3"' in html and 'hx-push-url="true"' in html
    odometers = [int(m.replace(",", "")) for m in re.findall(r'"value">([\d,]+) km', html)]
    assert odometers == list(range(1_024, 1_004, -1))  # newest first: 1,044 was on page one

    last = advisor_client.get(url(vehicle, "?page=99"))
    assert len(entries(last)) == 5 and "41\u201345 of 45" in last.content.decode()


def test_the_printable_record_shows_everything_without_a_pager(advisor_client, vehicle, told):
    for n in range(30):
        vehicles.reading_record(
            vehicle=vehicle, odometer=14_000 + n, recorded_at=at(6, 1, 0) + timedelta(hours=n)
        )
    html = advisor_client.get(url(vehicle, "?print=1")).content.decode()
    assert len(ENTRY.findall(html)) == 39
    assert 'class="pager"' not in html and "data-print" in html and "Service record" in html


def _grow(clock, vehicle, org, start: int, count: int) -> None:
    """``count`` more of every kind of entry, each with its relations (files, items,
    documents) that a line shows."""
    shop = garage(org) if start == 0 else None
    servicer = shop or vehicle.orders.first().servicer
    for n in range(start, start + count):
        day = at(1, 2) + timedelta(days=10 * n)
        reading(clock, vehicle, 10_500 + n * 500, day)
        done = task_done(clock, vehicle, f"Task {n}", on=day.replace(hour=12), cost=Decimal("10"))
        stored = tasks.file_upload(
            org=org, upload=SimpleUploadedFile(f"f{n}.pdf", PDF, "application/pdf")
        )
        tasks.task_attach(task=done, files=[stored])
        serviced(clock, vehicle, f"Service {n}", on=day.replace(hour=13), cost=Decimal("5"))
        order(clock, vehicle, servicer, "oil-change", "brake-pads", on=day.replace(hour=14))
        plan = contract(vehicle, f"C-{n}", start_date=f"{day:%Y-%m-%d}")
        contracts.document_attach(
            contract=plan, upload=SimpleUploadedFile(f"d{n}.pdf", PDF, "application/pdf")
        )


def test_a_page_costs_the_same_however_long_the_story(advisor_client, org, vehicle, clock):
    vehicles.reading_record(vehicle=vehicle, odometer=10_000, recorded_at=at(1, 1, 0))
    _grow(clock, vehicle, org, 0, 1)
    few = count_queries(advisor_client, url(vehicle))
    few_htmx = count_queries(advisor_client, url(vehicle, "?page=1"), **HTMX)
    _grow(clock, vehicle, org, 1, 5)
    many = count_queries(advisor_client, url(vehicle))
    many_htmx = count_queries(advisor_client, url(vehicle, "?page=1"), **HTMX)

    assert len(entries(advisor_client.get(url(vehicle)))) == 20
    assert many == few and many_htmx == few_htmx
    # Session, user, membership, vehicle, the unread badge, what is coming, the count,
    # the keys, and each kind's rows with its relations (files, items, documents).
    assert many <= 16
