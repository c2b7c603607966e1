"""The Contracts tab of a vehicle and the fleet-wide Contracts page, as people use them."""

import re
from datetime import UTC, date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fleetmaint import sweeps
from fleetmaint.contracts import services
from fleetmaint.contracts.inputs import ContractInput
from fleetmaint.contracts.models import ContractDocument, ContractStatus, VehicleContract
from fleetmaint.notifications.models import Event
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from fleetmaint.web import INVALID

pytestmark = pytest.mark.usefixtures("clock", "media")

HTMX = {"HTTP_HX_REQUEST": "true"}
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def van(vehicle) -> Vehicle:
    """The fleet's van at 12,000 km."""
    vehicles.reading_record(vehicle=vehicle, odometer=12_000)
    vehicle.refresh_from_db()
    return vehicle


def make(vehicle: Vehicle, **values) -> VehicleContract:
    given = {"contract_type": "service_plan", "number": "SP-1", "start_date": "2030-01-01"}
    given.update(values)
    return services.contract_create(vehicle=vehicle, data=ContractInput(**given))


def tab(vehicle: Vehicle) -> str:
    return f"/vehicles/{vehicle.pk}/contracts/"


def form(**overrides) -> dict:
    values = {
        "contract_type": "extended_warranty",
        "number": "EW-77",
        "provider": "Ford Credit",
        "description": "Powertrain",
        "status": "active",
        "start_date": "2030-06-01",
        "end_date": "2031-05-31",
        "start_odometer": "",
        "distance_limit": "40000",
        "price": "899.00",
        "covered_services": "oil-change, brake-pads",
        "terms": "At partner garages.",
    }
    values.update(overrides)
    return values


