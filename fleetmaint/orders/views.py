"""Fleet side: quotes, orders and their timeline, servicer choice (asking: quote_views)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from fleetmaint.accounts.access import (
    admin_required,
    get_owned,
    member_required,
)
from fleetmaint.errors import DomainError
from fleetmaint.inputs import clean_text
from fleetmaint.orders import queries, quotes, servicers, services
from fleetmaint.orders.models import (
    FoundIssue,
    OrderItem,
    OrderStatus,
    Quote,
    ServiceOrder,
    Side,
)
from fleetmaint.orders.timeline import describe_events
from fleetmaint.web import redirect_page, render_page

PAGE_SIZE = 25
FLEET_MOVES = {
    "cancel": OrderStatus.CANCELED,
    "close": OrderStatus.CLOSED,
}


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdecimal() and len(v) < 12]


@member_required
def quote_detail(request: HttpRequest, quote_id: int) -> HttpResponse:
    quote = get_owned(
        request,
        Quote.objects.with_effective_status()
        .select_related("vehicle", "servicer")
        .prefetch_related(
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
        order = quotes.quote_accept(quote=quote, actor=request.user)
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
        quotes.quote_decline(quote=quote)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Quote declined.")
    return redirect_page(request, reverse("orders:quote", args=[quote.pk]))


@member_required
def order_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "active")
    page = Paginator(queries.order_list_rows(request.org, status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "status": status,
        "statuses": [("active", "Active"), *OrderStatus.choices, ("all", "All")],
        "query": f"status={status}",
        "quotes": queries.pending_quotes(request.org),
    }
    return render_page(request, "orders/list.html", context, partial="results")


@member_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = get_owned(request, queries.order_detail(ServiceOrder.objects.all()), pk=order_id)
    context = {
        "order": order,
        "authorized": queries.authorized_spend(order),
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
            order=order,
            status=target,
            by=Side.FLEET,
            reason=clean_text(request.POST.get("reason", ""), field="reason"),
            actor=request.user,
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
def servicers_choose(request: HttpRequest) -> HttpResponse:
    """Which servicers the organization works with."""
    if request.method == "POST":
        chosen = set(_ids(request.POST.getlist("servicer")))
        servicers.partnerships_choose(org=request.org, chosen=chosen)
        messages.success(request, "Servicers saved.")
        return redirect("orders:servicers")
    partners = set(request.org.servicers.values_list("pk", flat=True))
    rows = queries.servicers_offered(request.org)
    return render_page(request, "orders/servicers.html", {"servicers": rows, "partners": partners})
