from django.db import migrations, models

import django.db.models.deletion


class Migration(migrations.Migration):
    """Imports of vehicles and service records beside readings: an upload and a mapping per kind."""

    dependencies = [
        ("imports", "0002_upload_progress"),
    ]

    operations = [
        migrations.RenameModel("ReadingUpload", "Upload"),
        migrations.AddField(
            model_name="upload",
            name="kind",
            field=models.CharField(
                choices=[
                    ("readings", "Readings"),
                    ("vehicles", "Vehicles"),
                    ("service-records", "Service records"),
                ],
                default="readings",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="importmapping",
            name="org",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.organization",
            ),
        ),
        migrations.AddField(
            model_name="importmapping",
            name="kind",
            field=models.CharField(
                choices=[
                    ("readings", "Readings"),
                    ("vehicles", "Vehicles"),
                    ("service-records", "Service records"),
                ],
                default="readings",
                max_length=20,
            ),
        ),
        migrations.AddConstraint(
            model_name="importmapping",
            constraint=models.UniqueConstraint(
                fields=("org", "kind"), name="import_mapping_org_kind"
            ),
        ),
    ]
