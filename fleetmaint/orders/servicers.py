"""Writes about servicers: which fleets they serve, and their API keys."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from fleetmaint.accounts.models import Organization
from fleetmaint.accounts.services import hash_key, new_raw_key
from fleetmaint.errors import PermissionDenied, ValidationFailed
from fleetmaint.orders import queries
from fleetmaint.orders.models import Partnership, Servicer, ServicerApiKey, ServiceType


def servicer_choose(
    org: Organization, servicer_id: int | None, service_type: ServiceType
) -> Servicer:
    """The servicer asked for, or else the only one the fleet works with that offers the type."""
    if servicer_id is not None:
        return queries.servicer_for(org, servicer_id)
    offering = [s for s in queries.servicers_for(org) if s.offers(service_type)]
    label = service_type.replace("_", " ")
    if not offering:
        raise ValidationFailed(
            f"None of the servicers this fleet works with offers {label}.", field="servicer_id"
        )
    if len(offering) > 1:
        raise ValidationFailed(
            f"{len(offering)} servicers offer {label}; choose one with servicer_id.",
            field="servicer_id",
        )
    return offering[0]


def partnerships_choose(*, org: Organization, chosen: set[int]) -> None:
    """The fleet's admin ticks which of the offered servicers it works with, in two statements.

    Only the servicers the fleet is offered (``queries.servicers_offered``) are
    changed; other ids are not the fleet's to pick, and ties to inactive
    servicers are left alone.
    """
    offered = set(queries.servicers_offered(org).values_list("pk", flat=True))
    Partnership.objects.filter(org=org, servicer_id__in=offered - chosen).delete()
    Partnership.objects.bulk_create(
        [Partnership(org=org, servicer_id=pk) for pk in offered & chosen], ignore_conflicts=True
    )


def partnership_link(*, org: Organization, servicer: Servicer) -> None:
    """The operator links a fleet and a servicer, whether or not it takes new fleets."""
    Partnership.objects.get_or_create(org=org, servicer=servicer)


def partnership_set(*, org: Organization, servicer: Servicer, active: bool) -> None:
    """A fleet starts or stops working with a servicer.

    Stopping is always possible; starting only with a servicer the fleet is
    offered (``queries.servicers_offered``, the same rule as
    ``partnerships_choose``): the operator links the others in the admin.
    """
    partners = Partnership.objects.filter(org=org, servicer=servicer)
    if not active:
        partners.delete()
        return
    if partners.exists():
        return
    if not queries.servicers_offered(org).filter(pk=servicer.pk).exists():
        raise PermissionDenied(f"{servicer.name} is not taking new fleets.", field="servicer")
    Partnership.objects.get_or_create(org=org, servicer=servicer)


def servicer_create(
    *,
    name: str,
    service_types: list[str],
    email: str = "",
    phone: str = "",
    currency: str = "EUR",
    auto_accept: bool = False,
    fleets: list[Organization] | None = None,
) -> Servicer:
    """A new servicer offering these types (named the seed's way or ours), linked to fleets."""
    name = name.strip()
    if not name or len(name) > 120:
        raise ValidationFailed("Give the servicer a name of up to 120 characters.", field="name")
    types: list[str] = []
    for given in service_types:
        named = ServiceType.named(given)
        if named is None:
            offered = ", ".join(ServiceType.values)
            raise ValidationFailed(
                f"{given!r} is not a service type; use {offered}.", field="service_types"
            )
        if named not in types:
            types.append(named.value)
    if not types:
        raise ValidationFailed("Name at least one service type.", field="service_types")
    email = email.strip()
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            raise ValidationFailed(f"{email!r} is not an e-mail address.", field="email") from None
    currency = currency.strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ValidationFailed("The currency is a three-letter code such as EUR.", field="currency")
    with transaction.atomic():
        servicer = Servicer.objects.create(
            name=name,
            email=email,
            phone=phone.strip(),
            service_types=types,
            currency=currency,
            auto_accept=auto_accept,
        )
        for org in fleets or []:
            partnership_link(org=org, servicer=servicer)
    return servicer


def servicer_apikey_create(*, servicer: Servicer, name: str) -> tuple[ServicerApiKey, str]:
    name = name.strip()
    if not name or len(name) > 80:
        raise ValidationFailed("Give the key a name of up to 80 characters.", field="name")
    raw = new_raw_key()
    key = ServicerApiKey.objects.create(
        servicer=servicer, name=name, prefix=raw[:10], key_hash=hash_key(raw)
    )
    return key, raw


def servicer_apikeys_revoke(*, keys: list[ServicerApiKey]) -> int:
    """Revokes the keys not revoked yet, in one statement; returns how many it revoked."""
    pks = [key.pk for key in keys]
    return ServicerApiKey.objects.filter(pk__in=pks, revoked_at=None).update(
        revoked_at=timezone.now()
    )


def servicer_authenticate(raw_key: str) -> Servicer | None:
    if not raw_key:
        return None
    key = (
        ServicerApiKey.objects.select_related("servicer")
        .filter(key_hash=hash_key(raw_key.strip()), revoked_at=None, servicer__active=True)
        .first()
    )
    if key is None:
        return None
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ServicerApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key.servicer
