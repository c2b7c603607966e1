"""What the telematics ingest could not store, kept for someone to look at."""

from django.db import models

from fleetmaint.accounts.models import Organization


class IngestIssue(models.Model):
    """A tracker's reading that was not stored: an implausible jump, a value going back.

    Readings from trackers arrive without anyone to confirm a jump, so a jump
    is held here instead of stored; the admin lists them so a person can check
    the vehicle and record the reading by hand if it is right.
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

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["org", "-received_at"], name="ingest_issue_org_recent")]

    def __str__(self) -> str:
        return f"{self.device or self.vehicle_id}: {self.message}"
