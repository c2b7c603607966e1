"""``manage.py create_servicer "Bay Garage" --type scheduled-maintenance --fleet acme``."""

from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from fleetmaint.accounts.models import Organization
from fleetmaint.errors import DomainError
from fleetmaint.orders.models import ServiceType
from fleetmaint.orders.servicers import servicer_create


class Command(BaseCommand):
    help = (
        "Creates a servicer (a repair shop, depot or mobile technician) and links it to "
        "fleets; prints its id as the last line."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name")
        parser.add_argument(
            "--type",
            dest="types",
            action="append",
            required=True,
            help=f"A service type it offers ({', '.join(ServiceType.values)}); repeat for more.",
        )
        parser.add_argument(
            "--fleet", dest="fleets", action="append", default=[], help="An organization's slug."
        )
        parser.add_argument("--email", default="")
        parser.add_argument("--phone", default="")
        parser.add_argument("--currency", default="EUR")
        parser.add_argument("--auto-accept", action="store_true")

    def handle(self, *args: object, **options: object) -> None:
        slugs: list[str] = options["fleets"]  # type: ignore[assignment]
        fleets = list(Organization.objects.filter(slug__in=slugs))
        unknown = sorted(set(slugs) - {org.slug for org in fleets})
        if unknown:
            raise CommandError(f"No organization with the slug {', '.join(map(repr, unknown))}.")
        try:
            servicer = servicer_create(
                name=str(options["name"]),
                service_types=list(options["types"]),  # type: ignore[call-overload]
                email=str(options["email"]),
                phone=str(options["phone"]),
                currency=str(options["currency"]),
                auto_accept=bool(options["auto_accept"]),
                fleets=fleets,
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        works_for = ", ".join(org.name for org in fleets) or "no fleet yet"
        self.stderr.write(f"Servicer {servicer.name!r} created, working for {works_for}.")
        self.stdout.write(str(servicer.pk))
