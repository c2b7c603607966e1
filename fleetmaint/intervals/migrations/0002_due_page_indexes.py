import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('intervals', '0001_initial'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='serviceinterval',
            index=models.Index(condition=models.Q(('serviced_at__isnull', True)), fields=['org', 'predicted_due_at', 'id'], name='interval_open_due_idx'),
        ),
        migrations.AddIndex(
            model_name='serviceinterval',
            index=models.Index(models.F('org'), django.db.models.functions.text.Lower('name'), models.F('id'), condition=models.Q(('serviced_at__isnull', True)), name='interval_open_name_idx'),
        ),
        migrations.AddIndex(
            model_name='serviceinterval',
            index=models.Index(condition=models.Q(('serviced_at__isnull', True)), fields=['org', 'created_at', 'id'], name='interval_open_created_idx'),
        ),
    ]
