"""The servicer portal: only the orders sent to the signed-in user's servicer."""

import zoneinfo
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from fleetmaint.errors import DomainError, ValidationFailed
from fleetmaint.inputs import clean_text, load_json
from fleetmaint.orders import events as servicer_events
from fleetmaint.orders import queries, services
from fleetmaint.orders.models import OrderStatus, ServiceOrder, Side
from fleetmaint.orders.timeline import describe_events, label
from fleetmaint.web import redirect_page, render_page

PAGE_SIZE = 25
STATUS_ACTIONS = {
    "start": OrderStatus.IN_PROGRESS,
    "delay": OrderStatus.DELAYED,
    "resume": OrderStatus.IN_PROGRESS,
    "complete": OrderStatus.COMPLETED,
    "cancel": OrderStatus.CANCELED,
}


def servicer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        staff = getattr(request.user, "servicer_staff", None)
        if staff is None or not staff.servicer.active:
            raise PermissionDenied("This page is for servicer staff.")
        request.servicer = staff.servicer
        return view(request, *args, **kwargs)

    return wrapper


def _order(request: HttpRequest, order_id: int) -> ServiceOrder:
    order = queries.order_detail(ServiceOrder.objects.filter(servicer=request.servicer)).filter(
        pk=order_id
    )
    found = order.first()
    if found is None:
        raise Http404("Service order not found.")
    # Staff belong to no fleet, so no time zone is active for them: show and read
    # times where the fleet (and so the vehicle) is, as the fleet's pages do.
    timezone.activate(zoneinfo.ZoneInfo(found.org.time_zone))
    return found


