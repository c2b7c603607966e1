"""Warranties, service plans and other contracts per vehicle (seed 002).

Besides the dates and distances as given, each contract keeps the absolute
thresholds on the vehicle's odometer and the calendar at which it starts to
warn and at which it ends, so the sweep and readings find them in SQL.
"""

from django.db import models
from django.db.models import Q

from fleetmaint.accounts.models import Organization
from fleetmaint.vehicles.models import Vehicle


class ContractType(models.TextChoices):
    MANUFACTURER_WARRANTY = "manufacturer_warranty", "Manufacturer warranty"
    EXTENDED_WARRANTY = "extended_warranty", "Extended warranty"
    SERVICE_PLAN = "service_plan", "Service plan"
    MAINTENANCE_CONTRACT = "maintenance_contract", "Maintenance contract"
    ROADSIDE_ASSISTANCE = "roadside_assistance", "Roadside assistance"
    OTHER = "other", "Other"


class ContractStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"


class VehicleContract(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="contracts")
    contract_type = models.CharField(max_length=24, choices=ContractType.choices)
    number = models.CharField(max_length=60)
    provider = models.CharField(max_length=120, blank=True)
    description = models.CharField(max_length=255, blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    start_odometer = models.PositiveIntegerField(null=True, blank=True)
    distance_limit = models.PositiveIntegerField(null=True, blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    covered_services = models.JSONField(
        default=list, blank=True, help_text="Catalogue codes (oil-change) and free text."
    )
    terms = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=ContractStatus.choices, default=ContractStatus.ACTIVE
    )
    cancel_reason = models.CharField(max_length=500, blank=True)

    # Thresholds derived from the above and the organization's warning settings.
    ends_at_odometer = models.PositiveIntegerField(null=True, blank=True)
    warn_at_odometer = models.PositiveIntegerField(null=True, blank=True)
    warn_from_date = models.DateField(null=True, blank=True)
    cycle = models.PositiveIntegerField(default=1)
    expiring_told = models.BooleanField(default=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["end_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "number"], name="contract_number_unique"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="contract_ends_after_it_starts",
            ),
        ]
        indexes = [
            models.Index(fields=["org", "status", "end_date"]),
            models.Index(fields=["vehicle", "status"]),
            # The date sweep: active contracts not yet warned of, by their warning date.
            models.Index(
                fields=["warn_from_date"],
                name="contract_warn_sweep_idx",
                condition=Q(status="active", expiring_told=False),
            ),
            # The dashboard's count of contracts ending soon: those already warned of.
            models.Index(
                fields=["org"],
                name="contract_told_expiring_idx",
                condition=Q(status="active", expiring_told=True),
            ),
            # The Contracts page by end date: all, by status (and expiring), by type.
            models.Index(fields=["org", "end_date", "id"], name="contract_list_idx"),
            models.Index(
                fields=["org", "status", "end_date", "id"], name="contract_list_status_idx"
            ),
            models.Index(
                fields=["org", "contract_type", "end_date", "id"], name="contract_list_type_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_contract_type_display()} {self.number}"


class ContractDocument(models.Model):
    contract = models.ForeignKey(
        VehicleContract, on_delete=models.CASCADE, related_name="documents"
    )
    file = models.FileField(upload_to="contract-documents/%Y/%m/")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name
