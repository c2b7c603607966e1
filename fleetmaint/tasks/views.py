"""The Tasks pages: the fleet-wide list, a vehicle's Tasks tab, a task's page, the dialogs."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from fleetmaint import paging
from fleetmaint.accounts.access import ensure_can_write, get_owned, member_required
from fleetmaint.errors import ConfirmationRequired, DomainError
from fleetmaint.files import download
from fleetmaint.orders import queries as order_queries
from fleetmaint.tasks import queries, services
from fleetmaint.tasks.completion_forms import FORM_FIELDS as COMPLETION_FIELDS
from fleetmaint.tasks.completion_forms import CompletionForm
from fleetmaint.tasks.forms import STATUS_CHOICES, BatchTaskForm, TaskForm
from fleetmaint.tasks.measures import task_conditions, wear
from fleetmaint.tasks.models import ServiceTask, Status, TaskFile
from fleetmaint.vehicles import queries as vehicle_queries
from fleetmaint.vehicles.models import Vehicle
from fleetmaint.web import INVALID, RowUrls, add_domain_error, redirect_page, render_page

PAGE_SIZE = 25
# Where a page starts; the other parameters are the list's filters.
PAGE_PARAMS = ("page", "after", "before", "last")
CHANGED = "tasksChanged"
REFUSED = "tasksRefused"
SORTS = [
    ("predicted_date=asc", "Predicted date"),
    ("status=desc", "Status"),
    ("vehicle=asc", "Vehicle"),
    ("description=asc", "Description"),
    ("cost=desc", "Cost, highest first"),
    ("id=desc", "Newest"),
]
# Service fields, as named in errors, and the form fields they belong to.
FORM_FIELDS = {
    "conditions": "mileage_limit",
    "conditions.mileage": "mileage_limit",
    "conditions.mileage.limit": "mileage_limit",
    "conditions.mileage.notification_interval": "mileage_notify",
    "conditions.mileage.repeat_interval": "mileage_repeat",
    "conditions.date.end": "date_end",
    "conditions.date.notification_interval": "date_notify",
    "conditions.date.repeat_interval": "date_repeat",
    "conditions.engine_hours": "hours_limit",
    "conditions.engine_hours.limit": "hours_limit",
    "conditions.engine_hours.notification_interval": "hours_notify",
    "conditions.engine_hours.repeat_interval": "hours_repeat",
    "notifications.emails": "emails",
    "notifications.sms_phones": "sms_phones",
    "vehicle_ids": "vehicles",
    "file": "attachment",
}


def _get_task(request: HttpRequest, task_id: int, *, write: bool = False) -> ServiceTask:
    return get_owned(
        request,
        ServiceTask.objects.select_related("vehicle", "vehicle__org"),
        write=write,
        pk=task_id,
    )


def _vehicle_match(request: HttpRequest) -> vehicle_queries.VehicleMatch:
    """The vehicle the fleet-wide list is filtered by: an id from a link, or typed text."""
    raw = str(request.GET.get("vehicle") or "").strip()
    if raw.isdecimal() and len(raw) <= 12:
        owned = Vehicle.objects.for_org(request.org).filter(pk=int(raw)).first()
        if owned is not None:
            return vehicle_queries.VehicleMatch(
                text=vehicle_queries.vehicle_choice_text(owned), vehicle=owned
            )
    return vehicle_queries.vehicle_resolve(request.org, raw)


def _filters(request: HttpRequest, vehicle_id: int | None) -> queries.TaskFilters:
    return queries.filters_from_query(
        request.GET, vehicle_id=vehicle_id, zone=request.org.time_zone
    )


def _whole(raw: object) -> int | None:
    """A whole number typed into a URL or form; isdecimal, not isdigit: int() cannot read "²"."""
    text = str(raw or "").strip()
    return int(text) if text.isdecimal() and len(text) <= 12 else None


def _rows(tasks) -> list[ServiceTask]:
    rows = list(tasks)
    urls = RowUrls(
        detail="tasks:detail",
        done="tasks:done",
        edit="tasks:edit",
        attach="tasks:attach",
        delete="tasks:delete",
        reopen="tasks:reopen",
    )
    vehicle_urls = RowUrls(tasks="tasks:vehicle")
    for task in rows:
        # A done task's wear is frozen at completion; the vehicle's meters have moved on.
        task.measures = [] if task.status == Status.DONE else task_conditions(task)
        task.wear_now = wear(task)
        task.urls = urls.for_row(task.pk) | vehicle_urls.for_row(task.vehicle_id)
    return rows


def _list_response(request: HttpRequest, vehicle: Vehicle | None) -> HttpResponse:
    match = _vehicle_match(request) if vehicle is None else None
    query = request.GET.copy()
    for name in PAGE_PARAMS:
        query.pop(name, None)
    if vehicle is not None:
        filters = _filters(request, vehicle.pk)
    elif match.vehicle is not None:
        filters = _filters(request, match.vehicle_id)
        query["vehicle"] = str(match.vehicle_id)  # links and downloads name it by id
    else:
        filters = _filters(request, None)
        query.pop("vehicle", None)
    tasks = queries.task_list(request.org, filters)
    if match is not None and match.message:
        # Text that names no single vehicle shows no tasks, with the reason.
        tasks, count = tasks.none(), 0
    elif filters.search:
        tasks, count = queries.searched(tasks)
    else:
        count = queries.task_count(request.org, filters, tasks)
    counted = {"count": count, "size": PAGE_SIZE}
    tasks = order_queries.with_task_holders(tasks, request.org)  # after counting them
    column = queries.seek_column(filters)
    if column is not None:
        page = paging.seek_page(tasks, column, request.GET, base_query=query.urlencode(), **counted)
    else:
        page = paging.number_page(tasks, request.GET, base_query=query.urlencode(), **counted)
    page.rows = _rows(page.rows)
    for task in page.rows:
        task.on_work = order_queries.task_holder(task)
    context = {
        "empty": _empty_reason(request, vehicle, match, filters) if not page.rows else "",
        "page": page,
        "vehicle": vehicle,
        "query": query.urlencode(),
        "status": request.GET.get("status", ""),
        "status_choices": STATUS_CHOICES,
        "sorts": SORTS,
        "sort": request.GET.get("sort", "predicted_date=asc"),
        "unplanned": request.GET.get("unplanned", ""),
        "search": filters.search,
        "vehicle_match": match,
        # The fleet's counts head the fleet's list only; a vehicle's tab has its header.
        "counts": queries.status_counts(request.org) if vehicle is None else None,
        "list_url": request.path,
    }
    return render_page(request, "tasks/list.html", context, partial="results")


def _empty_reason(
    request: HttpRequest,
    vehicle: Vehicle | None,
    match: vehicle_queries.VehicleMatch | None,
    filters: queries.TaskFilters,
) -> str:
    """Why the list is empty, in the words the page says it with: someone's filters
    ("filtered"), no open task ("none_open"), or no task at all yet ("none_yet")."""
    typed_vehicle = match is not None and (match.text.strip() or match.message)
    if queries.narrowed_by_choice(filters) or typed_vehicle:
        return "filtered"
    vehicle_id = vehicle.pk if vehicle is not None else None
    return "none_open" if queries.has_tasks(request.org, vehicle_id=vehicle_id) else "none_yet"


@member_required
def task_list(request: HttpRequest) -> HttpResponse:
    return _list_response(request, None)


@member_required
def vehicle_tasks(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = get_owned(request, Vehicle.objects.select_related("org"), pk=pk)
    return _list_response(request, vehicle)


def _initial(task: ServiceTask) -> dict:
    local_end = timezone.localtime(task.date_end) if task.date_end else None
    return {
        "description": task.description,
        "comment": task.comment,
        "cost": task.cost,
        "repeat": task.repeat,
        "unplanned": task.unplanned,
        "mileage_limit": task.mileage_limit,
        "mileage_notify": task.mileage_notify,
        "mileage_repeat": task.mileage_repeat,
        "date_end": local_end.date() if local_end else None,
        "date_notify": task.date_notify_days,
        "date_repeat": task.date_repeat_days,
        "hours_limit": task.hours_limit,
        "hours_notify": task.hours_notify,
        "hours_repeat": task.hours_repeat,
        "emails": ", ".join(task.emails),
        "sms_phones": ", ".join(task.sms_phones),
        "push_enabled": task.push_enabled,
    }


def _show_error(form: TaskForm, error: DomainError) -> None:
    error.field = FORM_FIELDS.get(error.field or "", error.field)
    add_domain_error(form, error)


def _form_page(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    return render_page(request, "tasks/form.html", context, partial="dialog-form", status=status)


def _saved(request: HttpRequest, notice: str, back: str) -> HttpResponse:
    if request.htmx:
        response = HttpResponse(status=204)
        return trigger_client_event(response, CHANGED, {"notice": notice})
    messages.success(request, notice)
    return redirect(back)


def _upload(request: HttpRequest, form: TaskForm) -> list[TaskFile]:
    upload = form.cleaned_data.get("attachment")
    if not upload:
        return []
    return [services.file_upload(org=request.org, upload=upload, actor=request.user)]


def _discard(files: list[TaskFile]) -> None:
    """Files stored for a form the service then refused: no task holds them."""
    for stored in files:
        stored.file.delete(save=False)
        stored.delete()


@member_required
def task_create(request: HttpRequest) -> HttpResponse:
    ensure_can_write(request)
    vehicle = None
    vehicle_id = _whole(request.GET.get("vehicle") or request.POST.get("vehicle"))
    if vehicle_id is not None:
        vehicle = get_owned(request, Vehicle.objects.select_related("org"), pk=vehicle_id)
    if vehicle is None:
        return redirect(reverse("tasks:batch"))
    form = TaskForm(request.POST or None, request.FILES or None, initial={"push_enabled": True})
    context = {"form": form, "vehicle": vehicle, "task": None}
    if request.method == "POST" and form.is_valid():
        uploaded: list[TaskFile] = []
        try:
            uploaded = _upload(request, form)
            data = form.task_input([f.pk for f in uploaded])
            task = services.task_create(vehicle=vehicle, data=data)
        except DomainError as error:
            _discard(uploaded)
            _show_error(form, error)
        else:
            back = reverse("tasks:vehicle", args=[vehicle.pk])
            return _saved(request, f"Created “{task.description}”.", back)
    return _form_page(request, context, status=INVALID if request.method == "POST" else 200)


@member_required
def task_batch(request: HttpRequest) -> HttpResponse:
    ensure_can_write(request)
    choices = [
        (str(v.pk), f"{v.label} ({v.vehicle_key})")
        for v in Vehicle.objects.for_org(request.org).filter(archived=False)
    ]
    form = BatchTaskForm(
        request.POST or None,
        request.FILES or None,
        vehicle_choices=choices,
        initial={"push_enabled": True},
    )
    context = {"form": form, "vehicle": None, "task": None, "batch": True}
    if request.method == "POST" and form.is_valid():
        uploaded: list[TaskFile] = []
        try:
            uploaded = _upload(request, form)
            data = form.task_input([f.pk for f in uploaded])
            ids = [int(pk) for pk in form.cleaned_data["vehicles"]]
            created = services.tasks_batch_create(org=request.org, vehicle_ids=ids, data=data)
        except DomainError as error:
            _discard(uploaded)
            _show_error(form, error)
        else:
            notice = f"Created “{data.description}” for {len(created)} vehicles."
            return _saved(request, notice, reverse("tasks:list"))
    return _form_page(request, context, status=INVALID if request.method == "POST" else 200)


@member_required
def task_edit(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _get_task(request, task_id, write=True)
    if task.status == Status.DONE:
        messages.info(request, "That task is done; done tasks are kept as they were.")
        return redirect_page(request, reverse("tasks:vehicle", args=[task.vehicle_id]))
    form = TaskForm(request.POST or None, request.FILES or None, initial=_initial(task))
    context = {"form": form, "vehicle": task.vehicle, "task": task}
    if request.method == "POST" and form.is_valid():
        uploaded: list[TaskFile] = []
        try:
            uploaded = _upload(request, form)
            files = list(task.files.all()) + uploaded
            data = form.task_input([f.pk for f in files])
            saved = services.task_update(task=task, data=data)
        except DomainError as error:
            _discard(uploaded)
            _show_error(form, error)
        else:
            back = reverse("tasks:vehicle", args=[task.vehicle_id])
            return _saved(request, f"Saved “{saved.description}”.", back)
    return _form_page(request, context, status=INVALID if request.method == "POST" else 200)


def _back(request: HttpRequest, task: ServiceTask) -> str:
    back = request.POST.get("back", "")
    if back.startswith("/") and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return reverse("tasks:vehicle", args=[task.vehicle_id])


def _refused(request: HttpRequest, message: str, back: str) -> HttpResponse:
    """A row action the service refused: told in the page (htmx) or as a message."""
    if request.htmx:
        response = HttpResponse(message, status=INVALID)
        return trigger_client_event(response, REFUSED, {"notice": message})
    messages.error(request, message)
    return redirect(back)


def _completion_form(request: HttpRequest, task: ServiceTask) -> CompletionForm:
    vehicle = task.vehicle
    initial = {
        "odometer": vehicle.odometer,
        "engine_hours": vehicle.engine_hours,
        "cost": task.cost,
    }
    return CompletionForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        tracks_engine_hours=vehicle.tracks_engine_hours,
    )


def _servicer_names(request: HttpRequest) -> list[str]:
    """The fleet's servicers, offered as suggestions for who did the work."""
    return list(request.org.servicers.filter(active=True).values_list("name", flat=True)[:200])


