"""Adds the calendar feed's secret: nullable first, one distinct token per row, then unique."""

import secrets

from django.db import migrations, models

import fleetmaint.accounts.models


def fill_tokens(apps, schema_editor):
    Organization = apps.get_model("accounts", "Organization")
    for org in Organization.objects.filter(calendar_token__isnull=True).only("pk"):
        org.calendar_token = secrets.token_urlsafe(24)
        org.save(update_fields=["calendar_token"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_organization_contract_warning_days_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="calendar_token",
            field=models.CharField(max_length=64, null=True, editable=False),
        ),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="organization",
            name="calendar_token",
            field=models.CharField(
                default=fleetmaint.accounts.models.new_calendar_token,
                editable=False,
                help_text="The secret in the calendar feed's URL; rotating it retires the old URL.",
                max_length=64,
                unique=True,
            ),
        ),
    ]
