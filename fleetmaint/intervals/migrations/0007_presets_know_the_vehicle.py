"""Built-in presets say which vehicles they fit and what they count; new built-ins join.

The values are written out here, not imported from ``intervals.presets``: a
migration must do tomorrow what it does today, whatever the defaults become.
Distances and months an organization edited are kept; only kinds and meter
are set on the eight presets it has, and the new built-ins are added in the
organization's distance unit, unless it already has a preset of that name.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db import migrations

ROAD = ["combustion", "diesel", "electric", "hybrid"]
ENGINES = ["combustion", "diesel", "hybrid"]

# name: (kinds, meter) for the eight built-ins every organization has had.
EXISTING = {
    "Oil Change": (ENGINES, "distance"),
    "Tire Rotation": (ROAD, "distance"),
    "Replace Cabin Air Filter": (ROAD, "distance"),
    "Replace Engine Air Filter": (ENGINES, "distance"),
    "Replace Brake Pads": (ROAD, "distance"),
    "Replace Spark Plugs": (["combustion", "hybrid"], "distance"),
    "Replace Brake Fluid": (ROAD, "distance"),
    "Replace Transmission Fluid": (ENGINES, "distance"),
}

# name, kinds, meter, distance in km, hours, months, weeks, position
ADDED = [
    ("Replace Diesel Fuel Filter", ["diesel"], "distance", 60_000, None, 24, None, 8),
    ("Battery Coolant Check", ["electric"], "time", None, None, 24, None, 9),
    ("Engine Oil and Filter", ["equipment"], "hours", None, 250, 6, None, 10),
    ("Replace Hydraulic Filter", ["equipment"], "hours", None, 500, None, None, 11),
    ("Replace Air Filter", ["equipment"], "hours", None, 500, None, None, 12),
    ("Fuel Filter and Water Separator", ["equipment"], "hours", None, 500, None, None, 13),
    ("Grease Pivot Points", ["equipment"], "time", None, None, None, 1, 14),
]

KM_PER_MILE = Decimal("1.609344")


def _in_unit(km, unit):
    if km is None or unit == "km":
        return km
    return int((Decimal(km) / KM_PER_MILE).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def forwards(apps, schema_editor):
    Organization = apps.get_model("accounts", "Organization")
    IntervalPreset = apps.get_model("intervals", "IntervalPreset")
    for name, (kinds, meter) in EXISTING.items():
        IntervalPreset.objects.filter(builtin=True, name=name).update(kinds=kinds, meter=meter)
    new = []
    for org in Organization.objects.all():
        taken = {n.lower() for n in IntervalPreset.objects.filter(org=org).values_list("name", flat=True)}
        for name, kinds, meter, km, hours, months, weeks, position in ADDED:
            if name.lower() in taken:
                continue
            new.append(
                IntervalPreset(
                    org=org,
                    name=name,
                    kinds=kinds,
                    meter=meter,
                    distance=_in_unit(km, org.distance_unit),
                    distance_unit=org.distance_unit,
                    hours=hours,
                    months=months,
                    weeks=weeks,
                    builtin=True,
                    enabled=True,
                    position=position,
                )
            )
    IntervalPreset.objects.bulk_create(new, batch_size=1000)


def backwards(apps, schema_editor):
    IntervalPreset = apps.get_model("intervals", "IntervalPreset")
    IntervalPreset.objects.filter(builtin=True, name__in=[row[0] for row in ADDED]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_membership_last_used_at_invitation"),
        ("intervals", "0006_presets_kinds_and_meter"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
