from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fleetmaint.demo import login_lines, seed_demo


class Command(BaseCommand):
    help = "Loads the demo fleet used by `make run`. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Allow it outside DEBUG (known passwords!)."
        )
        logins = parser.add_mutually_exclusive_group()
        logins.add_argument(
            "--logins-only", action="store_true", help="Only print the demo logins."
        )
        logins.add_argument(
            "--no-logins",
            action="store_true",
            help="Load the fleet without printing the logins (`make run` prints them once "
            "the server answers).",
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
        if not options["no_logins"]:
            self.stdout.write("\n".join(login_lines()))