def pdf(name: str = "plan.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def row(html: str, contract: VehicleContract) -> str:
    match = re.search(rf'<tr id="contract-{contract.pk}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {contract.number}"
    return match.group(1)


def field_errors(html: str, field_id: str) -> list[str]:
    """The errors shown in the field block holding the input ``field_id``."""
    blocks = re.findall(r'<div class="field[^"]*">.*?</div>', html, re.S)
    block = next(b for b in blocks if f'id="{field_id}"' in b)
    return re.findall(r'<p class="error" role="alert">(.*?)</p>', block, re.S)


# --- the tab --------------------------------------------------------------------------


def test_the_tab_lists_the_contracts_with_what_is_left(advisor_client, van):
    plan = make(
        van,
        provider="Ford Credit",
        end_date="2030-12-31",
        start_odometer=10_000,
        distance_limit=5_000,
        covered_services=["oil-change"],
    )
    warranty = make(van, number="MW-1", contract_type="manufacturer_warranty")
    response = advisor_client.get(tab(van))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-current="page">Contracts</a>' in html

    plan_row = row(html, plan)
    assert "Service plan" in plan_row and "SP-1" in plan_row
    assert '<span class="badge ok">active</span>' in plan_row
    assert "Ford Credit · covers oil-change" in plan_row
    assert "until 2030-12-31" in plan_row
    assert "199 days left" in plan_row  # of 364
    assert re.search(r'aria-label="Time left" aria-valuenow="55"', plan_row)
    assert "until 15,000 km" in plan_row
    assert "3,000 km left" in plan_row
    assert re.search(r'aria-label="Distance left" aria-valuenow="60"', plan_row)
    assert '<rect width="60%"' in plan_row

    warranty_row = row(html, warranty)
    assert "no end date" in warranty_row
    assert "no distance limit" in warranty_row
    assert "Add a contract" in html


def test_an_ending_contract_stands_out(advisor_client, advisor, van, clock):
    contract = make(van, end_date="2030-07-01", start_odometer=0, distance_limit=12_500)
    html = row(advisor_client.get(tab(van)).content.decode(), contract)
    assert "ends soon" in html
    assert "16 days left" in html
    assert "500 km left" in html
    assert 'class="bar danger"' in html
    clock.move_to(datetime(2030, 7, 2, 10, tzinfo=UTC))
    sweeps.sweep_dates()
    advisor_client.force_login(advisor)  # the session has run out meanwhile
    html = row(advisor_client.get(tab(van)).content.decode(), contract)
    assert '<span class="badge danger">expired</span>' in html
    assert "ended" in html
    assert "ends soon" not in html


def test_a_contract_is_added_with_the_form(advisor_client, van):
    response = advisor_client.post(f"{tab(van)}save/", form())
    assert response.status_code == 302
    assert response["Location"] == tab(van)
    contract = VehicleContract.objects.get()
    assert (contract.contract_type, contract.number, contract.provider) == (
        "extended_warranty",
        "EW-77",
        "Ford Credit",
    )
    assert (contract.start_date, contract.end_date) == (date(2030, 6, 1), date(2031, 5, 31))
    assert (contract.start_odometer, contract.distance_limit) == (12_000, 40_000)
    assert contract.covered_services == ["oil-change", "brake-pads"]
    assert contract.currency == "EUR"
    page = advisor_client.get(tab(van)).content.decode()
    assert "Contract saved." in page
    assert "EW-77" in row(page, contract)


def test_htmx_is_sent_to_the_tab_after_saving(advisor_client, van):
    response = advisor_client.post(f"{tab(van)}save/", form(), **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == tab(van)


def test_a_document_can_come_with_the_new_contract(advisor_client, van):
    response = advisor_client.post(f"{tab(van)}save/", {**form(), "document": pdf()})
    assert response.status_code == 302
    [document] = ContractDocument.objects.all()
    assert (document.contract.number, document.name) == ("EW-77", "plan.pdf")


def test_a_refused_document_adds_no_contract(advisor_client, van):
    upload = SimpleUploadedFile("notes.txt", b"not a pdf", content_type="text/plain")
    response = advisor_client.post(f"{tab(van)}save/", {**form(), "document": upload}, **HTMX)
    assert response.status_code == INVALID
    assert "notes.txt is not a PDF" in response.content.decode()
    assert not VehicleContract.objects.exists()
    assert not ContractDocument.objects.exists()
    # The same form sent again with a good file is not refused as a duplicate.
    assert advisor_client.post(f"{tab(van)}save/", {**form(), "document": pdf()}).status_code == 302
    assert VehicleContract.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field_id", "error"),
    [
        ({"end_date": "2030-05-01"}, "id_end_date", "The contract cannot end before it starts."),
        (
            {"distance_limit": "-1"},
            "id_distance_limit",
            "Ensure this value is greater than or equal to 0.",
        ),
        ({"number": ""}, "id_number", "This field is required."),
        ({"start_date": "yesterday"}, "id_start_date", "Enter a valid date."),
        ({"contract_type": "insurance"}, "id_contract_type", "Select a valid choice."),
    ],
)
def test_a_refused_form_shows_the_error_at_its_field(advisor_client, van, change, field_id, error):
    response = advisor_client.post(f"{tab(van)}save/", form(**change), **HTMX)
    assert response.status_code == INVALID
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="grid two" id="contracts">')
    assert any(error in e for e in field_errors(html, field_id)), field_errors(html, field_id)
    assert 'value="Powertrain"' in html  # what was typed is kept
    assert not VehicleContract.objects.exists()


def test_a_duplicate_number_is_refused_at_the_number(advisor_client, van):
    make(van, number="EW-77")
    response = advisor_client.post(f"{tab(van)}save/", form())
    assert response.status_code == INVALID
    errors = field_errors(response.content.decode(), "id_number")
    assert errors == ["Another contract already has the number &#x27;EW-77&#x27;."]
    assert VehicleContract.objects.count() == 1


# --- editing in place ------------------------------------------------------------------


def test_the_edit_form_opens_in_place_with_the_values(advisor_client, van):
    contract = make(van, end_date="2031-01-31", distance_limit=9_000, covered_services=["a", "b"])
    response = advisor_client.get(f"{tab(van)}?edit={contract.pk}", **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="grid two" id="contracts">')
    assert "<h2>Edit SP-1</h2>" in html
    assert f'<input type="hidden" name="contract" value="{contract.pk}">' in html
    assert 'value="2031-01-31"' in html
    assert 'value="9000"' in html
    assert 'value="a, b"' in html
    assert "Save contract" in html


def test_an_edit_is_saved(advisor_client, van):
    contract = make(van, end_date="2031-01-31", currency="USD", price="10.00")
    response = advisor_client.post(
        f"{tab(van)}save/",
        form(contract=str(contract.pk), number="SP-1", end_date="2032-01-31", price="20.00"),
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert (contract.contract_type, contract.end_date) == ("extended_warranty", date(2032, 1, 31))
    assert contract.distance_limit == 40_000
    assert VehicleContract.objects.count() == 1
    # The form has no currency field: the contract keeps its own.
    assert (str(contract.price), contract.currency) == ("20.00", "USD")


def test_editing_an_expired_contracts_end_date_revives_it(advisor_client, van, clock):
    contract = make(van, start_date="2029-01-01", end_date="2030-06-01")
    assert contract.status == ContractStatus.EXPIRED
    page = advisor_client.get(f"{tab(van)}?edit={contract.pk}").content.decode()
    assert 'value="active" selected' in page
    advisor_client.post(
        f"{tab(van)}save/",
        form(
            contract=str(contract.pk), number="SP-1", start_date="2029-01-01", end_date="2030-07-05"
        ),
    )
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE
    clock.move_to(datetime(2030, 7, 6, 10, tzinfo=UTC))
    sweeps.sweep_dates()
    contract.refresh_from_db()
    assert contract.status == ContractStatus.EXPIRED
    assert Event.objects.filter(name="contract.expired").count() == 2


def test_a_refused_edit_stays_in_edit_mode(advisor_client, van):
    contract = make(van, end_date="2031-01-31")
    response = advisor_client.post(
        f"{tab(van)}save/", form(contract=str(contract.pk), end_date="2000-01-01"), **HTMX
    )
    assert response.status_code == INVALID
    html = response.content.decode()
    assert "<h2>Edit SP-1</h2>" in html
    assert field_errors(html, "id_end_date") == ["The contract cannot end before it starts."]
    make(van, number="TAKEN")
    response = advisor_client.post(
        f"{tab(van)}save/", form(contract=str(contract.pk), number="TAKEN"), **HTMX
    )
    assert response.status_code == INVALID
    html = response.content.decode()
    assert "<h2>Edit SP-1</h2>" in html
    assert field_errors(html, "id_number") == [
        "Another contract already has the number &#x27;TAKEN&#x27;."
    ]
    contract.refresh_from_db()
    assert (contract.number, contract.end_date) == ("SP-1", date(2031, 1, 31))


def test_a_cancelled_contract_cannot_be_edited(advisor_client, van):
    contract = make(van)
    services.contract_cancel(contract=contract, reason="Sold")
    html = advisor_client.get(tab(van)).content.decode()
    assert "Actions" not in row(html, contract)
    assert '<span class="badge">cancelled</span>' in row(html, contract)
    response = advisor_client.post(f"{tab(van)}save/", form(contract=str(contract.pk)))
    assert response.status_code == INVALID
    assert "A cancelled contract cannot be changed." in response.content.decode()


# --- cancelling and documents ---------------------------------------------------------


def test_a_contract_is_cancelled_with_a_reason(advisor_client, van):
    contract = make(van, end_date="2031-01-01", distance_limit=5_000)
    assert 'role="progressbar"' in row(advisor_client.get(tab(van)).content.decode(), contract)
    url = f"{tab(van)}{contract.pk}/cancel/"
    response = advisor_client.post(url, {"reason": ""}, follow=True)
    assert "Say why the contract is cancelled." in response.content.decode()
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE

    response = advisor_client.post(url, {"reason": "Vehicle sold"})
    assert response.status_code == 302
    contract.refresh_from_db()
    assert (contract.status, contract.cancel_reason) == ("cancelled", "Vehicle sold")
    html = advisor_client.get(tab(van)).content.decode()
    assert "Contract SP-1 cancelled." in html
    cancelled_row = row(html, contract)
    assert "Cancelled: Vehicle sold" in cancelled_row
    assert "until 2031-01-01" in cancelled_row
    assert 'role="progressbar"' not in cancelled_row  # nothing runs down any more


def test_a_document_is_attached_and_downloaded(advisor_client, viewer_client, van):
    contract = make(van)
    response = advisor_client.post(f"{tab(van)}{contract.pk}/documents/", {"document": pdf()})
    assert response.status_code == 302
    [document] = contract.documents.all()
    assert (document.name, document.content_type, document.size) == (
        "plan.pdf",
        "application/pdf",
        len(PDF),
    )
    download = f"{tab(van)}{contract.pk}/documents/{document.pk}/"
    assert download in advisor_client.get(tab(van)).content.decode()
    for client in (advisor_client, viewer_client):
        response = client.get(download)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="plan.pdf"'
        assert b"".join(response.streaming_content) == PDF


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("notes.txt", b"plain text", content_type="text/plain"),
        SimpleUploadedFile(
            "evil.pdf", b"<script>alert(1)</script>", content_type="application/pdf"
        ),
    ],
    ids=["text", "not-really-a-pdf"],
)
def test_anything_but_a_pdf_or_image_is_refused(advisor_client, van, upload):
    contract = make(van)
    response = advisor_client.post(
        f"{tab(van)}{contract.pk}/documents/", {"document": upload}, follow=True
    )
    assert f"{upload.name} is not a PDF, PNG, JPEG, GIF or WebP file." in response.content.decode()
    assert not ContractDocument.objects.exists()


def test_attaching_nothing_says_so(advisor_client, van):
    contract = make(van)
    response = advisor_client.post(f"{tab(van)}{contract.pk}/documents/", {}, follow=True)
    assert "Choose a file to attach." in response.content.decode()


def test_an_unknown_document_is_not_found(advisor_client, van):
    contract = make(van)
    assert advisor_client.get(f"{tab(van)}{contract.pk}/documents/999/").status_code == 404


# --- who may --------------------------------------------------------------------------


def test_a_viewer_reads_but_cannot_change(viewer_client, van):
    contract = make(van)
    html = viewer_client.get(tab(van)).content.decode()
    assert "SP-1" in html
    assert "Add a contract" not in html
    assert "Actions" not in row(html, contract)
    for response in (
        viewer_client.get(f"{tab(van)}?edit={contract.pk}"),
        viewer_client.post(f"{tab(van)}save/", form()),
        viewer_client.post(f"{tab(van)}save/", form(contract=str(contract.pk))),
        viewer_client.post(f"{tab(van)}{contract.pk}/cancel/", {"reason": "x"}),
        viewer_client.post(f"{tab(van)}{contract.pk}/documents/", {"document": pdf()}),
    ):
        assert response.status_code == 403
    contract.refresh_from_db()
    assert (contract.status, contract.contract_type) == ("active", "service_plan")
    assert VehicleContract.objects.count() == 1
    assert not ContractDocument.objects.exists()
    assert viewer_client.get("/contracts/").status_code == 200


def test_another_fleet_sees_nothing(outsider_client, advisor_client, van, other_org):
    contract = make(van)
    document = services.document_attach(contract=contract, upload=pdf())
    theirs = vehicles.vehicle_create(org=other_org, label="Their van", vehicle_key="T-1")
    their_contract = make(theirs, number="THEIRS")
    for response in (
        outsider_client.get(tab(van)),
        outsider_client.get(f"{tab(van)}?edit={contract.pk}"),
        outsider_client.post(f"{tab(van)}save/", form()),
        outsider_client.post(f"{tab(van)}{contract.pk}/cancel/", {"reason": "x"}),
        outsider_client.post(f"{tab(van)}{contract.pk}/documents/", {"document": pdf()}),
        outsider_client.get(f"{tab(van)}{contract.pk}/documents/{document.pk}/"),
        # Their contract reached through my vehicle, by me.
        advisor_client.get(f"{tab(van)}?edit={their_contract.pk}"),
        advisor_client.post(f"{tab(van)}save/", form(contract=str(their_contract.pk))),
        advisor_client.post(f"{tab(van)}{their_contract.pk}/cancel/", {"reason": "x"}),
        advisor_client.get(tab(theirs)),
    ):
        assert response.status_code == 404
    contract.refresh_from_db()
    their_contract.refresh_from_db()
    assert (contract.status, their_contract.status) == ("active", "active")
    assert VehicleContract.objects.count() == 2
    assert ContractDocument.objects.count() == 1
    assert "SP-1" not in outsider_client.get("/contracts/").content.decode()


def test_another_vehicles_contract_is_not_reached_through_this_vehicle(advisor_client, van, org):
    truck = vehicles.vehicle_create(org=org, label="Truck", vehicle_key="TRK")
    contract = make(truck)
    document = services.document_attach(contract=contract, upload=pdf())
    for response in (
        advisor_client.get(f"{tab(van)}?edit={contract.pk}"),
        advisor_client.post(f"{tab(van)}{contract.pk}/cancel/", {"reason": "x"}),
        advisor_client.get(f"{tab(van)}{contract.pk}/documents/{document.pk}/"),
        advisor_client.post(f"{tab(van)}save/", form(contract=str(contract.pk))),
    ):
        assert response.status_code == 404
    assert VehicleContract.objects.get().status == "active"


def test_signed_out_people_are_sent_to_sign_in(client, van):
    for url in (tab(van), "/contracts/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login/" in response["Location"]


# --- the fleet-wide list --------------------------------------------------------------


@pytest.fixture
def fleet(org, van, other_org):
    truck = vehicles.vehicle_create(org=org, label="Truck 9", vehicle_key="TRK")
    vehicles.reading_record(vehicle=truck, odometer=50_000)
    theirs = vehicles.vehicle_create(org=other_org, label="Their van", vehicle_key="T-1")
    return {
        "plan": make(van, number="SP-1", end_date="2031-06-30"),
        "soon": make(
            van, number="MW-1", contract_type="manufacturer_warranty", end_date="2030-07-01"
        ),
        "worn": make(truck, number="EW-1", contract_type="extended_warranty", distance_limit=800),
        "old": make(truck, number="SP-0", start_date="2028-01-01", end_date="2029-12-31"),
        "theirs": make(theirs, number="THEIRS"),
    }


def numbers(html: str) -> list[str]:
    return re.findall(r'<span class="muted">([A-Z]+-\d)</span>', html)


def test_the_fleet_list_shows_every_contract_of_the_fleet(advisor_client, fleet):
    html = advisor_client.get("/contracts/").content.decode()
    assert numbers(html) == ["SP-0", "MW-1", "SP-1", "EW-1"]
    assert "THEIRS" not in html
    assert "Truck 9" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?type=service_plan", ["SP-0", "SP-1"]),
        ("?type=manufacturer_warranty", ["MW-1"]),
        ("?status=expired", ["SP-0"]),
        ("?status=active", ["MW-1", "SP-1", "EW-1"]),
        ("?type=service_plan&status=active", ["SP-1"]),
        ("?view=expiring", ["MW-1", "EW-1"]),
        ("?view=expiring&type=extended_warranty", ["EW-1"]),
        ("?q=truck", ["SP-0", "EW-1"]),
        ("?type=nonsense&status=nonsense", ["SP-0", "MW-1", "SP-1", "EW-1"]),
    ],
)
def test_the_fleet_list_filters(advisor_client, fleet, query, expected):
    html = advisor_client.get(f"/contracts/{query}").content.decode()
    assert numbers(html) == expected


def test_the_fleet_list_filters_in_place(advisor_client, fleet):
    response = advisor_client.get("/contracts/?view=expiring", **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results">')
    assert numbers(html) == ["MW-1", "EW-1"]


def test_nothing_matching_says_so(advisor_client, fleet):
    html = advisor_client.get("/contracts/?type=other").content.decode()
    assert "No contracts match." in html


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/contracts/", "/contracts/?view=expiring", "{tab}"])
def test_the_number_of_queries_does_not_grow_with_the_contracts(advisor_client, org, van, url):
    url = url.format(tab=tab(van))
    truck = vehicles.vehicle_create(org=org, label="Truck", vehicle_key="TRK")
    vehicles.reading_record(vehicle=truck, odometer=5_000)
    make(van, number="A-0", end_date="2030-07-01")
    few = _queries(advisor_client, url)
    for n in range(1, 10):
        contract = make(
            van if n % 2 else truck, number=f"A-{n}", end_date="2030-07-01", distance_limit=500
        )
        services.document_attach(contract=contract, upload=pdf(f"{n}.pdf"))
    many = _queries(advisor_client, url)
    assert many == few
