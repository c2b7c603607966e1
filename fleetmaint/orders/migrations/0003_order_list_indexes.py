from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0002_item_coverage'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='serviceorder',
            index=models.Index(fields=['org', 'created_at', 'id'], name='order_list_idx'),
        ),
        migrations.AddIndex(
            model_name='serviceorder',
            index=models.Index(condition=models.Q(('status__in', ['pending', 'accepted', 'in-progress', 'delayed'])), fields=['org', 'created_at', 'id'], name='order_list_active_idx'),
        ),
    ]
