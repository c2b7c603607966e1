"""What an import keeps between its steps, and the columns a fleet last imported from."""

from django.conf import settings
from django.db import models

from fleetmaint.accounts.models import Organization


class ImportKind(models.TextChoices):
    READINGS = "readings", "Readings"
    VEHICLES = "vehicles", "Vehicles"
    SERVICE_RECORDS = "service-records", "Service records"


class ImportMapping(models.Model):
    """The columns an organization last imported one kind of rows from, offered again next time."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=ImportKind.choices, default=ImportKind.READINGS)
    mapping = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "kind"], name="import_mapping_org_kind")
        ]

    def __str__(self) -> str:
        return f"Import mapping of organization {self.org_id} for {self.kind}"


class UploadStatus(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Importing"
    DONE = "done", "Imported"
    FAILED = "failed", "Failed"


class Upload(models.Model):
    """An uploaded file between upload, mapping, preview and import.

    A workbook is kept as the CSV text of its first sheet. The content is
    dropped once imported (only the refused rows stay, for their download),
    and the whole row after a day.
    """

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=ImportKind.choices, default=ImportKind.READINGS)
    name = models.CharField(max_length=255)
    content = models.TextField(blank=True)
    rejected = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=UploadStatus.choices, default=UploadStatus.UPLOADED
    )
    mapping = models.JSONField(default=dict, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    moved_at = models.DateTimeField(
        null=True, blank=True, help_text="When the import was queued or last reported progress."
    )

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="imports_upload_created_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def running(self) -> bool:
        return self.status in (UploadStatus.QUEUED, UploadStatus.RUNNING)

    @property
    def progress(self) -> int:
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)
