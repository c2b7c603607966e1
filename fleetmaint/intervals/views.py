"""The Schedule tab of a vehicle, the fleet-wide Due page, and the presets page."""

from datetime import date, datetime, time

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from fleetmaint.accounts.access import ensure_can_write, get_owned, member_required
from fleetmaint.errors import ConfirmationRequired, DomainError
from fleetmaint.intervals import history, queries, services
from fleetmaint.intervals.forms import (
    FORM_FIELDS,
    IntervalForm,
    NewPresetForm,
    NoteForm,
    PresetForm,
)
from fleetmaint.intervals.models import IntervalPreset, IntervalService, ServiceInterval
from fleetmaint.intervals.presets import every_words
from fleetmaint.orders import queries as order_queries
from fleetmaint.tasks.completion_forms import FORM_FIELDS as COMPLETION_FIELDS
from fleetmaint.tasks.completion_forms import CompletionForm
from fleetmaint.vehicles import queries as vehicle_queries
from fleetmaint.vehicles.models import Powertrain, Vehicle
from fleetmaint.vehicles.queries import VehicleMatch
from fleetmaint.web import INVALID, add_domain_error, redirect_page, render_page

PAGE_SIZE = 25


def _get_vehicle(request: HttpRequest, pk: int, *, write: bool = False) -> Vehicle:
    return get_owned(request, Vehicle.objects.select_related("org"), write=write, pk=pk)


def _get_interval(request: HttpRequest, vehicle: Vehicle, interval_id: int) -> ServiceInterval:
    return get_owned(
        request,
        ServiceInterval.objects.open().select_related("vehicle", "vehicle__org", "preset"),
        write=True,
        vehicle=vehicle,
        pk=interval_id,
    )


def _local_moment(day: date | None) -> datetime | None:
    """A date from a form as a moment: its start in the current time zone, or now for today."""
    if day is None:
        return None
    moment = timezone.make_aware(datetime.combine(day, time.min))
    return max(moment, timezone.now()) if day == timezone.localdate() else moment


def _with_progress(intervals) -> list[ServiceInterval]:
    now = timezone.now()
    rows = list(intervals)
    for row in rows:
        row.progress = queries.progress(row, now)
    return rows


def _schedule_response(
    request: HttpRequest,
    vehicle: Vehicle,
    *,
    form: IntervalForm | None = None,
    status: int = 200,
    notice: str = "",
) -> HttpResponse:
    intervals = _with_progress(queries.vehicle_schedule(vehicle))
    for row in intervals:
        # The preset's distance in this vehicle's unit: "every 9,321 mi" for a van in miles.
        row.every = every_words(row.preset, vehicle.distance_unit) if row.preset else ""
    order_queries.mark_work_holders(vehicle.org, intervals)
    context = {
        "notice_is_error": status >= INVALID,
        "vehicle": vehicle,
        "intervals": intervals,
        "form": form or IntervalForm(),
        "note_form": NoteForm(),
        "services": history.recent_services(vehicle),
        "notice": notice,
        "soon_days": services.DUE_SOON_DAYS,
        "preset_lines": services.presets_for_vehicle(vehicle)
        if request.membership.can_write
        else [],
    }
    return render_page(
        request, "intervals/schedule.html", context, partial="schedule", status=status
    )


@member_required
def schedule(request: HttpRequest, pk: int) -> HttpResponse:
    return _schedule_response(request, _get_vehicle(request, pk))


