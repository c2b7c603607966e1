"""``{% load words %}``: what pages show people in place of codes and bare numbers.

- ``{% icon "file" %}``: a small inline SVG line icon (``file``, ``repeat``), in the
  text's colour. Emoji and symbol glyphs (📎, ↻) show as empty boxes where no such
  font is installed; the icon is decorative, the words beside it say what it means.
- ``{{ amount|money:currency }}``: "1,234.50 EUR", or a dash when there is no amount;
  a task without a cost is not a task that costs "0.00 EUR".

Notification events have their own words in ``{% load events %}`` (notifications).
"""

from decimal import Decimal, InvalidOperation

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_PATHS = {
    "file": '<path d="M10.5 4.5V11a2.5 2.5 0 0 1-5 0V3.75a1.75 1.75 0 0 1 3.5 0v6.75'
    'a.75.75 0 0 1-1.5 0V5"/>',
    "repeat": '<path d="M13.25 8A5.25 5.25 0 1 1 11.7 4.3"/><path d="M12.25 1.75v2.75H9.5"/>',
}
NO_AMOUNT = "—"


@register.simple_tag
def icon(name: str) -> SafeString:
    return mark_safe(  # fixed markup: no text from a request or a row
        '<svg class="icon" aria-hidden="true" focusable="false" viewBox="0 0 16 16" '
        'width="1em" height="1em" fill="none" stroke="currentColor" stroke-width="1.5" '
        f'stroke-linecap="round" stroke-linejoin="round">{_PATHS[name]}</svg>'
    )


@register.filter
def money(amount, currency: str = "") -> str:
    """The amount with two places, grouped, and its currency; a dash when there is none."""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, TypeError, ValueError):
        return NO_AMOUNT
    if amount is None or not value:
        return NO_AMOUNT
    text = intcomma(f"{value:.2f}", use_l10n=False)
    return f"{text} {currency}".strip()
