"""Joining a fleet by invitation: invite, resend, revoke, accept.

An admin invites an e-mail address. The address receives a link holding a
random token; only the token's SHA-256 digest is stored, so the database
alone cannot accept an invitation. The link works once and for
``INVITATION_VALID_DAYS``. Whoever opens it either creates an account (a
username and a password that passes Django's validators) or signs in with the
account they have, and only then becomes a member.

Inviting answers the same whether or not the address has an account
anywhere: nothing about other fleets' people is revealed, and nobody joins a
fleet without accepting.
"""

import hashlib
import logging
import secrets
import smtplib
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from fleetmaint.accounts.models import Invitation, Membership, Organization, Role
from fleetmaint.errors import Conflict, DomainError, NotFound, ValidationFailed
from fleetmaint.links import absolute_url

log = logging.getLogger(__name__)

INVITATION_VALID_DAYS = 7
# Tokens are 43 characters; anything much longer is not one of ours.
TOKEN_MAX_LENGTH = 100


class InvitationUnusable(DomainError):
    """The link was real but can no longer be used: expired, used or revoked."""

    code = "gone"
    status = 410


def token_digest(token: str) -> str:
    # The token carries 256 bits of randomness: a fast digest is enough.
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, token_digest(token)


def clean_email(email: str) -> str:
    """The address as stored: trimmed, lower-case, and one an MTA would take."""
    email = (email or "").strip()
    if not email:
        raise ValidationFailed("Give the e-mail address to send the invitation to.", field="email")
    if len(email) > 254:
        raise ValidationFailed("An e-mail address can be at most 254 characters.", field="email")
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed(f"{email!r} is not an e-mail address.", field="email") from None
    return email.lower()


def _clean_role(role: str) -> str:
    if role not in Role.values:
        raise ValidationFailed(f"Unknown role {role!r}.", field="role")
    return role


def invitation_create(
    *, org: Organization, email: str, role: str, invited_by: AbstractBaseUser | None
) -> Invitation:
    """Invites an address to the fleet and e-mails it a link (after commit).

    Inviting an address that already has an open invitation renews that one:
    a new link, a new expiry, the new role; the old link stops working.
    """
    email = clean_email(email)
    role = _clean_role(role)
    if Membership.objects.filter(org=org, user__email__iexact=email).exists():
        # The admin sees the fleet's members and their addresses on the same page.
        raise Conflict(f"{email} is already a member of {org.name}.", field="email")
    token, digest = _new_token()
    now = timezone.now()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(org=org, email=email, accepted_at=None, revoked_at=None)
            .first()
        )
        if invitation is None:
            try:
                with transaction.atomic():
                    invitation = Invitation.objects.create(
                        org=org,
                        email=email,
                        role=role,
                        invited_by=invited_by,
                        token_digest=digest,
                        expires_at=now + timedelta(days=INVITATION_VALID_DAYS),
                    )
            except IntegrityError:
                raise Conflict(
                    f"{email} was invited a moment ago; see the pending invitations.",
                    field="email",
                ) from None
        else:
            invitation.role = role
            invitation.invited_by = invited_by
            _renew(invitation, digest, now)
        _send_after_commit(invitation, token)
    return invitation


def _renew(invitation: Invitation, digest: str, now) -> None:
    invitation.token_digest = digest
    invitation.expires_at = now + timedelta(days=INVITATION_VALID_DAYS)
    invitation.sent_at = None
    invitation.save(update_fields=["role", "invited_by", "token_digest", "expires_at", "sent_at"])


def _open_invitation(org: Organization, invitation_id: int) -> Invitation:
    invitation = Invitation.objects.select_for_update().filter(org=org, pk=invitation_id).first()
    if invitation is None:
        raise NotFound("That invitation does not exist.")
    if invitation.accepted_at is not None:
        raise Conflict(f"{invitation.email} already accepted the invitation.")
    if invitation.revoked_at is not None:
        raise Conflict(f"The invitation for {invitation.email} was revoked.")
    return invitation


def invitation_resend(
    *, org: Organization, invitation_id: int, actor: AbstractBaseUser | None
) -> Invitation:
    """Sends a fresh link (and a fresh week); the previous link stops working."""
    token, digest = _new_token()
    with transaction.atomic():
        invitation = _open_invitation(org, invitation_id)
        invitation.invited_by = actor or invitation.invited_by
        _renew(invitation, digest, timezone.now())
        _send_after_commit(invitation, token)
    return invitation


def invitation_revoke(*, org: Organization, invitation_id: int) -> Invitation:
    with transaction.atomic():
        invitation = _open_invitation(org, invitation_id)
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


def invitation_for_token(token: str, *, lock: bool = False) -> Invitation:
    """The invitation a link names, or an error saying why the link does not work."""
    token = (token or "").strip()
    if not token or len(token) > TOKEN_MAX_LENGTH or "\x00" in token:
        raise NotFound("This invitation link is not valid.")
    queryset = Invitation.objects.select_related("org")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    invitation = queryset.filter(token_digest=token_digest(token)).first()
    if invitation is None:
        raise NotFound("This invitation link is not valid.")
    return invitation


