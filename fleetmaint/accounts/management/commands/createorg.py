from django.core.management.base import BaseCommand, CommandError

from fleetmaint.accounts.services import org_create
from fleetmaint.errors import DomainError


class Command(BaseCommand):
    help = "Creates an organization (a fleet)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--slug")
        parser.add_argument("--timezone", default="UTC")
        parser.add_argument("--currency", default="EUR")
        parser.add_argument("--distance-unit", choices=["km", "mi"], default="km")

    def handle(self, *args, **options):
        try:
            org = org_create(
                name=options["name"],
                slug=options["slug"],
                time_zone=options["timezone"],
                currency=options["currency"],
                distance_unit=options["distance_unit"],
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"Created organization {org.name} ({org.slug}).")
        return None
