"""The servicer portal: only the orders sent to the signed-in user's servicer."""

import json
import zoneinfo
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from fleetmaint.errors import DomainError, ValidationFailed
from fleetmaint.orders import events as servicer_events
from fleetmaint.orders import queries, services
from fleetmaint.orders.models import OrderStatus, ServiceOrder
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
    order = _order(request, order_id)
    context = {
        "order": order,
        "servicer": request.servicer,
        "side": "servicer",
        "authorized": services.authorized_spend(order),
        "event_forms": _event_forms(order),
    }
    describe_events(order)
    return render_page(request, "portal/detail.html", context)


def describe_events(order: ServiceOrder) -> None:
    """Gives each timeline entry ``facts``: its body's fields as (label, text), dates
    in the active time zone, without the event's own date (shown as "at ...")."""
    for event in order.events.all():
        shown = servicer_events.DATE_FIELDS.get(event.event, "eventDate")
        event.facts = [
            (_label(key), _fact_text(value, _is_date(event.event, key)))
            for key, value in event.body.items()
            if key not in ("event", "notes") and not (key == shown and event.event_date)
        ]


def _is_date(event: str, field: str) -> bool:
    specs = servicer_events.DEPOT_EVENTS.get(event) or servicer_events.ONSITE_EVENTS.get(event)
    kind = (specs or servicer_events.OTHER_FIELDS).get(field)
    return kind in (servicer_events.NUMBER, servicer_events.NUMBERS)


def _fact_text(value: object, is_date: bool) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if is_date and isinstance(value, int | float):
        moment = timezone.localtime(servicer_events.to_datetime(value))
        return date_format(moment, "Y-m-d H:i")
    if is_date and isinstance(value, list):
        return ", ".join(_fact_text(v, True) for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _event_forms(order: ServiceOrder) -> list[dict]:
    return [
        {
            "name": name,
            "label": name.replace("_", " ").capitalize(),
            "fields": [{"name": f, "type": t, "label": _label(f)} for f, t in fields.items()],
        }
        for name, fields in servicer_events.events_for(order.service_type).items()
    ]


def _label(field: str) -> str:
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in field)
    return words[0].upper() + words[1:]


def _back(order: ServiceOrder) -> str:
    return reverse("orders:portal-order", args=[order.pk])


def _refused(request: HttpRequest, order: ServiceOrder, error: DomainError) -> HttpResponse:
    messages.error(request, error.message)
    return redirect_page(request, _back(order))


@servicer_required
@require_POST
def accept(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    accepted = request.POST.get("accepted") == "true"
    try:
        services.order_accept(
            order=order,
            accepted=accepted,
            reason=request.POST.get("reason", ""),
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
            reason=request.POST.get("reason", ""),
            odometer=request.POST.get("odometer") or None,
            actor=request.user,
        )
    except DomainError as exc:
        return _refused(request, order, exc)
    messages.success(request, f"Order {order.pk} is now {target}.")
    return redirect_page(request, _back(order))


def _timestamp(raw: str, field: str) -> float:
    moment = parse_datetime(raw.strip()) if raw.strip() else None
    if moment is None:
        raise ValidationFailed(f"{_label(field)} must be a date and time.", field=field)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.timestamp()


def _event_body(post, order: ServiceOrder) -> dict:
    """The form's values as the typed JSON body the API takes."""
    event = post.get("event", "").strip()
    if event == "other":
        event = post.get("other_name", "").strip()
    body: dict = {"event": event}
    fields = servicer_events.events_for(order.service_type).get(event)
    specs = fields if fields is not None else servicer_events.OTHER_FIELDS
    for field, kind in specs.items():
        raw = post.get(field, "")
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
            try:
                body[field] = json.loads(raw)
            except ValueError:
                raise ValidationFailed(f"{_label(field)} must be JSON.", field=field) from None
    if post.get("notes", "").strip():
        body["notes"] = post["notes"].strip()
    return body


@servicer_required
@require_POST
def post_event(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    try:
        stored = services.event_post(
            order=order, body=_event_body(request.POST, order), actor=request.user
        )
    except DomainError as exc:
        return _refused(request, order, exc)
    messages.success(request, f"Posted {stored.event.replace('_', ' ')}.")
    return redirect_page(request, _back(order))


@servicer_required
@require_POST
def report_issue(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    try:
        issue = services.issue_report(
            order=order,
            description=request.POST.get("description", ""),
            cost=request.POST.get("cost") or None,
        )
    except DomainError as exc:
        return _refused(request, order, exc)
    if issue.status == "authorized":
        messages.success(request, "Issue added: it fits the pre-authorised amount, go ahead.")
    else:
        messages.warning(request, "Issue reported: it waits for the fleet's approval.")
    return redirect_page(request, _back(order))
