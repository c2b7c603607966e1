"""Service tasks ("service works"): limits on mileage, date and engine hours.

Each condition is stored twice: as the user gave it (limit, reminder and
repeat intervals) and as absolute thresholds on the vehicle's meters
(``*_notify_at`` and ``*_expire_at``), so that a sweep can find every task a
reading or the calendar has pushed over a line with plain SQL comparisons.
"""

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce, Lower

from fleetmaint.accounts.models import Organization
from fleetmaint.vehicles.models import Vehicle


def _next_threshold(start: str, limit: str, notify: str, kind: models.Field) -> Case:
    """The meter value at which an open task next moves on, as an index expression."""
    none = Value(0, output_field=kind)
    return Case(
        When(status="created", then=F(start) + F(limit) - Coalesce(F(notify), none)),
        default=F(start) + F(limit),
        output_field=kind,
    )


class Status(models.TextChoices):
    """A task's status: the seed's values (stored, and kept as they are by the JSON API
    and the vendor endpoints), with the one set of words people read everywhere else:
    pages, filters, reports, e-mails and in-app notifications."""

    CREATED = "created", "Planned"
    NOTIFIED = "notified", "Due soon"
    EXPIRED = "expired", "Overdue"
    DONE = "done", "Done"


OPEN_STATUSES = (Status.CREATED, Status.NOTIFIED, Status.EXPIRED)
# Statuses in the order a task lives them (created, notified, expired, done), not by
# name: the Tasks list sorts by it, from an index on this very expression.
STATUS_RANK = Case(
    *[When(status=status, then=Value(rank)) for rank, status in enumerate(Status.values)],
    output_field=models.IntegerField(),
)


class ConditionKind(models.TextChoices):
    MILEAGE = "mileage", "Mileage"
    DATE = "date", "Date"
    ENGINE_HOURS = "engine_hours", "Engine hours"


