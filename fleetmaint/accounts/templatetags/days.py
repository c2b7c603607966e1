"""``{% load days %}``: how far a date is, in calendar days of the organization's zone.

``{{ moment|due_text }}`` counts from today in the active time zone (the
organization's on every page, see ``OrganizationMiddleware``);
``{{ count|days_text }}`` words a count ``fleetmaint.days.days_until`` gave.
"""

from django import template
from django.utils import timezone

from fleetmaint import days

register = template.Library()


@register.filter
def days_text(count: int | None) -> str:
    return days.days_text(count)


@register.filter
def due_text(when) -> str:
    return days.due_text(when, timezone.get_current_timezone())
