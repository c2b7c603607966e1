"""The search in the header: what it finds, for whom, and what it costs."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fleetmaint.contracts.models import VehicleContract
from fleetmaint.orders.models import OrderItem, Partnership, ServiceOrder, Servicer
from fleetmaint.search import queries
from fleetmaint.search.queries import clean_term, search
from fleetmaint.tasks.models import ServiceTask, Status
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.search import rows

pytestmark = pytest.mark.django_db

SUGGEST = {"HX-Request": "true", "HX-Target": "search-suggestions"}
PAGE_FRAGMENT = {"HX-Request": "true", "HX-Target": "search-results"}


@pytest.fixture
def van(org):
    return vehicles.vehicle_create(
        org=org,
        label="Sprinter Blue",
        vehicle_key="FLEET-0042",
        plate="B-XY 4711",
        vin="WDB9066331S123456",
    )


@pytest.fixture
def servicer(org):
    made = Servicer.objects.create(name="Quick Fix", service_types=["repair_depot"])
    Partnership.objects.create(org=org, servicer=made)
    return made


def _titles(results, kind: str) -> list[str]:
    return [hit.title for group in results.groups if group.kind == kind for hit in group.hits]


def _page(client, text: str, headers: dict | None = None, **more):
    return client.get(reverse("search:page"), {"q": text, **more}, headers=headers or {})


# --- what it finds -----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["sprinter", "BLUE", "fleet-00", "xy 47", "9066331s12"])
def test_it_finds_a_vehicle_by_label_key_plate_and_vin(org, van, text):
    assert _titles(search(org, clean_term(text)), "vehicles") == ["Sprinter Blue"]


def test_an_exact_key_comes_before_labels_that_merely_contain_it(org):
    for label, key in (("A van with V-7 in its name", "V-70"), ("Zebra", "V-7")):
        vehicles.vehicle_create(org=org, label=label, vehicle_key=key)
    assert _titles(search(org, clean_term("v-7")), "vehicles")[0] == "Zebra"


@pytest.mark.parametrize("text", ["clutch", "squeaks"])
def test_it_finds_a_task_by_description_and_comment(org, van, text):
    rows.task(van, description="Replace clutch", comment="Driver says it squeaks")
    rows.task(van, description="Something else")
    assert _titles(search(org, clean_term(text)), "tasks") == ["Replace clutch"]


def test_open_tasks_come_before_done_ones(org, van):
    rows.task(van, description="Brake pads front", status=Status.DONE)
    rows.task(van, description="Brake pads rear")
    assert _titles(search(org, clean_term("brake pads")), "tasks") == [
        "Brake pads rear",
        "Brake pads front",
    ]


@pytest.mark.parametrize("form", ["{pk}", "#{pk}", "Order {pk}", "order #{pk}"])
def test_it_finds_an_order_by_its_number(org, van, servicer, form):
    wanted = rows.order(van, servicer)
    rows.order(van, servicer)
    text = form.format(pk=wanted.pk)
    assert _titles(search(org, clean_term(text)), "orders") == [f"Order {wanted.pk}"]


def test_it_finds_an_order_by_its_status_note_and_its_items(org, van, servicer):
    noted = rows.order(van, servicer, reason="Waiting for the windscreen")
    itemized = rows.order(van, servicer, items=("Timing belt kit",))
    rows.order(van, servicer, reason="Nothing to see")
    assert _titles(search(org, clean_term("windscreen")), "orders") == [f"Order {noted.pk}"]
    assert _titles(search(org, clean_term("timing belt")), "orders") == [f"Order {itemized.pk}"]


@pytest.mark.parametrize("text", ["SP-2030", "roadcare"])
def test_it_finds_a_contract_by_number_and_provider(org, van, text):
    rows.contract(van, number="SP-2030-7", provider="RoadCare GmbH")
    rows.contract(van, number="W-1", provider="Other")
    found = search(org, clean_term(text))
    assert _titles(found, "contracts") == ["Service plan SP-2030-7"]


def test_each_hit_links_to_its_page(org, van, servicer):
    task = rows.task(van, description="Sprinter wipers")
    made = rows.contract(van, number="Sprinter-C")
    order = rows.order(van, servicer, reason="Sprinter in the bay")
    found = {g.kind: g.hits[0].url for g in search(org, clean_term("sprinter")).groups}
    assert found == {
        "vehicles": reverse("vehicles:detail", args=[van.pk]),
        "tasks": reverse("tasks:detail", args=[task.pk]),
        "orders": reverse("orders:detail", args=[order.pk]),
        "contracts": reverse("contracts:vehicle", args=[van.pk]) + f"#contract-{made.pk}",
    }


def test_short_text_looks_for_vehicles_and_order_numbers_but_not_task_text(org, van, servicer):
    rows.task(van, description="Check 42 bolts")
    wanted = rows.order(van, servicer)
    found = search(org, clean_term(str(wanted.pk)))
    assert _titles(found, "tasks") == []
    assert _titles(found, "orders") == [f"Order {wanted.pk}"]
    assert _titles(search(org, clean_term("42")), "vehicles") == ["Sprinter Blue"]


def test_text_never_runs_from_one_field_into_the_next(org):
    vehicles.vehicle_create(org=org, label="Van", vehicle_key="X1", plate="PL 1")
    assert _titles(search(org, clean_term("van x1")), "vehicles") == []
    assert _titles(search(org, clean_term("anx")), "vehicles") == []
    assert _titles(search(org, clean_term("x1")), "vehicles") == ["Van"]


# --- whose rows --------------------------------------------------------------------------


def test_another_fleets_rows_never_appear(org, other_org, van, servicer, advisor_client):
    theirs = vehicles.vehicle_create(
        org=other_org,
        label="Sprinter Red",
        vehicle_key="FLEET-9",
        plate="B-XY 9",
        vin="WDB9066331S999999",
    )
    rows.task(theirs, description="Sprinter service", comment="fleet-0042")
    rows.contract(theirs, number="Sprinter-X", provider="Sprinter Care")
    Partnership.objects.create(org=other_org, servicer=servicer)
    their_order = rows.order(theirs, servicer, reason="Sprinter", items=("Sprinter part",))

    for text in ("sprinter", "fleet-0", "wdb9", "b-xy", str(their_order.pk)):
        found = search(org, clean_term(text))
        everything = [hit.title for group in found.groups for hit in group.hits]
        assert "Sprinter Red" not in everything
        assert "Sprinter service" not in everything
        assert f"Order {their_order.pk}" not in everything
        assert "Service plan Sprinter-X" not in everything

    html = _page(advisor_client, "sprinter").content.decode()
    assert "Sprinter Blue" in html
    assert "Sprinter Red" not in html


def test_it_is_for_members_only(client, outsider_client, van):
    response = client.get(reverse("search:page"), {"q": "sprinter"})
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    assert "Sprinter Blue" not in _page(outsider_client, "sprinter").content.decode()


def test_a_viewer_may_search(viewer_client, van):
    assert "Sprinter Blue" in _page(viewer_client, "sprinter").content.decode()


# --- the page and the suggestions ------------------------------------------------------------


def test_the_page_groups_results_by_kind_and_keeps_the_query_in_the_address(
    advisor_client, van, servicer
):
    rows.task(van, description="Sprinter wipers")
    response = _page(advisor_client, "sprinter")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="sprinter"' in html
    for heading in ("Vehicles", "Tasks", "Orders", "Contracts"):
        assert f">{heading}</h2>" in html
    assert "No orders match “sprinter”." in html


def test_each_kind_is_capped_with_a_link_to_the_rest(org, advisor_client):
    for number in range(queries.PER_KIND + 2):
        vehicles.vehicle_create(org=org, label=f"Crafter {number:02}", vehicle_key=f"C-{number}")
    found = search(org, clean_term("crafter"))
    [group] = [group for group in found.groups if group.kind == "vehicles"]
    assert len(group.hits) == queries.PER_KIND
    assert group.has_more
    assert group.more_url == reverse("vehicles:list") + "?q=crafter"
    html = _page(advisor_client, "crafter").content.decode()
    assert "More vehicles matching “crafter” →" in html


def test_more_orders_open_a_search_of_orders_alone(org, van, servicer, advisor_client):
    for _ in range(queries.PER_KIND + 1):
        rows.order(van, servicer, reason="Waiting for parts")
    found = search(org, clean_term("parts"))
    [group] = [group for group in found.groups if group.kind == "orders"]
    assert group.more_url == reverse("search:page") + "?q=parts&kind=orders"
    html = _page(advisor_client, "parts", kind="orders").content.decode()
    assert html.count("Waiting for parts") == 0  # the note is matched, not shown
    assert len(re.findall(r'href="/orders/\d+/"', html)) == queries.PER_KIND + 1
    assert ">Tasks</h2>" not in html


def test_more_tasks_lead_to_the_tasks_list_of_every_status(org, van):
    group = search(org, clean_term("wipers")).groups[1]
    assert group.more_url == reverse("tasks:list") + "?q=wipers&status=all"


def test_the_header_field_gets_suggestions_only(advisor_client, van):
    response = _page(advisor_client, "sprinter", SUGGEST)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'class="suggest-panel"' in html
    assert f'href="{reverse("vehicles:detail", args=[van.pk])}" data-suggestion' in html
    assert "All results for “sprinter”" in html


def test_the_pages_own_field_gets_the_results_only(advisor_client, van):
    html = _page(advisor_client, "sprinter", PAGE_FRAGMENT).content.decode()
    assert html.lstrip().startswith('<div id="search-results"')
    assert "Sprinter Blue" in html


def test_suggestions_for_no_text_are_empty(advisor_client):
    response = _page(advisor_client, "  ", SUGGEST)
    assert response.status_code == 200
    assert response.content.decode().strip() == ""


def test_the_header_has_the_search_field(advisor_client):
    html = advisor_client.get(reverse("home")).content.decode()
    assert 'role="search"' in html
    assert f'action="{reverse("search:page")}"' in html
    assert 'hx-target="#search-suggestions"' in html


# --- text that is not quite text ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\x00", "van\x00 1", "%", "_", "'; DROP TABLE x; --", "\u202e", "x" * 5000],
)
def test_odd_text_is_answered_calmly(advisor_client, van, text):
    for headers in ({}, SUGGEST, PAGE_FRAGMENT):
        assert _page(advisor_client, text, headers).status_code == 200


def test_nul_bytes_and_control_characters_are_removed():
    assert clean_term("van\x00 1\x07").text == "van 1"
    assert clean_term("  two \t\n words  ").text == "two words"


def test_long_text_is_cut_and_the_page_says_so(advisor_client):
    term = clean_term("y" * 500)
    assert len(term.text) == queries.TERM_MAX
    assert "first 100 characters" in term.note
    assert "first 100 characters" in _page(advisor_client, "y" * 500).content.decode()


def test_wildcards_are_text(org, van):
    vehicles.vehicle_create(org=org, label="100% electric", vehicle_key="E-1")
    assert _titles(search(org, clean_term("0%")), "vehicles") == ["100% electric"]
    assert _titles(search(org, clean_term("_")), "vehicles") == []


def test_empty_text_shows_a_hint(advisor_client):
    html = _page(advisor_client, "").content.decode()
    assert "Type a vehicle's label, plate, VIN or key" in html


# --- what it costs ------------------------------------------------------------------------------


def test_a_search_costs_one_statement_per_kind_whatever_it_finds(org, van, servicer):
    with CaptureQueriesContext(connection) as nothing:
        search(org, clean_term("nothing like it"))
    for number in range(12):
        other = vehicles.vehicle_create(
            org=org, label=f"Sprinter {number}", vehicle_key=f"S{number}"
        )
        rows.task(other, description=f"Sprinter task {number}")
        rows.order(other, servicer, reason="Sprinter", items=("Sprinter part", "Sprinter bolt"))
        rows.contract(other, number=f"Sprinter-{number}")
    with CaptureQueriesContext(connection) as plenty:
        found = search(org, clean_term("sprinter"))
    assert all(len(group.hits) == queries.PER_KIND for group in found.groups)
    assert len(nothing.captured_queries) == len(plenty.captured_queries) == len(queries.KINDS)


def test_no_text_costs_nothing(org):
    with CaptureQueriesContext(connection) as captured:
        search(org, clean_term(""))
    assert captured.captured_queries == []


def test_the_page_costs_the_same_for_one_match_or_many(org, van, advisor_client):
    _page(advisor_client, "warm up the session")
    with CaptureQueriesContext(connection) as few:
        _page(advisor_client, "sprinter")
    for number in range(10):
        other = vehicles.vehicle_create(
            org=org, label=f"Sprinter {number}", vehicle_key=f"S{number}"
        )
        rows.task(other, description=f"Sprinter task {number}")
    with CaptureQueriesContext(connection) as many:
        _page(advisor_client, "sprinter")
    assert len(few.captured_queries) == len(many.captured_queries)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")
def test_postgresql_can_answer_each_text_condition_from_its_trigram_index(org):
    """The planner picks an index only when it is cheaper (never in a near-empty test
    database), so with the table scans ruled out each condition the search writes must
    find its trigram index: the index's expression and the query's are the same."""
    conditions = {
        "vehicle_text_trgm_idx": Vehicle.objects.filter(queries.vehicle_text_holds("sprinter")),
        "task_description_trgm_idx": ServiceTask.objects.filter(description__icontains="clutch"),
        "task_comment_trgm_idx": ServiceTask.objects.filter(comment__icontains="clutch"),
        "order_reason_trgm_idx": ServiceOrder.objects.filter(status_reason__icontains="belt"),
        "order_item_name_trgm_idx": OrderItem.objects.filter(name__icontains="belt"),
        "contract_number_trgm_idx": VehicleContract.objects.filter(number__icontains="sp-1"),
        "contract_provider_trgm_idx": VehicleContract.objects.filter(provider__icontains="care"),
    }
    with connection.cursor() as cursor:
        for way in ("seqscan", "indexscan", "indexonlyscan"):
            cursor.execute(f"SET LOCAL enable_{way} = off")
    for index, rows_of in conditions.items():
        assert f"Bitmap Index Scan on {index}" in rows_of.explain(), index
