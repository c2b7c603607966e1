"""Organizations (fleets), who belongs to them in which role, and API keys."""

import secrets

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models


class DistanceUnit(models.TextChoices):
    KM = "km", "Kilometres"
    MI = "mi", "Miles"


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    ADVISOR = "advisor", "Advisor"
    VIEWER = "viewer", "Viewer"


WRITE_ROLES = frozenset({Role.ADMIN, Role.ADVISOR})


def new_calendar_token() -> str:
    """The secret in an organization's calendar feed URL (192 bits)."""
    return secrets.token_urlsafe(24)


class Organization(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    currency = models.CharField(
        max_length=3,
        default="EUR",
        validators=[RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code, e.g. EUR.")],
    )
    distance_unit = models.CharField(
        max_length=2, choices=DistanceUnit.choices, default=DistanceUnit.KM
    )
    max_daily_distance = models.PositiveIntegerField(
        default=1500,
        validators=[MinValueValidator(1)],
        help_text="A reading implying more than this per day (in the vehicle's unit) "
        "must be confirmed, so a typo does not make every reminder overdue.",
    )
    generate_presets_for_new_vehicles = models.BooleanField(
        default=False, help_text="Give every new vehicle the preset service intervals."
    )
    generate_presets_on_first_reading = models.BooleanField(
        default=False,
        help_text="Give a vehicle the preset intervals when it gets its first odometer reading.",
    )
    contract_warning_days = models.PositiveIntegerField(
        default=30, help_text="Warn this many days before a contract ends."
    )
    contract_warning_distance = models.PositiveIntegerField(
        default=1000, help_text="Warn when less than this distance of a contract remains."
    )
    calendar_token = models.CharField(
        max_length=64,
        unique=True,
        default=new_calendar_token,
        editable=False,
        help_text="The secret in the calendar feed's URL; rotating it retires the old URL.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the person last chose this fleet; their next sign-in opens it.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "org"], name="membership_user_org_unique")
        ]
        ordering = ["org__name"]

    def __str__(self) -> str:
        return f"{self.user} in {self.org} ({self.role})"

    @property
    def can_write(self) -> bool:
        return self.role in WRITE_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class ApiKey(models.Model):
    """A key for machines. Only a SHA-256 digest is stored; the key is shown once."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise the key.")
    key_hash = models.CharField(max_length=64, unique=True)
    read_only = models.BooleanField(default=False)
    readings_only = models.BooleanField(
        "readings only",
        default=False,
        help_text="Only sends meter readings (telematics ingest); refused everywhere else.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Invitation(models.Model):
    """An offer to join a fleet, sent by e-mail as a single-use, expiring link.

    Only a SHA-256 digest of the link's token is stored: the token itself is
    in the e-mail and nowhere else. The person becomes a member only when they
    accept (a new account with its own password, or their existing one).
    """

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.ADVISOR)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    token_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the e-mail with the current link went out."
    )
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One open invitation per address and fleet: inviting again resends it.
            models.UniqueConstraint(
                fields=["org", "email"],
                condition=models.Q(accepted_at=None, revoked_at=None),
                name="invitation_one_open_per_org_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.org} ({self.role})"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None