class TaskFile(models.Model):
    """An uploaded document; one file can belong to many tasks (a batch shares it)."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(upload_to="task-files/%Y/%m/")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ServiceTaskQuerySet(models.QuerySet):
    def for_org(self, org: Organization) -> "ServiceTaskQuerySet":
        return self.filter(org=org)

    def open(self) -> "ServiceTaskQuerySet":
        """Tasks not done yet: the ones a reading, a sweep or an order may still move."""
        return self.filter(status__in=OPEN_STATUSES)


class ServiceTask(models.Model):
    # Indexed by (org, id) and (vehicle, status) below, which serve these keys too.
    org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.CASCADE, related_name="tasks", db_index=False
    )
    description = models.CharField(max_length=255)
    comment = models.CharField(max_length=255, blank=True)
    cost = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    repeat = models.BooleanField(default=False)
    unplanned = models.BooleanField(default=False)

    # Conditions as given.
    mileage_limit = models.PositiveIntegerField(null=True, blank=True)
    mileage_notify = models.PositiveIntegerField(null=True, blank=True)
    mileage_repeat = models.PositiveIntegerField(null=True, blank=True)
    date_end = models.DateTimeField(null=True, blank=True)
    date_notify_days = models.PositiveIntegerField(null=True, blank=True)
    date_repeat_days = models.PositiveIntegerField(null=True, blank=True)
    hours_limit = models.DecimalField(max_digits=9, decimal_places=1, null=True, blank=True)
    hours_notify = models.DecimalField(max_digits=9, decimal_places=1, null=True, blank=True)
    hours_repeat = models.DecimalField(max_digits=9, decimal_places=1, null=True, blank=True)

    # The same conditions as absolute thresholds on the vehicle's meters.
    mileage_notify_at = models.PositiveIntegerField(null=True, blank=True)
    mileage_expire_at = models.PositiveIntegerField(null=True, blank=True)
    date_notify_at = models.DateTimeField(null=True, blank=True)
    hours_notify_at = models.DecimalField(max_digits=10, decimal_places=1, null=True, blank=True)
    hours_expire_at = models.DecimalField(max_digits=10, decimal_places=1, null=True, blank=True)

    start_mileage = models.PositiveIntegerField(null=True, blank=True)
    start_engine_hours = models.DecimalField(max_digits=9, decimal_places=1, null=True, blank=True)
    start_date = models.DateTimeField()

    completion_mileage = models.PositiveIntegerField(null=True, blank=True)
    completion_engine_hours = models.DecimalField(
        max_digits=9, decimal_places=1, null=True, blank=True
    )
    completion_date = models.DateTimeField(null=True, blank=True)
    completion_wear = models.IntegerField(null=True, blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CREATED)
    status_condition = models.CharField(
        max_length=12, choices=ConditionKind.choices, blank=True, help_text="What decided it."
    )
    cycle = models.PositiveIntegerField(
        default=1, help_text="Bumped when changed conditions reopen a crossing already told."
    )
    predicted_end_date = models.DateTimeField(null=True, blank=True)

    sms_phones = models.JSONField(default=list, blank=True)
    emails = models.JSONField(default=list, blank=True)
    push_enabled = models.BooleanField(default=True)
    files = models.ManyToManyField(TaskFile, blank=True, related_name="tasks")

    repeated_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="repeated_by"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    edited_at = models.DateTimeField(
        null=True, blank=True, help_text="When a person last changed it after it was created."
    )

    objects = ServiceTaskQuerySet.as_manager()

    class Meta:
        ordering = [models.F("predicted_end_date").asc(nulls_last=True), "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(mileage_limit__isnull=False)
                | Q(date_end__isnull=False)
                | Q(hours_limit__isnull=False),
                name="task_has_a_condition",
            ),
            models.CheckConstraint(condition=Q(cost__gte=0), name="task_cost_not_negative"),
        ]
        indexes = [
            # The Tasks page and the dashboard: a page of tasks in predicted
            # order straight from an index, for one status, the open ones or all.
            models.Index(
                fields=["org", "status", "predicted_end_date", "id"], name="task_org_status_due_idx"
            ),
            models.Index(
                fields=["org", "predicted_end_date", "id"],
                name="task_open_due_idx",
                condition=Q(status__in=["created", "notified", "expired"]),
            ),
            models.Index(fields=["org", "predicted_end_date", "id"], name="task_org_due_idx"),
            models.Index(fields=["org", "id"], name="task_org_id_idx"),
            # The API's changed_since: a fleet's tasks in the order they changed.
            models.Index(fields=["org", "updated_at", "id"], name="task_org_changed_idx"),
            # The Tasks page's other orders: costliest, by description, by status.
            models.Index(fields=["org", "-cost", "id"], name="task_org_cost_idx"),
            models.Index(F("org"), Lower("description"), F("id"), name="task_org_description_idx"),
            models.Index(F("org"), STATUS_RANK.desc(), F("id"), name="task_org_status_rank_idx"),
            # The few unplanned tasks, without walking past every planned one.
            models.Index(
                fields=["org", "predicted_end_date", "id"],
                name="task_unplanned_due_idx",
                condition=Q(unplanned=True),
            ),
            models.Index(fields=["vehicle", "status"]),
            # The date sweep: open tasks by their reminder and end dates.
            models.Index(
                fields=["date_notify_at"],
                name="task_date_notify_idx",
                condition=Q(status="created"),
            ),
            models.Index(
                fields=["date_end"],
                name="task_date_end_idx",
                condition=Q(status__in=["created", "notified"]),
            ),
            # After readings: per vehicle, the open tasks whose next threshold
            # (the reminder while created, the limit once notified) the meter
            # has reached. The expressions are ``vehicles.meters_sql.task_next_*``.
            models.Index(
                F("vehicle"),
                _next_threshold(
                    "start_mileage", "mileage_limit", "mileage_notify", models.IntegerField()
                ),
                name="task_next_mileage_idx",
                condition=Q(status__in=["created", "notified"], mileage_limit__isnull=False),
            ),
            models.Index(
                F("vehicle"),
                _next_threshold(
                    "start_engine_hours", "hours_limit", "hours_notify", models.DecimalField()
                ),
                name="task_next_hours_idx",
                condition=Q(status__in=["created", "notified"], hours_limit__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def is_open(self) -> bool:
        return self.status != Status.DONE


class CompletionRecord(models.Model):
    """What a completion records besides its moment and meters, and whether it was reopened.

    Shared by a task's completions and an interval's services.
    """

    servicer = models.CharField(max_length=120, blank=True)
    notes = models.TextField(blank=True)
    reading = models.ForeignKey(
        "vehicles.Reading", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True


class TaskCompletion(CompletionRecord):
    """One time a task was marked done: what happened, and whether it was reopened.

    The task holds its current completion (``completion_*``); these rows keep
    every one, a reopened one included, for the task's and the vehicle's history.
    """

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(ServiceTask, on_delete=models.CASCADE, related_name="completions")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="+")
    done_at = models.DateTimeField()
    odometer = models.PositiveIntegerField(null=True, blank=True)
    engine_hours = models.DecimalField(max_digits=9, decimal_places=1, null=True, blank=True)
    cost = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    planned_cost = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, help_text="The task's cost before it was done."
    )
    successor_removed = models.BooleanField(
        default=False, help_text="Reopening removed the next one its repetition had scheduled."
    )

    class Meta:
        ordering = ["-done_at", "-id"]
        indexes = [
            models.Index(fields=["task", "done_at"]),
            models.Index(fields=["vehicle", "done_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(cost__gte=0), name="task_completion_cost_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_id} done {self.done_at:%Y-%m-%d}"


class TaskTally(models.Model):
    """How many tasks share an organization, a status, a planned flag, their
    vehicle's archived flag and a due day (the predicted end, in the
    organization's time zone).

    The rows are signed deltas written by database triggers on PostgreSQL
    (migration 0003) whenever tasks, a vehicle's archived flag or an
    organization's time zone change; summing them gives exact counts without
    counting a million tasks per page view. ``tally.compact`` folds the deltas
    together in the background. SQLite has no such triggers: there the counts
    are taken from the tasks themselves (``tasks.tally``).
    """

    # No foreign key: the triggers write deltas while an organization's tasks
    # are deleted, after which the organization itself may go.
    org_id = models.BigIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices)
    unplanned = models.BooleanField()
    archived = models.BooleanField()
    day = models.DateField(null=True)
    n = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["org_id", "day"], name="task_tally_org_day_idx")]

    def __str__(self) -> str:
        return f"{self.n:+d} {self.status} task(s) due {self.day or 'undated'}"