def _on_page(request: HttpRequest) -> bool:
    """The form is on its own page (or the task's), not in a list's row or dialog."""
    return request.method != "POST" or request.POST.get("on_page") == "1"


def _done_page(
    request: HttpRequest, task: ServiceTask, form: CompletionForm, status: int = 200
) -> HttpResponse:
    context = {
        "task": task,
        "vehicle": task.vehicle,
        "form": form,
        "servicers": _servicer_names(request),
        "on_page": _on_page(request),
        "back": _back(request, task) if request.method == "POST" else _task_url(request, task),
    }
    return render_page(request, "tasks/done.html", context, partial="done-form", status=status)


def _task_url(request: HttpRequest, task: ServiceTask) -> str:
    back = request.GET.get("back", "")
    if back.startswith("/") and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return reverse("tasks:detail", args=[task.pk])


def _finished(request: HttpRequest, notice: str, back: str) -> HttpResponse:
    """A list's row refreshes in place; a page goes back where it came from."""
    if request.htmx and not _on_page(request):
        return _saved(request, notice, back)
    messages.success(request, notice)
    return redirect_page(request, back)


@member_required
def task_done(request: HttpRequest, task_id: int) -> HttpResponse:
    """Asks what happened (date, meters, cost, who, notes) and marks the task done."""
    task = _get_task(request, task_id, write=True)
    if task.status == Status.DONE:
        back = _back(request, task) if request.method == "POST" else _task_url(request, task)
        return _finished(request, f"“{task.description}” is done already.", back)
    form = _completion_form(request, task)
    if request.method != "POST":
        return _done_page(request, task, form)
    if form.is_valid():
        try:
            done, successor = services.task_mark_done(
                task=task, completion=form.completion_input(), actor=request.user
            )
        except ConfirmationRequired as error:
            form.needs_confirmation = True
            _show_completion_error(form, error)
        except DomainError as error:
            _show_completion_error(form, error)
        else:
            notice = f"“{done.description}” is done."
            if successor:
                notice += " The next one is scheduled."
            return _finished(request, notice, _back(request, task))
    return _done_page(request, task, form, status=INVALID)


