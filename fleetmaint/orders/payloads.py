"""The order as webhooks carry it (``data.order`` of ``service.created/updated/completed``)."""

from fleetmaint.orders.models import ServiceOrder


def order_payload(order: ServiceOrder) -> dict:
    return {
        "id": order.pk,
        "vehicle_id": order.vehicle_id,
        "servicer": {"id": order.servicer_id, "name": order.servicer.name},
        "type": order.service_type,
        "status": order.status,
        "status_reason": order.status_reason,
        "preAuthorized": str(order.pre_authorized),
        "items": [
            {"code": i.code, "name": i.name, "quantity": i.quantity, "total": str(i.total)}
            for i in order.items.all()
        ],
        "estimatedCompletion": (
            order.estimated_completion.isoformat() if order.estimated_completion else None
        ),
    }
