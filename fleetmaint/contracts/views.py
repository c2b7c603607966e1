"""A vehicle's Contracts tab and the fleet-wide Contracts page."""

import zoneinfo

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from fleetmaint.accounts.access import get_owned, member_required
from fleetmaint.contracts import queries, services
from fleetmaint.contracts.forms import ContractForm
from fleetmaint.contracts.inputs import ContractChanges, ContractInput
from fleetmaint.contracts.models import (
    ContractDocument,
    ContractStatus,
    ContractType,
    VehicleContract,
)
from fleetmaint.errors import DomainError, NotFound
from fleetmaint.files import download
from fleetmaint.vehicles.models import Vehicle
from fleetmaint.web import INVALID, add_domain_error, redirect_page, render_page

PAGE_SIZE = 25


def _today(request: HttpRequest):
    return timezone.now().astimezone(zoneinfo.ZoneInfo(request.org.time_zone)).date()


def _with_remaining(contracts, today) -> list[VehicleContract]:
    rows = list(contracts)
    for contract in rows:
        contract.left = queries.remaining(contract, today)
    return rows


def _vehicle(request: HttpRequest, pk: int, *, write: bool = False) -> Vehicle:
    return get_owned(request, Vehicle.objects.select_related("org"), write=write, pk=pk)


