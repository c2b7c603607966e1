"""A service advisor keeps a contract's documents in order, in a real browser.

The Contracts tab lists each document with its size and upload day; the advisor
downloads one, removes one from the row after the browser asks (and the tab
updates in place), removes another from the edit form, and, in a browser without
JavaScript, removes the last after a page that asks. A viewer sees and downloads
the documents and is offered no Remove button.
"""

import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Browser, Page, expect

from fleetmaint.contracts import services as contracts
from fleetmaint.contracts.inputs import ContractInput
from fleetmaint.contracts.models import ContractDocument, VehicleContract
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.browser.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("media")]

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def van(org) -> Vehicle:
    van = vehicles.vehicle_create(org=org, label="Transit 4", vehicle_key="TR-4", make="Ford")
    vehicles.reading_record(vehicle=van, odometer=12_000)
    return van


@pytest.fixture
def plan(van) -> VehicleContract:
    """A service plan with three documents."""
    contract = contracts.contract_create(
        vehicle=van,
        data=ContractInput(
            contract_type="service_plan",
            number="SP-100",
            provider="Ford Credit",
            start_date="2030-01-01",
        ),
    )
    for name in ("plan.pdf", "terms.pdf", "receipt.pdf"):
        upload = SimpleUploadedFile(name, PDF, content_type="application/pdf")
        contracts.document_attach(contract=contract, upload=upload)
    return contract


def _stored(name: str) -> str:
    return ContractDocument.objects.get(name=name).file.name


def test_advisor_downloads_and_removes_a_contracts_documents(
    page: Page, browser: Browser, live_server, advisor, viewer, van, plan
):
    tab = f"{live_server.url}/vehicles/{van.pk}/contracts/"
    plan_file, terms_file, receipt_file = (
        _stored(name) for name in ("plan.pdf", "terms.pdf", "receipt.pdf")
    )
    login(page, live_server, "bob")
    page.goto(tab)
    row = page.locator(f"#contract-{plan.pk}")
    documents = row.get_by_role("list", name="Documents of SP-100")
    expect(documents.get_by_role("listitem")).to_have_count(3)
    plan_item = documents.get_by_role("listitem").filter(has_text="plan.pdf")
    expect(plan_item).to_contain_text(re.compile(rf"{len(PDF)}\sbytes · \d{{4}}-\d\d-\d\d"))
    screenshot(page, "contract-files-listed")

    # 1. A document downloads with its own name and bytes.
    with page.expect_download() as download_info:
        plan_item.get_by_role("link", name=re.compile("plan.pdf")).click()
    assert download_info.value.suggested_filename == "plan.pdf"
    with open(download_info.value.path(), "rb") as downloaded:
        assert downloaded.read() == PDF

    # 2. Remove, from the row: the browser asks; "Cancel" keeps the document.
    answers, questions = [False, True], []

    def answer(dialog) -> None:
        questions.append(dialog.message)
        dialog.accept() if answers.pop(0) else dialog.dismiss()

    page.on("dialog", answer)
    page.evaluate("window.__sameDocument = true")
    plan_item.get_by_role("button", name="Remove plan.pdf").click()
    assert questions == ["Remove plan.pdf from contract SP-100?"]
    expect(documents.get_by_role("listitem")).to_have_count(3)
    assert ContractDocument.objects.filter(name="plan.pdf").exists()

    # Asked again and confirmed: the tab updates in place and says so.
    plan_item.get_by_role("button", name="Remove plan.pdf").click()
    expect(page.locator("#contracts").get_by_role("status")).to_have_text("Removed plan.pdf.")
    expect(documents.get_by_role("listitem")).to_have_count(2)
    expect(documents).not_to_contain_text("plan.pdf")
    assert page.evaluate("window.__sameDocument === true"), "removing reloaded the page"
    assert len(questions) == 2
    assert not ContractDocument.objects.filter(name="plan.pdf").exists()
    assert not default_storage.exists(plan_file)
    assert default_storage.exists(terms_file)
    screenshot(page, "contract-files-removed")

    # 3. The edit form lists the documents too; removing one there keeps it open.
    answers.extend([True])
    row.get_by_text("Actions", exact=True).click()
    row.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", name="Edit SP-100")).to_be_visible()
    editing = page.locator("#editing-documents")
    expect(editing.get_by_role("listitem")).to_have_count(2)
    screenshot(page, "contract-files-edit")
    editing.get_by_role("button", name="Remove terms.pdf").click()
    expect(page.locator("#contracts").get_by_role("status")).to_have_text("Removed terms.pdf.")
    expect(page.get_by_role("heading", name="Edit SP-100")).to_be_visible()
    expect(editing.get_by_role("listitem")).to_have_count(1)
    expect(editing).to_contain_text("receipt.pdf")
    assert questions[-1] == "Remove terms.pdf from contract SP-100?"
    assert not default_storage.exists(terms_file)

    # 4. A viewer sees and downloads the last document, and is offered no removal.
    viewer_context = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        viewer_page = viewer_context.new_page()
        login(viewer_page, live_server, "victor")
        viewer_page.goto(tab)
        seen = viewer_page.get_by_role("list", name="Documents of SP-100")
        expect(seen).to_contain_text("receipt.pdf")
        expect(viewer_page.get_by_role("button", name=re.compile("^Remove"))).to_have_count(0)
        with viewer_page.expect_download() as download_info:
            seen.get_by_role("link", name=re.compile("receipt.pdf")).click()
        assert download_info.value.suggested_filename == "receipt.pdf"
        screenshot(viewer_page, "contract-files-viewer")
    finally:
        viewer_context.close()

    # 5. Without JavaScript, Remove shows a page that asks first.
    plain_context = browser.new_context(
        viewport={"width": 1366, "height": 900}, java_script_enabled=False
    )
    try:
        plain = plain_context.new_page()
        login(plain, live_server, "bob")
        plain.goto(tab)
        plain.get_by_role("button", name="Remove receipt.pdf").click()
        expect(plain.get_by_role("heading", name="Remove receipt.pdf?")).to_be_visible()
        expect(plain.locator("main")).to_contain_text("From contract SP-100 · Transit 4")
        assert ContractDocument.objects.filter(name="receipt.pdf").exists()
        screenshot(plain, "contract-files-ask-without-javascript")
        plain.get_by_role("button", name="Remove the file").click()
        expect(plain).to_have_url(tab)
        expect(plain.locator("#messages")).to_have_text("Removed receipt.pdf.")
        expect(plain.locator(f"#contract-{plan.pk}")).not_to_contain_text("receipt.pdf")
    finally:
        plain_context.close()
    assert not ContractDocument.objects.exists()
    assert not default_storage.exists(receipt_file)
