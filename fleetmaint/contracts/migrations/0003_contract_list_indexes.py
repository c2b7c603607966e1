from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contracts', '0002_contract_warn_sweep_index'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='vehiclecontract',
            index=models.Index(fields=['org', 'end_date', 'id'], name='contract_list_idx'),
        ),
        migrations.AddIndex(
            model_name='vehiclecontract',
            index=models.Index(fields=['org', 'status', 'end_date', 'id'], name='contract_list_status_idx'),
        ),
        migrations.AddIndex(
            model_name='vehiclecontract',
            index=models.Index(fields=['org', 'contract_type', 'end_date', 'id'], name='contract_list_type_idx'),
        ),
    ]
