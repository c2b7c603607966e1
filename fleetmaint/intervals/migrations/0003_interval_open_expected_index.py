"""Open intervals by the day they are expected, for what is coming on the dashboard and in the feed."""

import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_organization_calendar_token'),
        ('intervals', '0002_due_page_indexes'),
        ('vehicles', '0007_one_label_index'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='serviceinterval',
            index=models.Index(models.F('org'), django.db.models.functions.comparison.Coalesce('predicted_due_at', 'service_at_date'), models.F('id'), condition=models.Q(('serviced_at__isnull', True)), name='interval_open_expected_idx'),
        ),
    ]
