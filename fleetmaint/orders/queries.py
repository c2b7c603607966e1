"""Reads of quotes and orders for the fleet pages, the portal and the API."""

from django.db.models import Prefetch, Q, QuerySet

from fleetmaint.accounts.models import Organization
from fleetmaint.orders.models import (
    OrderEvent,
    OrderStatus,
    Quote,
    QuoteStatus,
    ServiceOrder,
    Servicer,
)

ACTIVE = (OrderStatus.PENDING, OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS, OrderStatus.DELAYED)


def org_orders(org: Organization, status: str = "") -> QuerySet[ServiceOrder]:
    orders = ServiceOrder.objects.filter(org=org).select_related("vehicle", "servicer")
    if status == "active":
        orders = orders.filter(status__in=ACTIVE)
    elif status in OrderStatus.values:
        orders = orders.filter(status=status)
    return orders.prefetch_related("items")


def order_list_rows(org: Organization, status: str = "") -> QuerySet[ServiceOrder]:
    """The Orders page's rows: what the table shows, newest first, without their items."""
    return org_orders(org, status).prefetch_related(None).order_by("-created_at", "-id")


def pending_quotes(org: Organization, limit: int = 10) -> list[Quote]:
    """The newest quotes waiting for the fleet's answer; their total is stored on the quote."""
    return list(
        org_quotes(org)
        .filter(status=QuoteStatus.PENDING)
        .prefetch_related(None)
        .order_by("-created_at", "-id")[:limit]
    )


def servicers_offered(org: Organization) -> QuerySet[Servicer]:
    """The servicers a fleet's admin sees: those it works with, and those open to new fleets."""
    return (
        Servicer.objects.filter(active=True)
        .filter(Q(open_to_new_fleets=True) | Q(partnership__org=org))
        .distinct()
        .prefetch_related("catalog")
    )


def servicer_orders(servicer: Servicer, status: str = "") -> QuerySet[ServiceOrder]:
    orders = ServiceOrder.objects.filter(servicer=servicer).select_related("vehicle", "org")
    if status == "active":
        orders = orders.filter(status__in=ACTIVE)
    elif status in OrderStatus.values:
        orders = orders.filter(status=status)
    return orders.prefetch_related("items")


def order_detail(queryset: QuerySet[ServiceOrder]) -> QuerySet[ServiceOrder]:
    return queryset.select_related("vehicle", "servicer", "org", "quote").prefetch_related(
        "items",
        "issues",
        "intervals",
        "tasks",
        Prefetch("events", queryset=OrderEvent.objects.select_related("by_user")),
    )


def org_quotes(org: Organization) -> QuerySet[Quote]:
    return (
        Quote.objects.filter(org=org)
        .select_related("vehicle", "servicer")
        .prefetch_related("items")
    )
