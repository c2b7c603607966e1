"""Phone numbers in international form, and SMS texts that fit a few segments."""

import phonenumbers
from django.conf import settings

from fleetmaint.errors import ValidationFailed

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€")


def normalize_phone(raw: str, *, field: str = "phone") -> str:
    """``raw`` as E.164 (+4915112345678), or a ValidationFailed naming ``field``."""
    raw = (raw or "").strip()
    region = getattr(settings, "SMS_DEFAULT_REGION", None)
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationFailed(
            f"{raw!r} is not a valid phone number; write it in international form, "
            "e.g. +49 151 12345678.",
            field=field,
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def fit_sms(text: str, *, max_segments: int = 2) -> str:
    """Shortens ``text`` so it travels in at most ``max_segments`` concatenated SMS.

    GSM-7 texts carry 153 characters per segment (extended characters count
    twice); anything else is sent as UCS-2 with 67 per segment.
    """
    text = " ".join(text.split())
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text):
        limit = 160 if max_segments == 1 else 153 * max_segments
        cost = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        if cost <= limit:
            return text
        return _cut(text, limit, lambda ch: 2 if ch in GSM7_EXTENDED else 1)
    limit = 70 if max_segments == 1 else 67 * max_segments
    if len(text) <= limit:
        return text
    return _cut(text, limit, lambda ch: 1)


def _cut(text: str, limit: int, cost) -> str:
    budget = limit - 1  # room for the ellipsis
    out = []
    for ch in text:
        budget -= cost(ch)
        if budget < 0:
            break
        out.append(ch)
    return "".join(out).rstrip() + "…"
