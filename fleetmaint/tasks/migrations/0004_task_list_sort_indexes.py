"""Indexes for the Tasks page's other orders and the unplanned filter; the key indexes go."""

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_organization_calendar_token'),
        ('tasks', '0003_task_tally_and_list_indexes'),
        ('vehicles', '0005_vehicle_list_indexes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='servicetask',
            name='org',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.organization'),
        ),
        migrations.AlterField(
            model_name='servicetask',
            name='vehicle',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='tasks', to='vehicles.vehicle'),
        ),
        migrations.AddIndex(
            model_name='servicetask',
            index=models.Index(fields=['org', '-cost', 'id'], name='task_org_cost_idx'),
        ),
        migrations.AddIndex(
            model_name='servicetask',
            index=models.Index(models.F('org'), django.db.models.functions.text.Lower('description'), models.F('id'), name='task_org_description_idx'),
        ),
        migrations.AddIndex(
            model_name='servicetask',
            index=models.Index(models.F('org'), models.OrderBy(models.Case(models.When(status='created', then=models.Value(0)), models.When(status='notified', then=models.Value(1)), models.When(status='expired', then=models.Value(2)), models.When(status='done', then=models.Value(3)), output_field=models.IntegerField()), descending=True), models.F('id'), name='task_org_status_rank_idx'),
        ),
        migrations.AddIndex(
            model_name='servicetask',
            index=models.Index(condition=models.Q(('unplanned', True)), fields=['org', 'predicted_end_date', 'id'], name='task_unplanned_due_idx'),
        ),
    ]