def ensure_usable(invitation: Invitation) -> None:
    if invitation.revoked_at is not None:
        raise InvitationUnusable(
            "This invitation was withdrawn by the fleet's admin.", code="revoked"
        )
    if invitation.accepted_at is not None:
        raise InvitationUnusable("This invitation has already been used.", code="used")
    if invitation.expires_at <= timezone.now():
        raise InvitationUnusable("This invitation has expired.", code="expired")


def invitation_accept(*, token: str, user: AbstractBaseUser) -> Membership:
    """Makes a signed-in person a member of the inviting fleet.

    Someone who is already a member keeps the role they have. Accepting twice
    (a double-clicked button) answers the same membership again.
    """
    with transaction.atomic():
        invitation = invitation_for_token(token, lock=True)
        if invitation.accepted_by_id is not None and invitation.accepted_by_id == user.pk:
            membership = Membership.objects.filter(org=invitation.org, user=user).first()
            if membership is not None:
                return membership
        ensure_usable(invitation)
        return _join(invitation, user)


def invitation_accept_new_account(
    *, token: str, username: str, password: str
) -> tuple[AbstractBaseUser, Membership]:
    """Creates the invited person's account with their own password, and joins them."""
    user_model = get_user_model()
    with transaction.atomic():
        invitation = invitation_for_token(token, lock=True)
        ensure_usable(invitation)
        if address_has_account(invitation.email):
            raise Conflict(
                f"There is already an account for {invitation.email}: "
                "sign in with it to accept the invitation.",
            )
        username = clean_username(username or invitation.email)
        user = user_model(username=username, email=invitation.email)
        check_password(password, user=user)
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise Conflict("That username is taken; choose another.", field="username") from None
        return user, _join(invitation, user)


def address_has_account(email: str) -> bool:
    return get_user_model().objects.filter(email__iexact=email).exists()


def clean_username(username: str) -> str:
    username = (username or "").strip()
    if not username:
        raise ValidationFailed("Choose a username.", field="username")
    if len(username) > 150:
        raise ValidationFailed("A username can be at most 150 characters.", field="username")
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise ValidationFailed(
            "A username may hold letters, digits and @ . + - _ only.", field="username"
        ) from None
    if get_user_model().objects.filter(username__iexact=username).exists():
        raise Conflict("That username is taken; choose another.", field="username")
    return username


def check_password(password: str, *, user: AbstractBaseUser) -> None:
    """Django's password validators (settings.AUTH_PASSWORD_VALIDATORS), as one error."""
    if not password:
        raise ValidationFailed("Choose a password.", field="password")
    if "\x00" in password:
        raise ValidationFailed("A password cannot contain null characters.", field="password")
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationFailed(" ".join(error.messages), field="password") from None


def _join(invitation: Invitation, user: AbstractBaseUser) -> Membership:
    now = timezone.now()
    claimed = Invitation.objects.filter(pk=invitation.pk, accepted_at=None, revoked_at=None).update(
        accepted_at=now, accepted_by=user
    )
    if claimed != 1:  # pragma: no cover - the row is locked; belt and braces
        raise InvitationUnusable("This invitation has already been used.", code="used")
    membership, _ = Membership.objects.get_or_create(
        org=invitation.org, user=user, defaults={"role": invitation.role}
    )
    # The fleet they just joined is the one their next sign-in opens.
    membership.last_used_at = now
    membership.save(update_fields=["last_used_at"])
    return membership


# --- the e-mail ------------------------------------------------------------------


def invitation_url(token: str) -> str:
    return absolute_url(reverse("invitation", args=[token]))


def build_invitation_email(invitation: Invitation, token: str) -> EmailMultiAlternatives:
    inviter = invitation.invited_by
    context = {
        "org": invitation.org,
        "role": invitation.get_role_display(),
        "inviter": (inviter.get_full_name() or inviter.get_username()) if inviter else None,
        "url": invitation_url(token),
        "expires_at": invitation.expires_at,
        "days": INVITATION_VALID_DAYS,
    }
    email = EmailMultiAlternatives(
        subject=f"[{invitation.org.name}] You are invited to join {invitation.org.name}",
        body=render_to_string("accounts/email/invitation.txt", context),
        to=[invitation.email],
    )
    email.attach_alternative(
        render_to_string("accounts/email/invitation.html", context), "text/html"
    )
    return email


def _send_after_commit(invitation: Invitation, token: str) -> None:
    # The token lives only in this closure and in the e-mail.
    transaction.on_commit(lambda: _send(invitation.pk, token))


def _send(invitation_id: int, token: str) -> None:
    invitation = (
        Invitation.objects.select_related("org", "invited_by")
        .filter(pk=invitation_id, token_digest=token_digest(token))
        .filter(accepted_at=None, revoked_at=None)
        .first()
    )
    if invitation is None:  # renewed or withdrawn before the e-mail went out
        return
    try:
        build_invitation_email(invitation, token).send()
    except (smtplib.SMTPException, OSError) as error:
        # The invitation stays pending without a sent time; the settings page
        # says so and offers to resend.
        log.warning("Invitation %s to %s not sent: %s", invitation.pk, invitation.email, error)
        return
    Invitation.objects.filter(pk=invitation.pk, token_digest=invitation.token_digest).update(
        sent_at=timezone.now()
    )