@servicer_required
def order_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "active")
    page = Paginator(queries.servicer_orders(request.servicer, status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "status": status,
        "statuses": [("active", "Active"), *OrderStatus.choices, ("all", "All")],
        "query": f"status={status}",
        "servicer": request.servicer,
    }
    return render_page(request, "portal/list.html", context, partial="results")


@servicer_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    return _detail_page(request, _order(request, order_id))


def _detail_page(
    request: HttpRequest, order: ServiceOrder, *, posted: QueryDict | None = None, status: int = 200
) -> HttpResponse:
    """The order's page; after a refused form, that form open again with what was typed."""
    # Shown again as typed, less what could never be stored (the refusal says so).
    typed = {k: v.replace("\x00", "") for k, v in posted.items()} if posted else None
    typed_form = typed.get("event", "issue" if "description" in typed else "") if typed else ""
    context = {
        "order": order,
        "servicer": request.servicer,
        "side": "servicer",
        "authorized": queries.authorized_spend(order),
        "event_forms": _event_forms(order, typed if typed_form not in ("", "other") else None),
        "typed_form": typed_form,
        "typed": typed or {},
    }
    describe_events(order)
    return render_page(request, "portal/detail.html", context, status=status)


def _event_forms(order: ServiceOrder, typed: Mapping[str, str] | None = None) -> list[dict]:
    """Each event's form; the one ``typed`` was posted from holds its values again."""
    forms = []
    for name, fields in servicer_events.events_for(order.service_type).items():
        values = typed if typed is not None and typed.get("event") == name else None
        forms.append(
            {
                "name": name,
                "label": name.replace("_", " ").capitalize(),
                "open": values is not None,
                "notes": values.get("notes", "") if values else "",
                "fields": [
                    {
                        "name": f,
                        "type": t,
                        "label": label(f),
                        "value": values.get(f, "") if values else "",
                    }
                    for f, t in fields.items()
                ],
            }
        )
    return forms


def _back(order: ServiceOrder) -> str:
    return reverse("orders:portal-order", args=[order.pk])


def _refused(request: HttpRequest, order: ServiceOrder, error: DomainError) -> HttpResponse:
    messages.error(request, error.message)
    return redirect_page(request, _back(order))


def _refused_keeping_input(
    request: HttpRequest, order: ServiceOrder, error: DomainError
) -> HttpResponse:
    """A refused event or issue: the page again, its form open with what was typed."""
    messages.error(request, error.message)
    return _detail_page(request, order, posted=request.POST, status=422)


@servicer_required
@require_POST
def accept(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    accepted = request.POST.get("accepted") == "true"
    try:
        services.order_accept(
            order=order,
            accepted=accepted,
            reason=_text(request.POST, "reason"),
            actor=request.user,
        )
    except DomainError as exc:
        return _refused(request, order, exc)
    messages.success(request, "Order accepted." if accepted else "Order declined.")
    return redirect_page(request, _back(order))


@servicer_required
@require_POST
def status(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    target = STATUS_ACTIONS.get(request.POST.get("action", ""))
    if target is None:
        return _refused(request, order, DomainError("Unknown action."))
    try:
        services.order_set_status(
            order=order,
            status=target,
            by=Side.SERVICER,
            reason=_text(request.POST, "reason"),
            odometer=_whole_number(request.POST.get("odometer", ""), "odometer"),
            actor=request.user,
        )
    except DomainError as exc:
        return _refused(request, order, exc)
    messages.success(request, f"Order {order.pk} is now {target}.")
    return redirect_page(request, _back(order))


def _text(post: QueryDict, field: str) -> str:
    """A text field of the form, refused when it holds what cannot be stored."""
    return clean_text(post.get(field, ""), field=field).strip()


def _whole_number(raw: str, field: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdecimal() and len(raw) < 12):
        raise ValidationFailed(f"{label(field)} must be a whole number.", field=field)
    return int(raw)


def _amount(raw: str, field: str) -> Decimal | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise ValidationFailed(f"{label(field)} must be an amount.", field=field) from None
    if not amount.is_finite():
        raise ValidationFailed(f"{label(field)} must be an amount.", field=field)
    return amount


def _timestamp(raw: str, field: str) -> float:
    moment = parse_datetime(raw.strip()) if raw.strip() else None
    if moment is None:
        raise ValidationFailed(f"{label(field)} must be a date and time.", field=field)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.timestamp()


def _event_body(post: QueryDict, order: ServiceOrder) -> dict:
    """The form's values as the typed JSON body the API takes."""
    event = _text(post, "event")
    if event == "other":
        event = _text(post, "other_name")
    body: dict = {"event": event}
    fields = servicer_events.events_for(order.service_type).get(event)
    specs = fields if fields is not None else servicer_events.OTHER_FIELDS
    for field, kind in specs.items():
        raw = _text(post, field)
        if kind == servicer_events.BOOLEAN:
            body[field] = raw == "on"
        elif not raw.strip():
            continue
        elif kind == servicer_events.STRING:
            body[field] = raw.strip()
        elif kind == servicer_events.NUMBER:
            body[field] = _timestamp(raw, field)
        elif kind == servicer_events.NUMBERS:
            body[field] = [_timestamp(part, field) for part in raw.split(",") if part.strip()]
        elif kind == servicer_events.OBJECT:
            body[field] = _json_field(raw, field)
    notes = _text(post, "notes")
    if notes:
        body["notes"] = notes
    return body


# The events' date fields: the form shows each as a date and time under its label.
DATE_INPUTS = frozenset(
    name
    for specs in (
        *servicer_events.DEPOT_EVENTS.values(),
        *servicer_events.ONSITE_EVENTS.values(),
        servicer_events.OTHER_FIELDS,
    )
    for name, kind in specs.items()
    if kind in (servicer_events.NUMBER, servicer_events.NUMBERS)
)


def _as_labelled(error: DomainError) -> DomainError:
    """A refusal of a date (``repairStartedAt is ...``, as the API says it) names the
    field as the form's label does: "Repair started at is ..."."""
    if error.field in DATE_INPUTS and error.message.startswith(f"{error.field} "):
        error.message = label(error.field) + error.message[len(error.field) :]
    return error


def _json_field(raw: str, field: str) -> object:
    try:
        return load_json(raw, servicer_events.EVENT_BOUNDS)
    except ValidationFailed as error:
        # load_json speaks of "the body"; here the text is one field of the form.
        message = error.message.replace("The body", label(field), 1)
        raise ValidationFailed(message, field=field) from None


@servicer_required
@require_POST
def post_event(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    try:
        event = servicer_events.read(_event_body(request.POST, order), order.service_type)
        stored = services.event_post(order=order, event=event, actor=request.user)
    except DomainError as exc:
        return _refused_keeping_input(request, order, _as_labelled(exc))
    messages.success(request, f"Posted {stored.event.replace('_', ' ')}.")
    return redirect_page(request, _back(order))


@servicer_required
@require_POST
def report_issue(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    try:
        cost = _amount(request.POST.get("cost", ""), "cost")
        if cost is None:
            raise ValidationFailed("Give the cost of the work found.", field="cost")
        issue = services.issue_report(
            order=order, description=_text(request.POST, "description"), cost=cost
        )
    except DomainError as exc:
        return _refused_keeping_input(request, order, exc)
    if issue.status == "authorized":
        messages.success(request, "Issue added: it fits the pre-authorised amount, go ahead.")
    else:
        messages.warning(request, "Issue reported: it waits for the fleet's approval.")
    return redirect_page(request, _back(order))
