"""Active contracts already warned of, for the dashboard's count of contracts ending soon."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0003_contract_list_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="vehiclecontract",
            index=models.Index(
                condition=models.Q(("expiring_told", True), ("status", "active")),
                fields=["org"],
                name="contract_told_expiring_idx",
            ),
        ),
    ]
