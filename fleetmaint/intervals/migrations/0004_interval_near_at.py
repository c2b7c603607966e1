"""Open intervals the odometer has brought near their mileage are flagged, so the
dashboard counts required and due-soon intervals from an index."""

from django.db import migrations, models
from django.db.models import F
from django.utils import timezone

# intervals.evaluation.DUE_SOON_DISTANCE when this migration was written.
DUE_SOON_DISTANCE = 1_000


def flag_near(apps, schema_editor):
    """What the evaluation would have flagged: open, not yet due, mileage within reach."""
    interval = apps.get_model("intervals", "ServiceInterval")
    interval.objects.filter(
        serviced_at=None,
        due_at=None,
        near_at=None,
        vehicle__archived=False,
        service_at_mileage__lte=F("vehicle__odometer") + DUE_SOON_DISTANCE,
    ).update(near_at=timezone.now())


def expected_statistics(apps, schema_editor):
    """Statistics of the expected date, so that PostgreSQL knows how many intervals a
    window of days holds (a partial index's own statistics are not used for that)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE STATISTICS IF NOT EXISTS interval_expected_stats "
            "ON (COALESCE(predicted_due_at, service_at_date)) FROM intervals_serviceinterval"
        )


def drop_expected_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP STATISTICS IF EXISTS interval_expected_stats")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_organization_calendar_token"),
        ("intervals", "0003_interval_open_expected_index"),
        ("vehicles", "0007_one_label_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="serviceinterval",
            name="near_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When the odometer was found within the due-soon distance of the "
                "mileage (set with due_at, by the same evaluation; never cleared while the "
                "interval is open).",
                null=True,
            ),
        ),
        migrations.AddIndex(
            model_name="serviceinterval",
            index=models.Index(
                condition=models.Q(
                    ("serviced_at__isnull", True),
                    models.Q(("due_at__isnull", False), ("near_at__isnull", False), _connector="OR"),
                ),
                fields=["org"],
                name="interval_open_flagged_idx",
            ),
        ),
        migrations.RunPython(flag_near, migrations.RunPython.noop),
        migrations.RunPython(expected_statistics, drop_expected_statistics),
    ]
