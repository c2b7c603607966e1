from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fleetmaint.demo import DEMO_OPERATOR_LOGIN, DEMO_SERVICER_LOGIN, DEMO_USERS, seed_demo


class Command(BaseCommand):
    help = "Loads the demo fleet used by `make run`. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Allow it outside DEBUG (known passwords!)."
        )
        parser.add_argument(
            "--logins-only", action="store_true", help="Only print the demo logins."
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "The demo data has well-known passwords; run it with DEBUG=true or --force."
            )
        if not options["logins_only"]:
            result = seed_demo()
            self.stdout.write(
                f"Demo fleet {result.org.name!r}: {result.created_vehicles} new vehicle(s)."
            )
        self.stdout.write("  Demo logins (username / password):")
        for username, (password, role) in DEMO_USERS.items():
            self.stdout.write(f"    {username:8} / {password:20} {role}")
        username, password = DEMO_SERVICER_LOGIN
        self.stdout.write(f"    {username:8} / {password:20} servicer portal")
        username, password = DEMO_OPERATOR_LOGIN
        self.stdout.write(f"    {username:8} / {password:20} operator: the Django admin (/admin/)")
