from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics import services


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"not a date (YYYY-MM-DD): {value}") from error


class Command(BaseCommand):
    help = (
        "Recompute the analytics rollups of the days --from … --to (both inclusive); without them, rebuild "
        "everything from the first ticket to today. Safe while the periodic refresh runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="first", type=_date, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="last", type=_date, help="last day, YYYY-MM-DD (default: today)")

    def handle(self, *args, first: date | None = None, last: date | None = None, **options) -> None:
        if first and last and last < first:
            raise CommandError("--to is before --from")
        days = services.rebuild_rollups(first=first, last=last)
        self.stdout.write(f"Recomputed the rollups of {days} day(s).")
