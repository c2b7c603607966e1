"""The maintenance schedule: service intervals per vehicle, and the presets they come from."""

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Lower

from fleetmaint.accounts.models import DistanceUnit, Organization
from fleetmaint.tasks.models import CompletionRecord
from fleetmaint.vehicles.models import Powertrain, Vehicle

MAX_NOTES = 65_535
MAX_MILEAGE = 1_000_000


class PresetMeter(models.TextChoices):
    """What a preset counts in, besides the calendar."""

    DISTANCE = "distance", "Distance"
    HOURS = "hours", "Engine hours"
    TIME = "time", "Time only"


# The powertrains a preset applies to when nobody says otherwise: road vehicles.
# Equipment counts engine hours, not kilometres (docs/presets.md).
ROAD_KINDS = (
    Powertrain.COMBUSTION.value,
    Powertrain.DIESEL.value,
    Powertrain.ELECTRIC.value,
    Powertrain.HYBRID.value,
)


def road_kinds() -> list[str]:
    return list(ROAD_KINDS)


class IntervalPreset(models.Model):
    """A kind of service that recurs every so many kilometres (or miles), engine hours,
    months or weeks, for the kinds of vehicle (powertrains) it lists.

    ``kinds`` is a JSON list of ``Powertrain`` values: portable between SQLite and
    PostgreSQL, and a fleet has a few dozen presets at most, so they are filtered
    in Python. The services keep it a non-empty list of known values.
    """

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="presets")
    name = models.CharField(max_length=120)
    kinds = models.JSONField(default=road_kinds, help_text="The powertrains it applies to.")
    meter = models.CharField(
        max_length=8, choices=PresetMeter.choices, default=PresetMeter.DISTANCE
    )
    distance = models.PositiveIntegerField(
        null=True, blank=True, help_text="Distance between services (distance presets)."
    )
    distance_unit = models.CharField(
        max_length=2, choices=DistanceUnit.choices, default=DistanceUnit.KM
    )
    hours = models.PositiveIntegerField(
        null=True, blank=True, help_text="Engine hours between services (engine-hour presets)."
    )
    months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Months between services."
    )
    weeks = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Weeks between services, for short periods."
    )
    builtin = models.BooleanField(default=False, editable=False)
    enabled = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="preset_name_unique_in_org"),
            models.CheckConstraint(
                condition=Q(distance__isnull=True) | Q(distance__gt=0),
                name="preset_distance_positive",
            ),
            models.CheckConstraint(
                condition=Q(months__isnull=True) | Q(months__gt=0), name="preset_months_positive"
            ),
            models.CheckConstraint(
                condition=Q(weeks__isnull=True) | Q(weeks__gt=0), name="preset_weeks_positive"
            ),
            models.CheckConstraint(
                condition=Q(hours__isnull=True) | Q(hours__gt=0), name="preset_hours_positive"
            ),
            # One calendar period: months, or weeks for what recurs more often.
            models.CheckConstraint(
                condition=Q(months__isnull=True) | Q(weeks__isnull=True),
                name="preset_months_or_weeks",
            ),
            # Each meter has its number. A distance preset also has a period: a vehicle
            # without an odometer reading gets its interval by date alone.
            models.CheckConstraint(
                condition=(
                    Q(meter=PresetMeter.DISTANCE, distance__isnull=False)
                    & (Q(months__isnull=False) | Q(weeks__isnull=False))
                )
                | Q(meter=PresetMeter.HOURS, hours__isnull=False)
                | (Q(meter=PresetMeter.TIME) & (Q(months__isnull=False) | Q(weeks__isnull=False))),
                name="preset_has_its_meter",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ServiceIntervalQuerySet(models.QuerySet):
    def open(self) -> "ServiceIntervalQuerySet":
        """Intervals not serviced yet: the ones a reading, a sweep or an order may still move."""
        return self.filter(serviced_at=None)


class ServiceInterval(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="intervals")
    name = models.CharField(max_length=120)
    preset = models.ForeignKey(
        IntervalPreset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    service_at_mileage = models.PositiveIntegerField(null=True, blank=True)
    service_at_date = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    start_odometer = models.PositiveIntegerField(
        null=True, blank=True, help_text="The odometer when the interval began, for progress."
    )
    predicted_due_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The date it is expected to fall due: its own date, or earlier when the "
        "vehicle's recent use will reach the mileage first.",
    )
    due_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was found due and the advisors were told."
    )
    near_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the odometer was found within the due-soon distance of the mileage "
        "(set with due_at, by the same evaluation; never cleared while the interval is open).",
    )
    serviced_at = models.DateTimeField(null=True, blank=True)
    serviced_odometer = models.PositiveIntegerField(null=True, blank=True)
    follows = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followed_by",
        help_text="The serviced interval whose preset scheduled this one.",
    )
    edited_at = models.DateTimeField(
        null=True, blank=True, help_text="When a person last changed it after it was created."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_updated = models.DateTimeField(auto_now=True)

    objects = ServiceIntervalQuerySet.as_manager()

    class Meta:
        ordering = ["predicted_due_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(service_at_mileage__isnull=False) | Q(service_at_date__isnull=False),
                name="interval_has_mileage_or_date",
            ),
            models.CheckConstraint(
                condition=Q(service_at_mileage__isnull=True)
                | Q(service_at_mileage__lte=MAX_MILEAGE),
                name="interval_mileage_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["org", "serviced_at", "predicted_due_at"]),
            models.Index(fields=["vehicle", "serviced_at"]),
            # The date sweep: open intervals not yet found due, by date.
            models.Index(
                fields=["service_at_date"],
                name="interval_date_sweep_idx",
                condition=Q(serviced_at__isnull=True, due_at__isnull=True),
            ),
            # The Due page's first pages: open intervals by expected date, by name, newest.
            models.Index(
                fields=["org", "predicted_due_at", "id"],
                name="interval_open_due_idx",
                condition=Q(serviced_at__isnull=True),
            ),
            models.Index(
                F("org"),
                Lower("name"),
                F("id"),
                name="interval_open_name_idx",
                condition=Q(serviced_at__isnull=True),
            ),
            models.Index(
                fields=["org", "created_at", "id"],
                name="interval_open_created_idx",
                condition=Q(serviced_at__isnull=True),
            ),
            # The dashboard's counts of required and due-soon intervals read only the
            # open ones the evaluation flagged, besides those near by date.
            models.Index(
                fields=["org"],
                name="interval_open_flagged_idx",
                condition=Q(serviced_at__isnull=True)
                & (Q(due_at__isnull=False) | Q(near_at__isnull=False)),
            ),
            # What is coming (the dashboard, the calendar feed): open intervals by the
            # day they are expected, predicted or else their own date.
            models.Index(
                F("org"),
                Coalesce("predicted_due_at", "service_at_date"),
                F("id"),
                name="interval_open_expected_idx",
                condition=Q(serviced_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.vehicle_id})"

    @property
    def is_open(self) -> bool:
        return self.serviced_at is None


class IntervalService(CompletionRecord):
    """One time an interval was serviced: what happened, and whether it was reopened."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    interval = models.ForeignKey(ServiceInterval, on_delete=models.CASCADE, related_name="services")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="+")
    serviced_at = models.DateTimeField()
    odometer = models.PositiveIntegerField(null=True, blank=True)
    engine_hours = models.DecimalField(max_digits=9, decimal_places=1, null=True, blank=True)
    cost = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    next_removed = models.BooleanField(
        default=False, help_text="Reopening removed the next interval its preset had scheduled."
    )

    class Meta:
        ordering = ["-serviced_at", "-id"]
        indexes = [
            models.Index(fields=["interval", "serviced_at"]),
            models.Index(fields=["vehicle", "serviced_at"]),
            models.Index(fields=["org", "serviced_at"], name="interval_service_org_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(cost__gte=0), name="interval_service_cost_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.interval_id} serviced {self.serviced_at:%Y-%m-%d}"
