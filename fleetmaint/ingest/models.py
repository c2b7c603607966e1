"""What the telematics ingest could not store, kept for someone to look at."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from fleetmaint.accounts.models import Organization


class Resolution(models.TextChoices):
    RECORDED = "recorded", "Recorded"
    DISMISSED = "dismissed", "Dismissed"


class IngestIssue(models.Model):
    """A tracker's reading that was not stored: an implausible jump, a value going back.

    Readings from trackers arrive without anyone to confirm a jump, so a jump
    is held here instead of stored; the admin lists them so a person can check
    the vehicle and record the held reading if it is right, or dismiss it
    (``fleetmaint.ingest.review``). An issue stays open until then.
    """

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="ingest_issues")
    vehicle = models.ForeignKey(
        "vehicles.Vehicle",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="ingest_issues",
    )
    device = models.CharField(
        max_length=64, blank=True, help_text="How the feed named the vehicle."
    )
    odometer = models.PositiveIntegerField(
        null=True, blank=True, help_text="In the vehicle's distance unit."
    )
    engine_hours = models.DecimalField(max_digits=9, decimal_places=1, null=True, blank=True)
    recorded_at = models.DateTimeField(help_text="When the tracker took the reading.")
    code = models.CharField(max_length=40)
    field = models.CharField(max_length=40, blank=True)
    message = models.CharField(max_length=255)
    received_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True)
    reading = models.ForeignKey(
        "vehicles.Reading",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The reading recorded from this issue.",
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["org", "-received_at"], name="ingest_issue_org_recent")]
        constraints = [
            # Open, or resolved one way with the moment it was.
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True, resolution="")
                | Q(resolved_at__isnull=False, resolution__in=Resolution.values),
                name="ingest_issue_resolution_with_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device or self.vehicle_id}: {self.message}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
