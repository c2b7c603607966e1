from django.core.management.base import BaseCommand, CommandError

from fleetmaint.accounts.models import Organization
from fleetmaint.accounts.services import apikey_create
from fleetmaint.errors import DomainError


class Command(BaseCommand):
    help = "Creates an API key for an organization and prints it as the last line."

    def add_arguments(self, parser):
        parser.add_argument("org_slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--read-only", action="store_true")
        parser.add_argument(
            "--readings-only",
            action="store_true",
            help="A key for GPS trackers: opens only the telematics ingest.",
        )

    def handle(self, *args, **options):
        org = Organization.objects.filter(slug=options["org_slug"]).first()
        if org is None:
            raise CommandError(f"No organization with the slug {options['org_slug']!r}.")
        try:
            key, raw = apikey_create(
                org=org,
                name=options["name"],
                read_only=options["read_only"],
                readings_only=options["readings_only"],
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stderr.write(f"API key {key.name!r} for {org.name}. It is shown only once:")
        self.stdout.write(raw)
