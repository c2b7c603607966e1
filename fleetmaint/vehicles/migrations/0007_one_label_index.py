"""Vehicles keep one index by label: (org, lower(label), id) serves every list by label."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('vehicles', '0006_vehicle_org_label_index'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='vehicle',
            name='vehicles_ve_org_id_86bf29_idx',
        ),
        migrations.RemoveIndex(
            model_name='vehicle',
            name='vehicle_list_label_idx',
        ),
    ]
