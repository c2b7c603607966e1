"""Vehicle pages: list, detail with readings, create and edit, archive."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from fleetmaint.accounts.access import get_owned, member_required, writer_required
from fleetmaint.accounts.models import DistanceUnit
from fleetmaint.charts import line_chart
from fleetmaint.errors import ConfirmationRequired, DomainError
from fleetmaint.vehicles import queries, readings, services
from fleetmaint.vehicles.forms import ReadingForm, VehicleForm
from fleetmaint.vehicles.inputs import VehicleChanges, VehicleInput
from fleetmaint.vehicles.models import Reading, Vehicle
from fleetmaint.vehicles.unit_change import UnitChange, UnitConversionRequired
from fleetmaint.web import INVALID, add_domain_error, redirect_page, render_page

PAGE_SIZE = 25
READINGS_PAGE_SIZE = 15


def _get_vehicle(request: HttpRequest, pk: int, *, write: bool = False) -> Vehicle:
    return get_owned(request, Vehicle.objects.select_related("org"), write=write, pk=pk)


def _filters_from(request: HttpRequest) -> queries.VehicleFilters:
    archived = {"": False, "no": False, "yes": True, "all": None}.get(
        request.GET.get("archived", ""), False
    )
    sort = request.GET.get("sort", "label")
    return queries.VehicleFilters(
        search=request.GET.get("q", "").strip()[:100],
        archived=archived,
        make=request.GET.get("make", "").strip()[:60],
        distance_unit=request.GET.get("unit", "")
        if request.GET.get("unit") in DistanceUnit.values
        else "",
        sort=sort if sort in queries.VEHICLE_SORTS else "label",
    )


@member_required
def vehicle_list(request: HttpRequest) -> HttpResponse:
    filters = _filters_from(request)
    page = Paginator(queries.vehicle_list(request.org, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    makes = queries.vehicle_makes(request.org, limit=queries.MAKES_SHOWN + 1)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        # One more than shown tells whether the list had to stop: then the filter is
        # a text field that suggests the first makes, instead of a long drop-down.
        "makes": makes[: queries.MAKES_SHOWN],
        "many_makes": len(makes) > queries.MAKES_SHOWN,
        "query": query.urlencode(),
        "sorts": [
            ("label", "Label"),
            ("make", "Make & model"),
            ("year", "Year"),
            ("odometer", "Odometer"),
            ("updated", "Last reading"),
        ],
    }
    return render_page(request, "vehicles/list.html", context, partial="results")


def _reading_context(vehicle: Vehicle, request: HttpRequest, form: ReadingForm | None) -> dict:
    readings = Reading.objects.filter(vehicle=vehicle).select_related("created_by", "voided_by")
    page = Paginator(readings, READINGS_PAGE_SIZE).get_page(request.GET.get("page"))
    series = queries.reading_series(vehicle)
    odometer_points = [(r.recorded_at, r.odometer) for r in series if r.odometer is not None]
    hours_points = [(r.recorded_at, r.engine_hours) for r in series if r.engine_hours is not None]
    return {
        "vehicle": vehicle,
        "readings": page,
        "reading_form": form or ReadingForm(),
        "odometer_chart": line_chart(
            odometer_points, title=f"Odometer ({vehicle.distance_unit})", unit=vehicle.distance_unit
        ),
        "hours_chart": line_chart(hours_points, title="Engine hours", unit="h")
        if vehicle.tracks_engine_hours
        else None,
    }


@member_required
def vehicle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = _get_vehicle(request, pk)
    partial = "readings-table" if request.GET.get("page") else None
    return render_page(
        request, "vehicles/detail.html", _reading_context(vehicle, request, None), partial=partial
    )


@member_required
@require_POST
def reading_add(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = _get_vehicle(request, pk, write=True)
    form = ReadingForm(request.POST)
    status = INVALID
    if form.is_valid():
        data = form.cleaned_data
        try:
            readings.reading_record(vehicle=vehicle, actor=request.user, **data)
        except ConfirmationRequired as error:
            add_domain_error(form, error)
            form.needs_confirmation = True
        except DomainError as error:
            if error.field == "engine_hours" and not vehicle.tracks_engine_hours:
                # The page has no engine-hours field to show this next to.
                form.add_error(None, error.message)
            else:
                add_domain_error(form, error)
        else:
            if not request.htmx:
                messages.success(request, "Reading saved.")
                return redirect("vehicles:detail", pk=vehicle.pk)
            form = None
            status = 200
    context = _reading_context(vehicle, request, form)
    context["saved"] = status == 200
    return render_page(request, "vehicles/detail.html", context, partial="meters", status=status)


def _vehicle_form_page(
    request: HttpRequest,
    form: VehicleForm,
    vehicle: Vehicle | None,
    status: int = 200,
    *,
    conversion: UnitChange | None = None,
) -> HttpResponse:
    return render_page(
        request,
        "vehicles/form.html",
        {"form": form, "vehicle": vehicle, "conversion": conversion},
        partial="vehicle-form",
        status=status,
    )


def _saved(request: HttpRequest, vehicle: Vehicle) -> HttpResponse:
    return redirect_page(request, reverse("vehicles:detail", args=[vehicle.pk]))


@writer_required
def vehicle_create(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        form = VehicleForm(initial={"distance_unit": request.org.distance_unit})
        return _vehicle_form_page(request, form, None)
    form = VehicleForm(request.POST)
    if form.is_valid():
        try:
            data = VehicleInput.model_validate(form.cleaned_data)
            vehicle = services.vehicle_add(org=request.org, data=data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Vehicle {vehicle.label} created.")
            return _saved(request, vehicle)
    return _vehicle_form_page(request, form, None, status=INVALID)


@member_required
def vehicle_edit(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = _get_vehicle(request, pk, write=True)
    if request.method != "POST":
        initial = {name: getattr(vehicle, name) for name in VehicleForm.base_fields}
        return _vehicle_form_page(request, VehicleForm(initial=initial), vehicle)
    form = VehicleForm(request.POST)
    conversion = None
    if form.is_valid():
        # Sent only by the confirmation's "Convert and save" button.
        confirmed = request.POST.get("convert_distances") == "yes"
        try:
            changes = VehicleChanges.model_validate(
                {**form.cleaned_data, "convert_distances": confirmed}
            )
            services.vehicle_update(vehicle=vehicle, changes=changes)
        except UnitConversionRequired as question:
            # Nothing was saved: the form comes back with what the change would convert.
            conversion = question.change
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Vehicle saved.")
            return _saved(request, vehicle)
    return _vehicle_form_page(request, form, vehicle, status=INVALID, conversion=conversion)


@member_required
@require_POST
def vehicle_archive(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = _get_vehicle(request, pk, write=True)
    archive = request.POST.get("archived", "true") == "true"
    services.vehicle_set_archived(vehicle=vehicle, archived=archive)
    messages.success(request, f"{vehicle.label} {'archived' if archive else 'restored'}.")
    return _saved(request, vehicle)


@member_required
def vehicle_suggest(request: HttpRequest) -> HttpResponse:
    """Suggestions for a vehicle search field: ``<option>`` elements for its datalist (htmx),
    or a short page of matching vehicles when visited directly.

    The field sends its own value under its own name; ``field`` says which name that is.
    """
    field = request.GET.get("field", "q")
    term = request.GET.get(field if field in request.GET else "q", "")[:100]
    context = {"term": term.strip(), "vehicles": queries.vehicle_suggestions(request.org, term)}
    return render_page(request, "vehicles/suggest.html", context, partial="options")
