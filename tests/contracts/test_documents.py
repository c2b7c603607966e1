"""A contract's documents: listed with their size and day, downloaded, and removed.

Removing deletes the row at once and the stored file once the transaction
commits; advisors remove, viewers only read, other fleets see nothing.
"""

import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from fleetmaint.contracts import services
from fleetmaint.contracts.inputs import ContractInput
from fleetmaint.contracts.models import ContractDocument, VehicleContract
from fleetmaint.errors import NotFound
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle

pytestmark = pytest.mark.usefixtures("clock", "media")

HTMX = {"HTTP_HX_REQUEST": "true"}
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def make(vehicle: Vehicle, number: str = "SP-1") -> VehicleContract:
    data = ContractInput(contract_type="service_plan", number=number, start_date="2030-01-01")
    return services.contract_create(vehicle=vehicle, data=data)


def attach(contract: VehicleContract, name: str = "plan.pdf") -> ContractDocument:
    upload = SimpleUploadedFile(name, PDF, content_type="application/pdf")
    return services.document_attach(contract=contract, upload=upload)


@pytest.fixture
def contract(vehicle) -> VehicleContract:
    return make(vehicle)


@pytest.fixture
def document(contract) -> ContractDocument:
    return attach(contract)


def tab(contract: VehicleContract) -> str:
    return f"/vehicles/{contract.vehicle_id}/contracts/"


def remove_url(contract: VehicleContract, document: ContractDocument) -> str:
    return f"{tab(contract)}{contract.pk}/documents/{document.pk}/remove/"


def download_url(contract: VehicleContract, document: ContractDocument) -> str:
    return f"{tab(contract)}{contract.pk}/documents/{document.pk}/"


def documents_list(html: str, contract: VehicleContract) -> str:
    match = re.search(
        rf'<ul class="plain-list documents" aria-label="Documents of {contract.number}">'
        r"(.*?)</ul>",
        html,
        re.S,
    )
    assert match, f"no documents listed for {contract.number}"
    return match.group(1)


# --- the service ----------------------------------------------------------------------


def test_removing_a_document_deletes_the_file_once_the_transaction_commits(
    contract, document, django_capture_on_commit_callbacks
):
    stored = document.file.name
    with django_capture_on_commit_callbacks() as waiting:
        removed = services.document_remove(contract=contract, document_id=document.pk)
        assert not ContractDocument.objects.exists()
        assert default_storage.exists(stored)  # not before the commit
    assert removed.name == "plan.pdf"
    assert len(waiting) == 1
    waiting[0]()
    assert not default_storage.exists(stored)


