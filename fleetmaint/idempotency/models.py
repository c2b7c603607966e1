"""The answers of POSTs sent with an ``Idempotency-Key``, kept for a day so a retry gets them."""

from django.db import models
from django.db.models import Q

from fleetmaint.accounts.models import ApiKey, Organization
from fleetmaint.orders.models import Servicer

MAX_KEY_LENGTH = 255


class StoredAnswer(models.Model):
    """One ``Idempotency-Key`` of one caller: the request it came with and, once done, its answer.

    The caller is an organization's API key or a servicer (whose keys are per
    servicer). A row is inserted before the work starts (``completed_at`` null),
    so the unique constraint lets only one of two racing requests do the work.
    """

    org = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.CASCADE)
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.CASCADE)
    servicer = models.ForeignKey(Servicer, null=True, blank=True, on_delete=models.CASCADE)
    key = models.CharField(max_length=MAX_KEY_LENGTH)
    fingerprint = models.CharField(
        max_length=64, help_text="SHA-256 of the method, the path and the body's SHA-256."
    )
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.BinaryField(default=b"")
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "key"],
                condition=Q(api_key__isnull=False),
                name="stored_answer_api_key_uniq",
            ),
            models.UniqueConstraint(
                fields=["servicer", "key"],
                condition=Q(servicer__isnull=False),
                name="stored_answer_servicer_uniq",
            ),
            models.CheckConstraint(
                condition=Q(api_key__isnull=False) | Q(servicer__isnull=False),
                name="stored_answer_has_caller",
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="stored_answer_created_idx")]

    def __str__(self) -> str:
        return f"{self.key} ({self.status or 'in progress'})"
