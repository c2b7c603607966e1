"""Writes and rules for organizations, memberships and API keys."""

import hashlib
import secrets
import zoneinfo
from functools import cache

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from fleetmaint.accounts import reactions
from fleetmaint.accounts.models import (
    ApiKey,
    DistanceUnit,
    Membership,
    Organization,
    Role,
    new_calendar_token,
)
from fleetmaint.errors import Conflict, NotFound, ValidationFailed

API_KEY_PREFIX = "fm_"


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _clean_org_fields(
    *, name: str, time_zone: str, currency: str, distance_unit: str, max_daily_distance: int
) -> dict:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Give the organization a name.", field="name")
    if len(name) > 120:
        raise ValidationFailed("The name can be at most 120 characters.", field="name")
    if time_zone not in _time_zones():
        raise ValidationFailed(f"Unknown time zone {time_zone!r}.", field="time_zone")
    currency = (currency or "").strip().upper()
    if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
        raise ValidationFailed(
            "Use a three-letter ISO 4217 currency code, e.g. EUR.", field="currency"
        )
    if distance_unit not in DistanceUnit.values:
        raise ValidationFailed("The distance unit must be km or mi.", field="distance_unit")
    if max_daily_distance < 1:
        raise ValidationFailed(
            "The plausible daily distance must be at least 1.", field="max_daily_distance"
        )
    return {
        "name": name,
        "time_zone": time_zone,
        "currency": currency,
        "distance_unit": distance_unit,
        "max_daily_distance": max_daily_distance,
    }


def org_create(
    *,
    name: str,
    slug: str | None = None,
    time_zone: str = "UTC",
    currency: str = "EUR",
    distance_unit: str = DistanceUnit.KM,
    max_daily_distance: int = 1500,
) -> Organization:
    fields = _clean_org_fields(
        name=name,
        time_zone=time_zone,
        currency=currency,
        distance_unit=distance_unit,
        max_daily_distance=max_daily_distance,
    )
    slug = slugify(slug or fields["name"])[:60]
    if not slug:
        raise ValidationFailed("The slug must contain letters or digits.", field="slug")
    if Organization.objects.filter(slug=slug).exists():
        raise Conflict(f"An organization with the slug {slug!r} already exists.", field="slug")
    return Organization.objects.create(slug=slug, **fields)


def org_update(
    *,
    org: Organization,
    name: str,
    time_zone: str,
    currency: str,
    distance_unit: str,
    max_daily_distance: int,
    contract_warning_days: int | None = None,
    contract_warning_distance: int | None = None,
) -> Organization:
    fields = _clean_org_fields(
        name=name,
        time_zone=time_zone,
        currency=currency,
        distance_unit=distance_unit,
        max_daily_distance=max_daily_distance,
    )
    warnings = {
        "contract_warning_days": contract_warning_days,
        "contract_warning_distance": contract_warning_distance,
    }
    for key, value in warnings.items():
        if value is None:
            continue
        if not 0 <= value <= 100_000:
            raise ValidationFailed(f"{key} must be between 0 and 100,000.", field=key)
        fields[key] = value
    changed = {key for key, value in fields.items() if getattr(org, key) != value}
    with transaction.atomic():
        for key, value in fields.items():
            setattr(org, key, value)
        org.save(update_fields=list(fields))
        # Contracts, for one, move their warning points with the warning settings.
        reactions.settings_changed(org=org, changed=changed)
    return org


def membership_set(*, org: Organization, user: AbstractBaseUser, role: str) -> Membership:
    """Adds the user to the organization, or changes their role there."""
    if role not in Role.values:
        raise ValidationFailed(f"Unknown role {role!r}.", field="role")
    with transaction.atomic():
        membership, created = Membership.objects.select_for_update().get_or_create(
            org=org, user=user, defaults={"role": role}
        )
        if not created and membership.role != role:
            _ensure_an_admin_remains(org, leaving=membership)
            membership.role = role
            membership.save(update_fields=["role"])
    return membership


def membership_remove(*, org: Organization, membership_id: int) -> None:
    with transaction.atomic():
        membership = Membership.objects.filter(org=org, pk=membership_id).first()
        if membership is None:
            raise NotFound("That member does not exist.")
        _ensure_an_admin_remains(org, leaving=membership)
        membership.delete()


def _ensure_an_admin_remains(org: Organization, *, leaving: Membership) -> None:
    if leaving.role != Role.ADMIN:
        return
    admins = Membership.objects.select_for_update().filter(org=org, role=Role.ADMIN)
    if admins.exclude(pk=leaving.pk).count() == 0:
        raise Conflict("An organization needs at least one admin.", field="role")


def membership_choose(*, user: AbstractBaseUser, org_id: int) -> Membership:
    """Makes one of the person's fleets their current one, remembered across sign-ins."""
    membership = Membership.objects.filter(user=user, org_id=org_id).select_related("org").first()
    if membership is None:
        raise NotFound("You are not a member of that organization.")
    membership.last_used_at = timezone.now()
    membership.save(update_fields=["last_used_at"])
    return membership


def new_raw_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(raw_key: str) -> str:
    # API keys carry 256 bits of randomness, so a fast digest is enough: there
    # is nothing to brute-force, and lookups stay a single indexed query.
    return hashlib.sha256(raw_key.encode()).hexdigest()


def apikey_create(
    *,
    org: Organization,
    name: str,
    created_by=None,
    read_only: bool = False,
    readings_only: bool = False,
) -> tuple[ApiKey, str]:
    """Creates a key and returns it with the raw key, which is never stored.

    A readings-only key opens the telematics ingest and nothing else; it
    cannot also be read-only (it writes readings).
    """
    if read_only and readings_only:
        raise ValidationFailed(
            "A readings-only key sends readings, so it cannot be read-only.", field="read_only"
        )
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Give the key a name that says who uses it.", field="name")
    if len(name) > 80:
        raise ValidationFailed("The name can be at most 80 characters.", field="name")
    raw_key = new_raw_key()
    try:
        key = ApiKey.objects.create(
            org=org,
            name=name,
            prefix=raw_key[:10],
            key_hash=hash_key(raw_key),
            read_only=read_only,
            readings_only=readings_only,
            created_by=created_by,
        )
    except IntegrityError:  # pragma: no cover - a 256-bit collision
        raise Conflict("Could not create a unique key; try again.") from None
    return key, raw_key


def apikey_revoke(*, org: Organization, key_id: int) -> ApiKey:
    key = ApiKey.objects.filter(org=org, pk=key_id).first()
    if key is None:
        raise NotFound("That API key does not exist.")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def apikey_authenticate(raw_key: str) -> ApiKey | None:
    """Returns the active key for a raw key, recording its use, or None."""
    if not raw_key:
        return None
    key = (
        ApiKey.objects.select_related("org")
        .filter(key_hash=hash_key(raw_key.strip()), revoked_at=None)
        .first()
    )
    if key is None:
        return None
    now = timezone.now()
    # Record use at most once a minute so a busy integration does not write per request.
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def calendar_token_rotate(org: Organization) -> str:
    """Gives the organization a new calendar feed secret; the old feed URL then 404s."""
    org.calendar_token = new_calendar_token()
    org.save(update_fields=["calendar_token"])
    return org.calendar_token