def test_a_removal_rolled_back_keeps_the_document_and_its_file(
    contract, document, django_capture_on_commit_callbacks
):
    stored = document.file.name
    with (
        django_capture_on_commit_callbacks(execute=True) as ran,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.document_remove(contract=contract, document_id=document.pk)
        raise RuntimeError("the request failed after the removal")
    assert ran == []
    assert ContractDocument.objects.filter(pk=document.pk).exists()
    assert default_storage.exists(stored)


def test_another_contracts_document_is_not_found_and_stays(vehicle, contract, document):
    other = make(vehicle, number="SP-2")
    with pytest.raises(NotFound):
        services.document_remove(contract=other, document_id=document.pk)
    assert ContractDocument.objects.filter(pk=document.pk).exists()


def test_a_document_removed_already_is_not_found(contract, document):
    services.document_remove(contract=contract, document_id=document.pk)
    with pytest.raises(NotFound):
        services.document_remove(contract=contract, document_id=document.pk)


# --- the pages ------------------------------------------------------------------------


def test_the_tab_lists_each_document_with_its_size_day_and_a_remove_button(
    advisor_client, contract, document
):
    listed = documents_list(advisor_client.get(tab(contract)).content.decode(), contract)
    assert f'href="{download_url(contract, document)}"' in listed
    assert "plan.pdf" in listed
    assert f"{len(PDF)}\xa0bytes · 2030-06-15" in listed
    url = remove_url(contract, document)
    assert f'action="{url}"' in listed and f'hx-post="{url}"' in listed
    assert 'hx-confirm="Remove plan.pdf from contract SP-1?"' in listed
    assert 'aria-label="Remove plan.pdf"' in listed
    assert "csrfmiddlewaretoken" in listed


def test_the_edit_form_lists_the_documents_to_remove_too(advisor_client, contract, document):
    html = advisor_client.get(f"{tab(contract)}?edit={contract.pk}", **HTMX).content.decode()
    editing = html[html.index('id="editing-documents"') :]
    listed = documents_list(editing, contract)
    assert f'hx-post="{remove_url(contract, document)}"' in listed
    assert '<input type="hidden" name="edit" value="1">' in listed


def test_a_viewer_sees_and_downloads_but_cannot_remove(viewer_client, contract, document):
    listed = documents_list(viewer_client.get(tab(contract)).content.decode(), contract)
    assert "plan.pdf" in listed and "/remove/" not in listed
    assert viewer_client.get(download_url(contract, document)).status_code == 200
    url = remove_url(contract, document)
    for response in (
        viewer_client.get(url),
        viewer_client.post(url),
        viewer_client.post(url, {"confirmed": "1"}),
        viewer_client.post(url, **HTMX),
    ):
        assert response.status_code == 403
    assert ContractDocument.objects.filter(pk=document.pk).exists()


def test_without_javascript_the_remove_button_asks_on_a_page_first(
    advisor_client, contract, document, django_capture_on_commit_callbacks
):
    url = remove_url(contract, document)
    for asked in (advisor_client.post(url), advisor_client.get(url)):
        assert asked.status_code == 200
        page = asked.content.decode()
        assert "Remove plan.pdf?" in page
        assert "contract SP-1" in page
        assert f'action="{url}"' in page
        assert '<input type="hidden" name="confirmed" value="1">' in page
    assert ContractDocument.objects.filter(pk=document.pk).exists()

    stored = document.file.name
    with django_capture_on_commit_callbacks(execute=True):
        removed = advisor_client.post(url, {"confirmed": "1"})
    assert removed.status_code == 302
    assert removed["Location"] == tab(contract)
    assert not ContractDocument.objects.exists()
    assert not default_storage.exists(stored)
    assert "Removed plan.pdf." in advisor_client.get(tab(contract)).content.decode()


def test_removed_from_the_edit_form_it_comes_back_to_the_edit_form(
    advisor_client, contract, document
):
    url = remove_url(contract, document)
    asked = advisor_client.post(url, {"edit": "1"}).content.decode()
    assert '<input type="hidden" name="edit" value="1">' in asked
    removed = advisor_client.post(url, {"confirmed": "1", "edit": "1"})
    assert removed["Location"] == f"{tab(contract)}?edit={contract.pk}"


def test_htmx_removes_in_place_and_swaps_the_tab(advisor_client, contract, document):
    kept = attach(contract, "terms.pdf")
    response = advisor_client.post(remove_url(contract, document), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="grid two" id="contracts">')
    assert '<li class="success" role="status">Removed plan.pdf.</li>' in html
    listed = documents_list(html, contract)
    assert "plan.pdf" not in listed and "terms.pdf" in listed
    assert list(contract.documents.all()) == [kept]


def test_htmx_from_the_edit_form_keeps_it_open(advisor_client, contract, document):
    response = advisor_client.post(remove_url(contract, document), {"edit": "1"}, **HTMX)
    html = response.content.decode()
    assert "Edit SP-1" in html
    assert "No documents." in html[html.index('id="editing-documents"') :]


def test_removing_twice_is_not_found_and_harms_nothing(advisor_client, contract, document):
    url = remove_url(contract, document)
    assert advisor_client.post(url, **HTMX).status_code == 200
    assert advisor_client.post(url, **HTMX).status_code == 404
    assert advisor_client.post(url, {"confirmed": "1"}).status_code == 404
    assert advisor_client.get(download_url(contract, document)).status_code == 404


def test_another_fleet_cannot_reach_or_remove_the_document(outsider_client, contract, document):
    for response in (
        outsider_client.get(remove_url(contract, document)),
        outsider_client.post(remove_url(contract, document), {"confirmed": "1"}),
        outsider_client.post(remove_url(contract, document), **HTMX),
        outsider_client.get(download_url(contract, document)),
    ):
        assert response.status_code == 404
    assert ContractDocument.objects.filter(pk=document.pk).exists()


def test_a_document_of_another_fleet_or_contract_is_not_found_here(
    advisor_client, vehicle, contract, other_org
):
    theirs = vehicles.vehicle_create(org=other_org, label="Their van", vehicle_key="T-1")
    their_document = attach(make(theirs, number="THEIRS"))
    sibling_document = attach(make(vehicle, number="SP-2"), "sibling.pdf")
    for document in (their_document, sibling_document):
        # Their ids, through my contract.
        for response in (
            advisor_client.get(remove_url(contract, document)),
            advisor_client.post(remove_url(contract, document), {"confirmed": "1"}),
            advisor_client.post(remove_url(contract, document), **HTMX),
            advisor_client.get(download_url(contract, document)),
        ):
            assert response.status_code == 404
    assert ContractDocument.objects.count() == 2
