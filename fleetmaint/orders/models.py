"""Servicers, what they charge, quotes, service orders, found issues and servicer events."""

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from fleetmaint.accounts.models import Organization
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.tasks.models import ServiceTask
from fleetmaint.vehicles.models import Vehicle


def covered_total(items) -> Decimal:
    """What contracts pay of these items (uses prefetched items when there are)."""
    return sum((item.total for item in items if item.covered_by_id), Decimal("0.00"))


class ServiceType(models.TextChoices):
    SCHEDULED_MAINTENANCE = "scheduled_maintenance", "Scheduled maintenance"
    REPAIR_DEPOT = "repair_depot", "Depot repair"
    REPAIR_ONSITE = "repair_onsite", "Onsite repair"

    @classmethod
    def named(cls, name: str) -> "ServiceType | None":
        """The type a client names, spelled the seed's way (``repair-depot``) or ours."""
        return _TYPE_NAMES.get(name.strip().lower())


# The seed's names for the service types, and ours.
_TYPE_NAMES = {
    "scheduled-maintenance": ServiceType.SCHEDULED_MAINTENANCE,
    "scheduled_maintenance": ServiceType.SCHEDULED_MAINTENANCE,
    "repair": ServiceType.REPAIR_DEPOT,
    "repair-depot": ServiceType.REPAIR_DEPOT,
    "repair_depot": ServiceType.REPAIR_DEPOT,
    "repair-onsite": ServiceType.REPAIR_ONSITE,
    "repair_onsite": ServiceType.REPAIR_ONSITE,
}


class Servicer(models.Model):
    """A repair shop, depot or mobile technician; it can serve many fleets."""

    name = models.CharField(max_length=120)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    service_types = models.JSONField(default=list, help_text="Which service types it offers.")
    auto_accept = models.BooleanField(
        default=False, help_text="Accept orders at once instead of by hand."
    )
    currency = models.CharField(max_length=3, default="EUR")
    active = models.BooleanField(default=True)
    open_to_new_fleets = models.BooleanField(
        default=False,
        help_text="Any fleet may start working with it from its Servicers page; otherwise "
        "only the operator links fleets to it (Partnerships below).",
    )
    fleets = models.ManyToManyField(
        Organization, through="Partnership", related_name="servicers", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def offers(self, service_type: str) -> bool:
        return service_type in self.service_types

    @property
    def service_type_labels(self) -> list[str]:
        """The service types it offers, in words ("Depot repair"), in the choices' order."""
        offered = set(self.service_types)
        return [label for value, label in ServiceType.choices if value in offered]


class Partnership(models.Model):
    """An organization works with a servicer."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE)
    servicer = models.ForeignKey(Servicer, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "servicer"], name="partnership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.org} ↔ {self.servicer}"


class CatalogItem(models.Model):
    """One line of a servicer's price list."""

    servicer = models.ForeignKey(Servicer, on_delete=models.CASCADE, related_name="catalog")
    code = models.SlugField(max_length=60, help_text="e.g. oil-change")
    name = models.CharField(max_length=120)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    duration_minutes = models.PositiveIntegerField(default=60)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["servicer", "code"], name="catalog_code_unique"),
            models.CheckConstraint(condition=Q(price__gte=0), name="catalog_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class ServicerStaff(models.Model):
    """A user who works for a servicer and uses its portal."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="servicer_staff"
    )
    servicer = models.ForeignKey(Servicer, on_delete=models.CASCADE, related_name="staff")

    class Meta:
        verbose_name_plural = "servicer staff"

    def __str__(self) -> str:
        return f"{self.user} at {self.servicer}"


class ServicerApiKey(models.Model):
    """A servicer's key for the events API; only a digest is stored."""

    servicer = models.ForeignKey(Servicer, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "servicer API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class QuoteStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"


class QuoteQuerySet(models.QuerySet):
    """Quotes as every face must show them: a pending quote past its validity is expired."""

    def with_effective_status(self, now: datetime | None = None) -> "QuoteQuerySet":
        # ``now`` comes from Python, not the database, so moved clocks and the
        # rows agree on what has expired.
        moment = now or timezone.now()
        return self.annotate(
            effective_status=Case(
                When(
                    status=QuoteStatus.PENDING,
                    valid_until__lt=Value(moment),
                    then=Value(QuoteStatus.EXPIRED.value),
                ),
                default=F("status"),
                output_field=models.CharField(),
            )
        )

    def effectively(self, status: str, now: datetime | None = None) -> "QuoteQuerySet":
        """The quotes whose effective status is ``status``."""
        return self.with_effective_status(now).filter(effective_status=status)


class Quote(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="quotes")
    servicer = models.ForeignKey(Servicer, on_delete=models.PROTECT, related_name="quotes")
    service_type = models.CharField(max_length=24, choices=ServiceType.choices)
    pre_authorized = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    estimated_minutes = models.PositiveIntegerField(default=0)
    valid_until = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.PENDING
    )
    intervals = models.ManyToManyField(ServiceInterval, blank=True, related_name="quotes")
    tasks = models.ManyToManyField(ServiceTask, blank=True, related_name="quotes")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = QuoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "status", "created_at"])]

    def __str__(self) -> str:
        return f"Quote {self.pk} for {self.vehicle}"

    @property
    def covered_total(self):
        return covered_total(self.items.all())

    @property
    def payable_total(self):
        return self.total - self.covered_total


