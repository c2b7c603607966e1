"""A vehicle's Contracts tab and the fleet-wide Contracts page."""

import zoneinfo

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse
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
from fleetmaint.errors import DomainError
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
    status: int = 200,
) -> HttpResponse:
    today = _today(request)
    context = {
        "vehicle": vehicle,
        "contracts": _with_remaining(queries.vehicle_contracts(vehicle), today),
        "form": form or ContractForm(initial={"start_date": today}),
        "editing": editing,
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


def _contract(request: HttpRequest, pk: int, contract_id: int) -> VehicleContract:
    vehicle = _vehicle(request, pk)
    return get_owned(
        request,
        VehicleContract.objects.filter(vehicle=vehicle).select_related("vehicle"),
        write=request.method == "POST",
        pk=contract_id,
    )


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
    document = ContractDocument.objects.filter(contract=contract, pk=document_id).first()
    if document is None:
        return HttpResponse(status=404)
    return FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.name,
        content_type=document.content_type,
    )


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
