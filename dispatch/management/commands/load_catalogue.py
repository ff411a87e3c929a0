from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dispatch import services
from hotline.errors import DomainError


class Command(BaseCommand):
    help = (
        "Load the shipped dispatch catalogue (dispatch/data/catalogue.csv) after load_org. Idempotent: "
        "rules already in effect are left alone, and none are ended."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--valid-from", type=date.fromisoformat, help="first day of the new rules (default: today)")

    def handle(self, *args, **options) -> None:
        try:
            result = services.load_catalogue(
                rows=services.read_catalogue_rows(), valid_from=options["valid_from"] or timezone.localdate()
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"dispatch catalogue: {result.created} rules created, {result.unchanged} unchanged")
