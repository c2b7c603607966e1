import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('vehicles', '0004_vehicle_fillfactor'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='vehicle',
            index=models.Index(models.F('org'), models.F('archived'), django.db.models.functions.text.Lower('label'), models.F('id'), name='vehicle_list_label_idx'),
        ),
        migrations.AddIndex(
            model_name='vehicle',
            index=models.Index(models.F('org'), models.F('archived'), django.db.models.functions.text.Lower('make'), django.db.models.functions.text.Lower('model'), django.db.models.functions.text.Lower('label'), name='vehicle_list_make_idx'),
        ),
    ]
