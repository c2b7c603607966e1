from django.core.management.base import BaseCommand
from django_q.models import Schedule

# name -> (function, minutes between runs)
SCHEDULES = {
    "Deliver waiting notifications": ("fleetmaint.notifications.jobs.sweep_outbox", 1),
    "Check date thresholds": ("fleetmaint.sweeps.sweep_dates", 15),
    "Clean up old deliveries": ("fleetmaint.notifications.jobs.cleanup_deliveries", 24 * 60),
    "Remove old report files": ("fleetmaint.reports.jobs.cleanup_reports", 60),
    "Fold task counts together": ("fleetmaint.tasks.tally.compact", 5),
    "Forget old failed sign-ins": ("fleetmaint.attempts.services.forget_old", 24 * 60),
    "Forget day-old idempotency keys": ("fleetmaint.idempotency.services.forget_old", 60),
}


class Command(BaseCommand):
    help = "Creates or updates the periodic background jobs. Safe to run again."

    def handle(self, *args, **options):
        for name, (func, minutes) in SCHEDULES.items():
            _, created = Schedule.objects.update_or_create(
                name=name,
                defaults={
                    "func": func,
                    "schedule_type": Schedule.MINUTES,
                    "minutes": minutes,
                    "repeats": -1,
                },
            )
            self.stdout.write(f"{'Created' if created else 'Updated'} schedule: {name}")