def _tab(
    request: HttpRequest,
    vehicle: Vehicle,
    *,
    form: ContractForm | None = None,
    editing: VehicleContract | None = None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    today = _today(request)
    context = {
        "vehicle": vehicle,
        "contracts": _with_remaining(queries.vehicle_contracts(vehicle), today),
        "form": form or ContractForm(initial={"start_date": today}),
        "editing": editing,
        "notice": notice,
    }
    return render_page(request, "contracts/tab.html", context, partial="contracts", status=status)


@member_required
def vehicle_contracts(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = _vehicle(request, pk)
    editing = None
    if request.GET.get("edit", "").isdecimal():
        editing = get_owned(
            request,
            VehicleContract.objects.filter(vehicle=vehicle),
            write=True,
            pk=int(request.GET["edit"]),
        )
        return _tab(request, vehicle, form=ContractForm(initial=_initial(editing)), editing=editing)
    return _tab(request, vehicle)


def _initial(contract: VehicleContract) -> dict:
    values = {name: getattr(contract, name) for name in ContractForm.base_fields}
    values["covered_services"] = ", ".join(contract.covered_services)
    if contract.status not in (ContractStatus.ACTIVE, ContractStatus.DRAFT):
        values["status"] = ContractStatus.ACTIVE
    return values


def _values(form: ContractForm) -> dict:
    """The form's cleaned data in the contract input's shape: covered services as a list."""
    values = dict(form.cleaned_data)
    text = values.get("covered_services") or ""
    values["covered_services"] = [part for part in text.replace("\n", ",").split(",")]
    return values


@member_required
@require_POST
def contract_save(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = _vehicle(request, pk, write=True)
    form = ContractForm(request.POST)
    editing = None
    if request.POST.get("contract", "").isdecimal():
        editing = get_owned(
            request,
            VehicleContract.objects.filter(vehicle=vehicle).select_related("vehicle"),
            write=True,
            pk=int(request.POST["contract"]),
        )
    if form.is_valid():
        try:
            if editing:
                # Every field of the form is sent; the ones it lacks (currency) are kept.
                changes = ContractChanges.model_validate(_values(form))
                services.contract_update(contract=editing, changes=changes)
            else:
                # A refused document leaves no contract behind to collide with the retry.
                with transaction.atomic():
                    data = ContractInput.model_validate(_values(form))
                    contract = services.contract_create(vehicle=vehicle, data=data)
                    upload = request.FILES.get("document")
                    if upload:
                        services.document_attach(contract=contract, upload=upload)
        except DomainError as error:
            add_domain_error(form, error)
            if editing:
                editing.refresh_from_db()  # the heading names the contract as it is stored
        else:
            messages.success(request, "Contract saved.")
            return redirect_page(request, reverse("contracts:vehicle", args=[vehicle.pk]))
    return _tab(request, vehicle, form=form, editing=editing, status=INVALID)


def _contract(
    request: HttpRequest, pk: int, contract_id: int, *, write: bool | None = None
) -> VehicleContract:
    """The vehicle's contract: 404 outside the fleet, 403 for a viewer's write (a POST,
    unless ``write`` says otherwise)."""
    vehicle = _vehicle(request, pk)
    return get_owned(
        request,
        VehicleContract.objects.filter(vehicle=vehicle).select_related("vehicle"),
        write=request.method == "POST" if write is None else write,
        pk=contract_id,
    )


def _document(contract: VehicleContract, document_id: int) -> ContractDocument:
    """The contract's document: another contract's, or one already removed, is a 404."""
    document = ContractDocument.objects.filter(contract=contract, pk=document_id).first()
    if document is None:
        raise Http404("Not found")
    return document


@member_required
@require_POST
def contract_cancel(request: HttpRequest, pk: int, contract_id: int) -> HttpResponse:
    contract = _contract(request, pk, contract_id)
    try:
        services.contract_cancel(contract=contract, reason=request.POST.get("reason", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Contract {contract.number} cancelled.")
    return redirect_page(request, reverse("contracts:vehicle", args=[pk]))


@member_required
@require_POST
def document_attach(request: HttpRequest, pk: int, contract_id: int) -> HttpResponse:
    contract = _contract(request, pk, contract_id)
    upload = request.FILES.get("document")
    try:
        if upload is None:
            raise DomainError("Choose a file to attach.", field="document")
        services.document_attach(contract=contract, upload=upload)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Attached {upload.name}.")
    return redirect_page(request, reverse("contracts:vehicle", args=[pk]))


@member_required
def document_download(
    request: HttpRequest, pk: int, contract_id: int, document_id: int
) -> HttpResponse:
    contract = _contract(request, pk, contract_id)
    return download(_document(contract, document_id))


@member_required
def document_remove(
    request: HttpRequest, pk: int, contract_id: int, document_id: int
) -> HttpResponse:
    """Asks first, then deletes the document; advisors and admins only.

    htmx has asked already (``hx-confirm``) and gets the tab back in place. Without
    JavaScript the Remove button's POST, or a GET, shows a page that asks, whose
    form comes back ``confirmed``.
    """
    contract = _contract(request, pk, contract_id, write=True)
    document = _document(contract, document_id)
    from_edit = request.POST.get("edit", request.GET.get("edit")) == "1"
    back = reverse("contracts:vehicle", args=[pk]) + (f"?edit={contract.pk}" if from_edit else "")
    if request.method != "POST" or not (request.htmx or request.POST.get("confirmed")):
        return _ask_to_remove(request, contract, document, back=back, from_edit=from_edit)
    try:
        services.document_remove(contract=contract, document_id=document.pk)
    except NotFound:
        raise Http404("Not found") from None  # removed meanwhile, by another request
    notice = f"Removed {document.name}."
    if request.htmx:
        if not from_edit:
            return _tab(request, contract.vehicle, notice=notice)
        form = ContractForm(initial=_initial(contract))
        return _tab(request, contract.vehicle, form=form, editing=contract, notice=notice)
    messages.success(request, notice)
    return redirect(back)


def _ask_to_remove(
    request: HttpRequest,
    contract: VehicleContract,
    document: ContractDocument,
    *,
    back: str,
    from_edit: bool,
) -> HttpResponse:
    vehicle = contract.vehicle
    context = {
        "file": document,
        "vehicle": vehicle,
        "holder": f"contract {contract.number}",
        "holder_url": reverse("contracts:vehicle", args=[vehicle.pk]),
        "action": reverse("contracts:document-remove", args=[vehicle.pk, contract.pk, document.pk]),
        "hidden": {"edit": "1"} if from_edit else {},
        "back": back,
        "consequence": "The document is deleted from this contract and from storage.",
    }
    return render_page(request, "files/remove.html", context)


@member_required
def contract_list(request: HttpRequest) -> HttpResponse:
    today = _today(request)
    contract_type = request.GET.get("type", "")
    status = request.GET.get("status", "")
    filters = queries.ContractFilters(
        contract_type=contract_type if contract_type in ContractType.values else "",
        status=status if status in ContractStatus.values else "",
        expiring=request.GET.get("view") == "expiring",
        search=request.GET.get("q", "").strip()[:100],
    )
    page = Paginator(queries.contract_list(request.org, filters, today), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    page.object_list = _with_remaining(page.object_list, today)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "types": ContractType.choices,
        "statuses": ContractStatus.choices,
        "query": query.urlencode(),
    }
    return render_page(request, "contracts/list.html", context, partial="results")
