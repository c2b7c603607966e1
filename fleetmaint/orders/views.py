"""Fleet side: quotes from the Due page, orders and their timeline, servicer choice."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from fleetmaint.accounts.access import (
    admin_required,
    ensure_can_write,
    get_owned,
    member_required,
)
from fleetmaint.errors import DomainError
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.orders import queries, services
from fleetmaint.orders.models import (
    FoundIssue,
    OrderItem,
    OrderStatus,
    Quote,
    ServiceOrder,
    Servicer,
    ServiceType,
)
from fleetmaint.orders.portal import describe_events
from fleetmaint.tasks.models import ServiceTask
from fleetmaint.vehicles.models import Vehicle
from fleetmaint.web import INVALID, redirect_page, render_page

PAGE_SIZE = 25
FLEET_MOVES = {
    "cancel": OrderStatus.CANCELED,
    "close": OrderStatus.CLOSED,
}


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdecimal() and len(v) < 12]


@member_required
def quote_new(request: HttpRequest) -> HttpResponse:
    """Asks a servicer for a quote for the due work selected on one vehicle."""
    if request.method == "POST":
        ensure_can_write(request)  # a viewer's post is refused whatever it selected
    source = request.POST if request.method == "POST" else request.GET
    interval_ids = _ids(source.getlist("interval"))
    task_ids = _ids(source.getlist("task"))
    chosen_intervals = list(
        ServiceInterval.objects.filter(
            org=request.org, pk__in=interval_ids, serviced_at=None
        ).select_related("vehicle")
    )
    chosen_tasks = list(
        ServiceTask.objects.filter(org=request.org, pk__in=task_ids)
        .exclude(status="done")
        .select_related("vehicle")
    )
    vehicle_ids = {i.vehicle_id for i in chosen_intervals} | {t.vehicle_id for t in chosen_tasks}
    error = ""
    if not vehicle_ids:
        error = "Select the due work of one vehicle first."
    elif len(vehicle_ids) > 1:
        error = "Select the work of one vehicle at a time: a quote is for one vehicle."
    vehicle = Vehicle.objects.filter(pk=next(iter(vehicle_ids))).first() if not error else None
    servicers = list(services.servicers_for(request.org))
    context = {
        "intervals": chosen_intervals,
        "tasks": chosen_tasks,
        "vehicle": vehicle,
        "servicers": servicers,
        "service_types": ServiceType.choices,
        "error": error,
        "values": source,
    }
    if request.method == "POST" and not error:
        try:
            servicer = services.servicer_for(request.org, source.get("servicer"))
            quote = services.quote_create(
                org=request.org,
                vehicle=vehicle,
                servicer=servicer,
                service_type=source.get("type", ServiceType.SCHEDULED_MAINTENANCE),
                items=services.items_for_due_work(servicer, chosen_intervals, chosen_tasks),
                pre_authorized=source.get("pre_authorized") or 0,
                interval_ids=[i.pk for i in chosen_intervals],
                task_ids=[t.pk for t in chosen_tasks],
                actor=request.user,
            )
        except DomainError as exc:
            context["error"] = exc.message
        else:
            messages.success(request, f"Quote {quote.pk} from {servicer.name} is ready.")
            return redirect_page(request, reverse("orders:quote", args=[quote.pk]))
    status = INVALID if request.method == "POST" or error else 200
    return render_page(request, "orders/quote_new.html", context, status=status)


@member_required
def quote_detail(request: HttpRequest, quote_id: int) -> HttpResponse:
    quote = get_owned(
        request,
        Quote.objects.select_related("vehicle", "servicer").prefetch_related(
            Prefetch("items", queryset=OrderItem.objects.select_related("covered_by")),
            "intervals",
            "tasks",
        ),
        pk=quote_id,
    )
    order = ServiceOrder.objects.filter(quote=quote).first()
    return render_page(request, "orders/quote.html", {"quote": quote, "order": order})


@member_required
@require_POST
def quote_accept(request: HttpRequest, quote_id: int) -> HttpResponse:
    quote = get_owned(request, Quote.objects.all(), write=True, pk=quote_id)
    try:
        order = services.quote_accept(quote=quote, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect_page(request, reverse("orders:quote", args=[quote.pk]))
    messages.success(request, f"Order {order.pk} placed with {order.servicer.name}.")
    return redirect_page(request, reverse("orders:detail", args=[order.pk]))


@member_required
@require_POST
def quote_decline(request: HttpRequest, quote_id: int) -> HttpResponse:
    quote = get_owned(request, Quote.objects.all(), write=True, pk=quote_id)
    try:
        services.quote_decline(quote=quote)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Quote declined.")
    return redirect_page(request, reverse("orders:quote", args=[quote.pk]))


@member_required
def order_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "active")
    page = Paginator(queries.org_orders(request.org, status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "status": status,
        "statuses": [("active", "Active"), *OrderStatus.choices, ("all", "All")],
        "query": f"status={status}",
        "quotes": queries.org_quotes(request.org).filter(status="pending")[:10],
    }
    return render_page(request, "orders/list.html", context, partial="results")


@member_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = get_owned(request, queries.order_detail(ServiceOrder.objects.all()), pk=order_id)
    context = {
        "order": order,
        "authorized": services.authorized_spend(order),
        "side": "fleet",
    }
    describe_events(order)
    return render_page(request, "orders/detail.html", context, partial="order")


@member_required
@require_POST
def order_move(request: HttpRequest, order_id: int, action: str) -> HttpResponse:
    order = get_owned(request, ServiceOrder.objects.all(), write=True, pk=order_id)
    target = FLEET_MOVES.get(action)
    if target is None:
        return HttpResponse(status=404)
    try:
        services.order_set_status(
            order=order, status=target, reason=request.POST.get("reason", ""), actor=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Order {order.pk} is {target}.")
    return redirect_page(request, reverse("orders:detail", args=[order.pk]))


@member_required
@require_POST
def issue_decide(request: HttpRequest, order_id: int, issue_id: int) -> HttpResponse:
    order = get_owned(request, ServiceOrder.objects.all(), write=True, pk=order_id)
    issue = FoundIssue.objects.filter(order=order, pk=issue_id).first()
    if issue is None:
        return HttpResponse(status=404)
    approve = request.POST.get("decision") == "approve"
    try:
        services.issue_decide(issue=issue, approve=approve, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Issue approved." if approve else "Issue declined.")
    return redirect_page(request, reverse("orders:detail", args=[order.pk]))


@admin_required
def servicers(request: HttpRequest) -> HttpResponse:
    """Which servicers the organization works with."""
    if request.method == "POST":
        chosen = set(_ids(request.POST.getlist("servicer")))
        for servicer in Servicer.objects.filter(active=True):
            services.partnership_set(
                org=request.org, servicer=servicer, active=servicer.pk in chosen
            )
        messages.success(request, "Servicers saved.")
        return redirect("orders:servicers")
    partners = set(request.org.servicers.values_list("pk", flat=True))
    rows = Servicer.objects.filter(active=True).prefetch_related("catalog")
    return render_page(request, "orders/servicers.html", {"servicers": rows, "partners": partners})
