"""Vehicles and their meter readings.

The current odometer and engine hours are copied onto the vehicle from its
newest reading in the same transaction that stores the reading, so lists and
threshold checks read one row instead of scanning the history.
"""

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from fleetmaint.accounts.models import DistanceUnit, Organization


class Powertrain(models.TextChoices):
    """What drives the vehicle: it decides which presets its schedule takes."""

    COMBUSTION = "combustion", "Petrol (combustion)"
    DIESEL = "diesel", "Diesel"
    ELECTRIC = "electric", "Electric"
    HYBRID = "hybrid", "Hybrid"
    EQUIPMENT = "equipment", "Equipment (engine hours)"


class VehicleQuerySet(models.QuerySet):
    def for_org(self, org: Organization) -> "VehicleQuerySet":
        return self.filter(org=org)


class Vehicle(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="vehicles")
    vehicle_key = models.CharField(max_length=40)
    label = models.CharField(max_length=120)
    vin = models.CharField("VIN", max_length=17, blank=True)
    make = models.CharField(max_length=60, blank=True)
    model = models.CharField(max_length=60, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    plate = models.CharField("registration plate", max_length=20, blank=True)
    distance_unit = models.CharField(max_length=2, choices=DistanceUnit.choices)
    tracks_engine_hours = models.BooleanField(default=False)
    # The database fills it in too, for vehicles inserted by plain SQL (imports, loaders).
    powertrain = models.CharField(
        max_length=12,
        choices=Powertrain.choices,
        default=Powertrain.COMBUSTION,
        db_default=Powertrain.COMBUSTION,
    )
    notes = models.TextField(blank=True)
    archived = models.BooleanField(default=False)
    device_id = models.CharField(
        "telematics device",
        max_length=64,
        blank=True,
        help_text="The identifier of the GPS tracker sending this vehicle's readings.",
    )
    odometer = models.PositiveIntegerField(null=True, blank=True, editable=False)
    engine_hours = models.DecimalField(
        max_digits=9, decimal_places=1, null=True, blank=True, editable=False
    )
    odometer_at = models.DateTimeField(null=True, blank=True, editable=False)
    engine_hours_at = models.DateTimeField(null=True, blank=True, editable=False)
    daily_distance = models.FloatField(
        null=True, blank=True, editable=False, help_text="Average recent use per day."
    )
    daily_engine_hours = models.FloatField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VehicleQuerySet.as_manager()

    class Meta:
        ordering = ["label", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "vehicle_key"], name="vehicle_key_unique_in_org"
            ),
            # One vehicle per tracker in a fleet, so a position names one vehicle.
            models.UniqueConstraint(
                fields=["org", "device_id"],
                condition=~Q(device_id=""),
                name="vehicle_device_unique_in_org",
            ),
        ]
        indexes = [
            models.Index(fields=["org", "vin"]),
            # Vehicles by label: the Vehicles page (the few archived ones filtered out
            # as it reads), and the Tasks page sorted by vehicle, which walks the
            # vehicles in this order and reads each one's tasks until a page is full.
            # Readings change the odometer columns, so those sorts stay unindexed: an
            # index on them would cost every reading its in-place (HOT) update, and
            # a fleet's vehicles sort in milliseconds. Every index here is also one
            # more entry to write when a reading cannot update in place.
            models.Index(F("org"), Lower("label"), F("id"), name="vehicle_org_label_idx"),
            models.Index(
                F("org"),
                F("archived"),
                Lower("make"),
                Lower("model"),
                Lower("label"),
                name="vehicle_list_make_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class ReadingSource(models.TextChoices):
    MANUAL = "manual", "Manual"
    API = "api", "API"
    IMPORT = "import", "Import"
    SERVICER = "servicer", "Servicer"
    TELEMATICS = "telematics", "Telematics"


class ReadingQuerySet(models.QuerySet):
    def counted(self) -> "ReadingQuerySet":
        """Readings not voided: the ones current meters, usage and charts are made of."""
        return self.filter(voided_at=None)


class Reading(models.Model):
    """One observation of a vehicle's meters.

    Readings are never edited; a wrong one is voided (with a reason) and stays in
    the history as voided, out of every meter, usage figure and chart.
    """

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="readings")
    odometer = models.PositiveIntegerField(null=True, blank=True)
    engine_hours = models.DecimalField(max_digits=9, decimal_places=1, null=True, blank=True)
    recorded_at = models.DateTimeField()
    source = models.CharField(
        max_length=10, choices=ReadingSource.choices, default=ReadingSource.MANUAL
    )
    is_correction = models.BooleanField(
        default=False,
        help_text="The meter was replaced or rolled over: this value may be lower "
        "than the one before it.",
    )
    note = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(null=True, blank=True, editable=False)
    voided_by = models.ForeignKey(
        "auth.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # Readings are also inserted by plain SQL (``reading_store``): the database
    # itself must fill the column in.
    void_reason = models.CharField(
        max_length=255, blank=True, editable=False, default="", db_default=""
    )

    objects = ReadingQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["vehicle", "recorded_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(odometer__isnull=False) | Q(engine_hours__isnull=False),
                name="reading_has_a_value",
            ),
            models.CheckConstraint(
                condition=Q(engine_hours__isnull=True) | Q(engine_hours__gte=0),
                name="reading_engine_hours_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle} @ {self.recorded_at:%Y-%m-%d}"