def _show_completion_error(form: CompletionForm, error: DomainError) -> None:
    error.field = COMPLETION_FIELDS.get(error.field or "", error.field)
    add_domain_error(form, error)


@member_required
@require_POST
def task_reopen(request: HttpRequest, task_id: int) -> HttpResponse:
    """Takes back a completion made by mistake; advisors and admins only."""
    task = _get_task(request, task_id, write=True)
    back = _back(request, task)
    try:
        reopened = services.task_reopen(task=task, actor=request.user)
    except DomainError as error:
        return _refused(request, error.message, back)
    return _saved(request, f"“{reopened.description}” is open again.", back)


@member_required
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    """One task: its conditions, what happened each time it was done, and its files."""
    task = _get_task(request, task_id)
    task.measures = [] if task.status == Status.DONE else task_conditions(task)
    task.wear_now = wear(task)
    context = {
        "task": task,
        "vehicle": task.vehicle,
        "completions": list(
            task.completions.select_related("recorded_by", "reopened_by").order_by(
                "-done_at", "-pk"
            )
        ),
        "files": list(task.files.all()),
        "done_form": _completion_form(request, task) if task.status != Status.DONE else None,
        "servicers": _servicer_names(request) if task.status != Status.DONE else [],
        "successor": ServiceTask.objects.filter(repeated_from=task).only("pk").first(),
    }
    return render_page(request, "tasks/detail.html", context)


