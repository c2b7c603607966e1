"""Quotes and service orders listed from rows: the shapes of ``QuoteOut`` and ``OrderOut``.

A page reads its quotes or orders with their vehicle and servicer in one
statement, then the items (and an order's found issues) of the whole page in
one statement each, so a page of 500 costs what a page of 5 costs.
"""

from collections import defaultdict
from decimal import Decimal

from django.db.models import QuerySet

from fleetmaint.orders.models import FoundIssue, OrderItem, Quote, ServiceOrder

_REFS = (
    "vehicle_id",
    "vehicle__label",
    "vehicle__vehicle_key",
    "vehicle__vin",
    "servicer_id",
    "servicer__name",
)
_ITEM_FIELDS = ("code", "name", "quantity", "unit_price", "total")
# The contract an item is covered by, read in the items' own statement.
_COVER_FIELDS = ("covered_by_id", "covered_by__number", "covered_by__contract_type")
_ISSUE_FIELDS = ("id", "order_id", "description", "cost", "status", "reported_at", "decided_at")


def _refs(row: dict) -> tuple[dict, dict]:
    vehicle = {
        "id": row["vehicle_id"],
        "label": row["vehicle__label"],
        "vehicle_key": row["vehicle__vehicle_key"],
        "vin": row["vehicle__vin"],
    }
    return vehicle, {"id": row["servicer_id"], "name": row["servicer__name"]}


def _items_by(owner: str, ids: list[int]) -> dict[int, list[dict]]:
    """The items of these quotes or orders (``owner`` names the key), in their own order."""
    found: dict[int, list[dict]] = defaultdict(list)
    if ids:
        rows = OrderItem.objects.filter(**{f"{owner}__in": ids}).order_by("id")
        for row in rows.values(owner, *_ITEM_FIELDS, *_COVER_FIELDS):
            contract_id = row.pop("covered_by_id")
            number, kind = row.pop("covered_by__number"), row.pop("covered_by__contract_type")
            row["covered_by"] = (
                {"id": contract_id, "number": number, "contract_type": kind}
                if contract_id is not None
                else None
            )
            found[row.pop(owner)].append(row)
    return found


def _covered(items: list[dict]) -> Decimal:
    """What contracts pay of these item rows (``orders.models.covered_total`` for rows)."""
    return sum((item["total"] for item in items if item["covered_by"]), Decimal("0.00"))


def quote_items(quotes: QuerySet[Quote]) -> list[dict]:
    """A page of quotes in QuoteOut's shape; ``quotes`` carry their effective status."""
    rows = list(
        quotes.values(
            "id",
            "effective_status",
            "service_type",
            *_REFS,
            "estimated_minutes",
            "total",
            "pre_authorized",
            "valid_until",
            "created_at",
            "order__id",
        )
    )
    items = _items_by("quote_id", [row["id"] for row in rows])
    answer = []
    for row in rows:
        vehicle, servicer = _refs(row)
        quote_items = items.get(row["id"], [])
        covered = _covered(quote_items)
        answer.append(
            {
                "id": row["id"],
                "status": row["effective_status"],
                "type": row["service_type"],
                "vehicle": vehicle,
                "servicer": servicer,
                "estimatedTime": row["estimated_minutes"],
                "total": row["total"],
                "covered_total": covered,
                "payable_total": row["total"] - covered,
                "items": quote_items,
                "preAuthorized": row["pre_authorized"],
                "validUntil": row["valid_until"],
                "createdAt": row["created_at"],
                "order_id": row["order__id"],
            }
        )
    return answer


def _issues_by_order(ids: list[int]) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = defaultdict(list)
    if ids:
        for row in FoundIssue.objects.filter(order_id__in=ids).values(*_ISSUE_FIELDS):
            row["reportedAt"] = row.pop("reported_at")
            row["decidedAt"] = row.pop("decided_at")
            found[row["order_id"]].append(row)
    return found


def order_items(orders: QuerySet[ServiceOrder]) -> list[dict]:
    """A page of service orders in OrderOut's shape."""
    rows = list(
        orders.values(
            "id",
            "quote_id",
            "service_type",
            *_REFS,
            "status",
            "status_reason",
            "pre_authorized",
            "estimated_completion",
            "completion_odometer",
            "version",
            "created_at",
            "updated_at",
            "accepted_at",
            "completed_at",
        )
    )
    ids = [row["id"] for row in rows]
    items, issues = _items_by("order_id", ids), _issues_by_order(ids)
    answer = []
    for row in rows:
        vehicle, servicer = _refs(row)
        order_items = items.get(row["id"], [])
        total = sum((item["total"] for item in order_items), Decimal("0.00"))
        covered = _covered(order_items)
        answer.append(
            {
                "id": row["id"],
                "quote_id": row["quote_id"],
                "type": row["service_type"],
                "vehicle": vehicle,
                "servicer": servicer,
                "status": row["status"],
                "status_reason": row["status_reason"],
                "preAuthorized": row["pre_authorized"],
                # ServiceOrder.items_total: every item, found issues included.
                "total": total,
                "covered_total": covered,
                "payable_total": total - covered,
                "items": order_items,
                "issues": issues.get(row["id"], []),
                "estimatedCompletion": row["estimated_completion"],
                "completionOdometer": row["completion_odometer"],
                "version": row["version"],
                "createdAt": row["created_at"],
                "updatedAt": row["updated_at"],
                "acceptedAt": row["accepted_at"],
                "completedAt": row["completed_at"],
            }
        )
    return answer
