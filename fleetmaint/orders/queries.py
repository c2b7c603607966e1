"""Reads of quotes and orders for the fleet pages, the portal and the API."""

from django.db.models import Prefetch, QuerySet

from fleetmaint.accounts.models import Organization
from fleetmaint.orders.models import OrderEvent, OrderStatus, Quote, ServiceOrder, Servicer

ACTIVE = (OrderStatus.PENDING, OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS, OrderStatus.DELAYED)


def org_orders(org: Organization, status: str = "") -> QuerySet[ServiceOrder]:
    orders = ServiceOrder.objects.filter(org=org).select_related("vehicle", "servicer")
    if status == "active":
        orders = orders.filter(status__in=ACTIVE)
    elif status in OrderStatus.values:
        orders = orders.filter(status=status)
    return orders.prefetch_related("items")


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
