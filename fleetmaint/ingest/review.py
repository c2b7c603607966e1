"""A person's answer to what the telematics ingest held back: record the reading, or dismiss it.

An implausible jump from a tracker is held as an ``IngestIssue`` because no
one was there to confirm it. Someone who checks the vehicle and finds the
value right records it here: through the readings' own rules
(``reading_record``), with the jump confirmed, as a telematics reading. Those
rules still refuse what does not fit the vehicle's history now (a value below
a newer reading, say), and then the issue stays open. What is not worth
recording is dismissed. Either way the issue keeps who resolved it and when.
"""

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from fleetmaint.accounts.models import Organization
from fleetmaint.errors import DomainError, ValidationFailed
from fleetmaint.ingest.models import IngestIssue, Resolution
from fleetmaint.vehicles.models import Reading, ReadingSource
from fleetmaint.vehicles.services import reading_record

RECORDED_NOTE = "Held by the telematics ingest; the jump was confirmed in review."


def issue_record(*, issue: IngestIssue, actor) -> Reading:
    """Stores the issue's reading with its jump confirmed, and resolves the issue with it.

    Raises ``ValidationFailed`` when the issue cannot be recorded or the
    reading rules refuse the value; the issue is then left as it was.
    """
    with transaction.atomic():
        # Locked, so two people recording the same issue store one reading.
        locked = (
            IngestIssue.objects.select_for_update(of=("self",), no_key=True)
            .select_related("vehicle")
            .get(pk=issue.pk)
        )
        if not locked.is_open:
            raise ValidationFailed(
                f"This issue was {locked.get_resolution_display().lower()} already."
            )
        if locked.vehicle is None:
            raise ValidationFailed("This issue names no vehicle of the fleet to record it on.")
        if locked.odometer is None and locked.engine_hours is None:
            raise ValidationFailed("This issue holds no odometer value or engine hours to record.")
        try:
            reading = reading_record(
                vehicle=locked.vehicle,
                odometer=locked.odometer,
                engine_hours=locked.engine_hours,
                recorded_at=locked.recorded_at,
                source=ReadingSource.TELEMATICS,
                confirm_jump=True,
                note=RECORDED_NOTE,
                actor=actor,
            )
        except DomainError as error:
            raise ValidationFailed(error.message, field=error.field) from error
        resolved = {
            "resolved_at": timezone.now(),
            "resolved_by": actor,
            "resolution": Resolution.RECORDED,
            "reading": reading,
        }
        for name, value in resolved.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(resolved))
    for name, value in resolved.items():
        setattr(issue, name, value)
    return reading


def issues_dismiss(
    *,
    issues: QuerySet[IngestIssue] | None = None,
    org: Organization | None = None,
    actor,
) -> int:
    """Dismisses the open issues among ``issues`` (of ``org``, when given), in one UPDATE.

    Give the issues, the organization, or both: the organization alone
    dismisses all its open issues. Issues resolved already keep their
    resolution. Returns how many were dismissed.
    """
    if issues is None and org is None:
        raise ValueError("Give the issues to dismiss, their organization, or both.")
    chosen = IngestIssue.objects.all() if issues is None else issues
    if org is not None:
        chosen = chosen.filter(org=org)
    return chosen.filter(resolved_at=None).update(
        resolved_at=timezone.now(),
        resolved_by=actor,
        resolution=Resolution.DISMISSED,
    )