@member_required
@require_POST
def task_delete(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _get_task(request, task_id, write=True)
    services.tasks_delete(org=request.org, task_ids=[task.pk])
    return _saved(request, f"Deleted “{task.description}”.", _back(request, task))


@member_required
@require_POST
def file_attach(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _get_task(request, task_id, write=True)
    upload = request.FILES.get("file")
    if upload is None:
        return _refused(request, "Choose a file to attach.", _back(request, task))
    try:
        stored = services.file_upload(org=request.org, upload=upload, actor=request.user)
    except DomainError as error:
        return _refused(request, error.message, _back(request, task))
    services.task_attach(task=task, files=[stored])
    return _saved(request, f"Attached {stored.name}.", _back(request, task))


@member_required
def file_download(request: HttpRequest, task_id: int, file_id: int) -> HttpResponse:
    task = _get_task(request, task_id)
    stored = get_owned(request, TaskFile.objects.filter(tasks=task), pk=file_id)
    return download(stored)


@member_required
def file_remove(request: HttpRequest, task_id: int, file_id: int) -> HttpResponse:
    """Asks first (a page that works without JavaScript), then detaches the file."""
    task = _get_task(request, task_id, write=True)
    stored = get_owned(request, TaskFile.objects.filter(tasks=task), pk=file_id)
    if request.method != "POST":
        detail = reverse("tasks:detail", args=[task.pk])
        context = {
            "file": stored,
            "vehicle": task.vehicle,
            "holder": f"“{task.description}”",
            "holder_url": detail,
            "action": reverse("tasks:file-remove", args=[task.pk, stored.pk]),
            "hidden": {"back": detail},
            "back": detail,
            "consequence": "The file is taken off this task. "
            "When no other task holds it, it is deleted.",
        }
        return render_page(request, "files/remove.html", context)
    services.task_detach(task=task, file_id=file_id)
    notice = f"Removed {stored.name}."
    back = _back(request, task)
    if request.htmx:
        return _saved(request, notice, back)
    messages.success(request, notice)
    return redirect(back)
