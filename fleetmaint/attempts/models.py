"""Failed attempts to sign in or to use an API key, counted per account or address."""

from django.db import models


class FailedAttempts(models.Model):
    """The failures of one account or one address within the current window.

    ``scope`` says what is counted (``sign-in-account``, ``sign-in-address``,
    ``key-address``) and ``key`` whose (a username in lower case, an IP address).
    """

    scope = models.CharField(max_length=32)
    key = models.CharField(max_length=160)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "failed attempts"
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="failed_attempts_scope_key_uniq")
        ]
        indexes = [models.Index(fields=["window_started_at"], name="failed_attempts_window_idx")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}: {self.failures}"
