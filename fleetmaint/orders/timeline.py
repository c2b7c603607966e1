"""How an order's timeline reads on a page, for the fleet's pages and the servicer portal."""

import json

from django.utils import timezone
from django.utils.dateformat import format as date_format

from fleetmaint.orders import events as servicer_events
from fleetmaint.orders.models import ServiceOrder


def describe_events(order: ServiceOrder) -> None:
    """Gives each timeline entry ``facts``: its body's fields as (label, text), dates
    in the active time zone, without the event's own date (shown as "at ...")."""
    for event in order.events.all():
        shown = servicer_events.DATE_FIELDS.get(event.event, "eventDate")
        event.facts = [
            (label(key), _fact_text(value, _is_date(event.event, key)))
            for key, value in event.body.items()
            if key not in ("event", "notes") and not (key == shown and event.event_date)
        ]


def label(field: str) -> str:
    """A body field's name as a label: ``repairStartedAt`` reads "Repair started at"."""
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in field)
    return words[0].upper() + words[1:]


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
