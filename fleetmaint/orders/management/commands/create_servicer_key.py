"""``manage.py create_servicer_key <servicer id> --name integration``: the key is shown once."""

from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from fleetmaint.errors import DomainError
from fleetmaint.orders.models import Servicer
from fleetmaint.orders.servicers import servicer_apikey_create


class Command(BaseCommand):
    help = (
        "Creates an API key for a servicer (the servicer side of service orders) and prints "
        "it as the last line. Only a digest is stored: the key is shown this once."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("servicer_id", type=int)
        parser.add_argument("--name", required=True, help="What the key is for.")

    def handle(self, *args: object, **options: object) -> None:
        servicer = Servicer.objects.filter(pk=options["servicer_id"]).first()
        if servicer is None:
            raise CommandError(f"No servicer with the id {options['servicer_id']}.")
        if not servicer.active:
            raise CommandError(f"{servicer.name} is not active; its keys would open nothing.")
        try:
            key, raw = servicer_apikey_create(servicer=servicer, name=str(options["name"]))
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stderr.write(f"API key {key.name!r} for {servicer.name}. It is shown only once:")
        self.stdout.write(raw)
