"""``{% load events %}``: notification events and deliveries in people's words.

- ``{{ event.name|event_label }}``: ``task.expired`` as "Task overdue".
- ``{{ message.next_attempt_at|next_try }}``: "next try in 5 minutes", "next try in
  under a minute" or "retrying now", where ``timeuntil`` said "0 minutes".
"""

from django import template
from django.utils import timezone
from django.utils.timesince import timeuntil

from fleetmaint.notifications.models import event_label as _event_label

register = template.Library()


@register.filter
def event_label(name: str) -> str:
    return _event_label(name)


@register.filter
def next_try(moment) -> str:
    """When a failed delivery is tried again: "next try in 5 minutes", never "in 0 minutes"."""
    if moment is None:
        return ""
    left = (moment - timezone.now()).total_seconds()
    if left <= 0:
        return "retrying now"
    if left < 60:
        return "next try in under a minute"
    return f"next try in {timeuntil(moment)}"