class Side(models.TextChoices):
    """Who acts on an order: the fleet that placed it or the servicer doing the work."""

    FLEET = "fleet", "Fleet"
    SERVICER = "servicer", "Servicer"


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    IN_PROGRESS = "in-progress", "In progress"
    DELAYED = "delayed", "Delayed"
    COMPLETED = "completed", "Completed"
    CANCELED = "canceled", "Canceled"
    CLOSED = "closed", "Closed"


class ServiceOrder(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="orders")
    servicer = models.ForeignKey(Servicer, on_delete=models.PROTECT, related_name="orders")
    quote = models.OneToOneField(
        Quote, null=True, blank=True, on_delete=models.SET_NULL, related_name="order"
    )
    service_type = models.CharField(max_length=24, choices=ServiceType.choices)
    pre_authorized = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    status = models.CharField(
        max_length=12, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )
    status_reason = models.CharField(max_length=500, blank=True)
    estimated_completion = models.DateTimeField(null=True, blank=True)
    completion_odometer = models.PositiveIntegerField(null=True, blank=True)
    intervals = models.ManyToManyField(ServiceInterval, blank=True, related_name="orders")
    tasks = models.ManyToManyField(ServiceTask, blank=True, related_name="orders")
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every change.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["org", "status", "created_at"]),
            models.Index(fields=["servicer", "status", "created_at"]),
            # The Orders page, newest first: every order, and the active ones (its default).
            models.Index(fields=["org", "created_at", "id"], name="order_list_idx"),
            models.Index(
                fields=["org", "created_at", "id"],
                name="order_list_active_idx",
                condition=Q(status__in=["pending", "accepted", "in-progress", "delayed"]),
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.pk} ({self.vehicle})"

    @property
    def takes_events(self) -> bool:
        """Seed 001: events are taken once the order is accepted and until it is closed.

        An order canceled after it was accepted is not closed yet (a depot may still
        report handing the vehicle back); one declined while pending was never accepted.
        """
        if self.status == OrderStatus.CANCELED:
            return self.accepted_at is not None
        return self.status in (
            OrderStatus.ACCEPTED,
            OrderStatus.IN_PROGRESS,
            OrderStatus.DELAYED,
            OrderStatus.COMPLETED,
        )

    @property
    def items_total(self):
        return sum((item.total for item in self.items.all()), Decimal("0.00"))

    @property
    def covered_total(self):
        return covered_total(self.items.all())

    @property
    def payable_total(self):
        return self.items_total - self.covered_total


class ItemSource(models.TextChoices):
    QUOTE = "quote", "Quoted"
    FOUND_ISSUE = "issue", "Found issue"


class OrderItem(models.Model):
    """A priced line of a quote or an order."""

    quote = models.ForeignKey(
        Quote, null=True, blank=True, on_delete=models.CASCADE, related_name="items"
    )
    order = models.ForeignKey(
        ServiceOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="items"
    )
    code = models.CharField(max_length=60)
    name = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    duration_minutes = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=6, choices=ItemSource.choices, default=ItemSource.QUOTE)
    covered_by = models.ForeignKey(
        "contracts.VehicleContract",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="covered_items",
        help_text="The contract that pays for this item.",
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quote__isnull=False) | Q(order__isnull=False),
                name="item_belongs_somewhere",
            )
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.name}"


class IssueStatus(models.TextChoices):
    AUTHORIZED = "authorized", "Authorized in advance"
    AWAITING = "awaiting", "Awaiting approval"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


class FoundIssue(models.Model):
    """Extra work the servicer found while the order was in progress."""

    order = models.ForeignKey(ServiceOrder, on_delete=models.CASCADE, related_name="issues")
    description = models.CharField(max_length=500)
    cost = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(max_length=10, choices=IssueStatus.choices)
    reported_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["reported_at", "id"]

    def __str__(self) -> str:
        return self.description


EVENT_KIND_LABELS = {"depot": "at the depot", "onsite": "on site", "other": "servicer note"}


class OrderEvent(models.Model):
    """Something the servicer (or the fleet) reported on an order; the timeline."""

    order = models.ForeignKey(ServiceOrder, on_delete=models.CASCADE, related_name="events")
    event = models.CharField(max_length=80)
    kind = models.CharField(
        max_length=10, help_text="depot, onsite, other, or status for fleetmaint's own entries"
    )
    body = models.JSONField(default=dict)
    notes = models.TextField(blank=True)
    event_date = models.DateTimeField(null=True, blank=True)
    date_received = models.BooleanField(
        default=False,
        help_text="The event came without its date: event_date is when it was received.",
    )
    status_after = models.CharField(max_length=12, blank=True)
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.event

    @property
    def kind_label(self) -> str:
        """Where the event comes from, in words: the seed's depot or onsite events, or
        another name the servicer sent."""
        return EVENT_KIND_LABELS.get(self.kind, self.kind)

    @property
    def status_after_label(self) -> str:
        """The order's status after the event, in words ("in progress")."""
        if self.status_after in OrderStatus.values:
            return OrderStatus(self.status_after).label.lower()
        return self.status_after

    @property
    def label(self) -> str:
        """``repair_started`` as "Repair started", fleetmaint's ``status_delayed`` as "Delayed"."""
        return self.event.removeprefix("status_").replace("_", " ").replace("-", " ").capitalize()