@member_required
@require_POST
def interval_create(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = _get_vehicle(request, pk, write=True)
    form = IntervalForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.interval_create(
                vehicle=vehicle,
                name=data["name"],
                odometer=data["odometer"],
                time=_local_moment(data["date"]),
                notes=data["notes"],
                already_overdue=data["already_overdue"],
            )
        except DomainError as error:
            if error.field == "time":
                error.field = "date"
            add_domain_error(form, error)
        else:
            return _done(request, vehicle, f"Added {data['name']}.")
    return _schedule_response(request, vehicle, form=form, status=INVALID)


def _done(request: HttpRequest, vehicle: Vehicle, notice: str) -> HttpResponse:
    if request.htmx:
        return _schedule_response(request, vehicle, notice=notice)
    messages.success(request, notice)
    return redirect_page(request, reverse("intervals:schedule", args=[vehicle.pk]))


def _refused(request: HttpRequest, vehicle: Vehicle, error: DomainError) -> HttpResponse:
    if request.htmx:
        return _schedule_response(request, vehicle, notice=error.message, status=INVALID)
    messages.error(request, error.message)
    return redirect_page(request, reverse("intervals:schedule", args=[vehicle.pk]))


@member_required
@require_POST
def interval_note(request: HttpRequest, pk: int, interval_id: int) -> HttpResponse:
    vehicle = _get_vehicle(request, pk, write=True)
    interval = _get_interval(request, vehicle, interval_id)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _refused(request, vehicle, DomainError("Write the note first."))
    try:
        services.interval_update_notes(interval=interval, notes=form.cleaned_data["notes"])
    except DomainError as error:
        return _refused(request, vehicle, error)
    return _done(request, vehicle, f"Note added to {interval.name}.")


def _serviced_form(request: HttpRequest, vehicle: Vehicle) -> CompletionForm:
    return CompletionForm(
        request.POST if request.method == "POST" else None,
        initial={"odometer": vehicle.odometer, "engine_hours": vehicle.engine_hours},
        tracks_engine_hours=vehicle.tracks_engine_hours,
    )


def _serviced_page(
    request: HttpRequest,
    vehicle: Vehicle,
    interval: ServiceInterval,
    form: CompletionForm,
    status: int = 200,
) -> HttpResponse:
    context = {
        "vehicle": vehicle,
        "interval": interval,
        "form": form,
        "servicers": list(
            request.org.servicers.filter(active=True).values_list("name", flat=True)[:200]
        ),
    }
    # In the schedule, the form takes the schedule's place until it is saved.
    return render_page(
        request, "intervals/serviced.html", context, partial="serviced-form", status=status
    )


@member_required
def interval_serviced(request: HttpRequest, pk: int, interval_id: int) -> HttpResponse:
    """Asks what happened (date, meters, cost, who, notes) and closes the interval."""
    vehicle = _get_vehicle(request, pk, write=True)
    interval = _get_interval(request, vehicle, interval_id)
    form = _serviced_form(request, vehicle)
    if request.method != "POST":
        return _serviced_page(request, vehicle, interval, form)
    if form.is_valid():
        try:
            following = services.interval_mark_serviced(
                interval=interval, completion=form.completion_input(), actor=request.user
            )
        except DomainError as error:
            form.needs_confirmation = isinstance(error, ConfirmationRequired)
            error.field = COMPLETION_FIELDS.get(error.field or "", error.field)
            add_domain_error(form, error)
        else:
            notice = f"{interval.name} marked serviced."
            if following:
                notice += " The next one is scheduled."
            return _done(request, vehicle, notice)
    return _serviced_page(request, vehicle, interval, form, status=INVALID)


@member_required
@require_POST
def interval_reopen(request: HttpRequest, pk: int, service_id: int) -> HttpResponse:
    """Takes back a service recorded by mistake; advisors and admins only."""
    vehicle = _get_vehicle(request, pk, write=True)
    service = get_owned(
        request,
        IntervalService.objects.select_related("interval"),
        write=True,
        vehicle=vehicle,
        pk=service_id,
    )
    try:
        interval = services.interval_reopen(interval=service.interval, actor=request.user)
    except DomainError as error:
        return _refused(request, vehicle, error)
    return _done(request, vehicle, f"{interval.name} is open again.")


@member_required
@require_POST
def interval_remove(request: HttpRequest, pk: int, interval_id: int) -> HttpResponse:
    vehicle = _get_vehicle(request, pk, write=True)
    interval = _get_interval(request, vehicle, interval_id)
    services.interval_remove(interval=interval)
    return _done(request, vehicle, f"Removed {interval.name}.")


@member_required
@require_POST
def generate_for_vehicle(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = _get_vehicle(request, pk, write=True)
    result = services.schedule_generate(org=request.org, vehicles=[vehicle])
    return _done(request, vehicle, _generated_text(result))


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _generated_text(result: services.Generated) -> str:
    waiting = ""
    if result.waiting:
        waiting = (
            f" {_plural(result.waiting, 'engine-hour service waits', 'engine-hour services wait')}"
            " for a first engine-hours reading."
        )
    if not result.total:
        return "Every preset already has an open interval." + waiting
    made = [_plural(result.intervals, "interval", "intervals")] if result.intervals else []
    if result.tasks:
        made.append(_plural(result.tasks, "engine-hour task", "engine-hour tasks"))
    return f"Generated {' and '.join(made)} from the presets." + waiting


def _due_filters(request: HttpRequest, vehicle: VehicleMatch) -> queries.DueFilters:
    state = request.GET.get("state", "")
    sort = request.GET.get("sort", "soon")
    return queries.DueFilters(
        state=state if state in queries.STATES else "",
        search=request.GET.get("q", "").replace("\x00", "").strip()[:100],
        vehicle_id=vehicle.vehicle_id,
        sort=sort if sort in queries.SORTS else "soon",
    )


@member_required
def due(request: HttpRequest) -> HttpResponse:
    vehicle = vehicle_queries.vehicle_resolve(request.org, request.GET.get("vehicle", ""))
    filters = _due_filters(request, vehicle)
    intervals = queries.due_list(request.org, filters)
    if vehicle.message:
        # Typed text that names no single vehicle filters out everything, with the reason.
        intervals = ServiceInterval.objects.none()
    page = Paginator(intervals, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _with_progress(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    due_tasks = _due_tasks(request, filters, vehicle)
    order_queries.mark_work_holders(request.org, page.object_list, due_tasks)
    context = {
        "page": page,
        "filters": filters,
        "vehicle_match": vehicle,
        "due_tasks": due_tasks,
        "query": query.urlencode(),
        "states": [("", "All"), ("required", "Required"), ("soon", "Due soon"), ("ok", "Not due")],
        "sorts": [
            ("soon", "How soon"),
            ("vehicle", "Vehicle"),
            ("name", "Service"),
            ("created", "Newest"),
        ],
    }
    return render_page(request, "intervals/due.html", context, partial="results")


def _due_tasks(request: HttpRequest, filters: queries.DueFilters, vehicle: VehicleMatch) -> list:
    """Expired and due-soon tasks, shown under the intervals so both can be ordered together."""
    if filters.state == "ok" or vehicle.message:
        return []
    return queries.due_tasks(request.org, search=filters.search, vehicle_id=filters.vehicle_id)


@member_required
@require_POST
def generate_for_fleet(request: HttpRequest) -> HttpResponse:
    ensure_can_write(request)
    result = services.schedule_generate(org=request.org)
    messages.success(request, _generated_text(result))
    back_to = "intervals:presets" if request.POST.get("next_page") == "presets" else "intervals:due"
    return redirect_page(request, reverse(back_to))


@member_required
def presets(request: HttpRequest) -> HttpResponse:
    """The schedule settings: each preset's kinds, meter and numbers, a new one, automation.

    Viewers read them as text: no fields they could never save.
    """
    org = request.org
    if request.method == "POST":
        ensure_can_write(request)
    rows = services.presets_ensure(org)
    if not request.membership.can_write:
        context = {"rows": [_read_only_row(p) for p in rows]}
        return render_page(request, "intervals/presets_read.html", context)
    data = request.POST if request.method == "POST" else None
    forms = {p.pk: _preset_form(p, data) for p in rows}
    adding = data is not None and data.get("new-name", "").strip()
    new_form = NewPresetForm(data if adding else None, prefix="new")
    status = 200
    if data is not None:
        if _save_presets(request, forms, new_form if adding else None):
            messages.success(request, "Presets saved.")
            return redirect_page(request, reverse("intervals:presets"))
        messages.error(request, "Some presets need fixing: see the marked fields.")
        status = INVALID
    context = {"rows": [(p, forms[p.pk]) for p in rows], "new_form": new_form}
    return render_page(request, "intervals/presets.html", context, status=status)


def _preset_form(preset: IntervalPreset, data) -> PresetForm:
    return PresetForm(data, prefix=f"p{preset.pk}", initial=PresetForm.initial_for(preset))


def _read_only_row(preset: IntervalPreset) -> dict:
    """A preset as a viewer reads it: the kinds it fits, what it counts and how often."""
    kinds = dict(Powertrain.choices)
    return {
        "preset": preset,
        "kinds": ", ".join(str(kinds.get(kind, kind)) for kind in preset.kinds),
        "counts": preset.get_meter_display(),
        "every": every_words(preset).removeprefix("every "),
    }


def _save_presets(
    request: HttpRequest, forms: dict[int, PresetForm], new_form: NewPresetForm | None
) -> bool:
    """Saves every row and the new preset, or nothing; refusals go next to their field."""
    valid = [form.is_valid() for form in [*forms.values(), *([new_form] if new_form else [])]]
    if not all(valid):
        return False
    try:
        services.presets_update(
            org=request.org,
            changes={pk: form.changes() for pk, form in forms.items()},
            new=new_form.changes() if new_form else None,
        )
        services.schedule_settings_update(
            org=request.org,
            for_new_vehicles=request.POST.get("for_new_vehicles") == "on",
            on_first_reading=request.POST.get("on_first_reading") == "on",
        )
    except services.PresetInvalid as error:
        form = forms.get(error.preset_id) if error.preset_id else new_form
        error.field = FORM_FIELDS.get(error.field or "", error.field)
        if form is None:
            messages.error(request, error.message)
        else:
            add_domain_error(form, error)
        return False
    return True
