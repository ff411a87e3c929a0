"""Operators' handle on the monthly rankings: compute drafts, then publish them.

manage.py rankings compute --month 2026-10 [--unit-kind street] [--reason "…"]
manage.py rankings publish --month 2026-10 [--unit-kind street]
"""

from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser

from evaluation import rankings as ranking_services
from hotline.errors import DomainError


def _month(value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError as exc:
        raise CommandError(f"--month must be YYYY-MM, not {value!r}") from exc


class Command(BaseCommand):
    help = "Compute a month's draft rankings, or publish them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["compute", "publish"])
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument(
            "--unit-kind",
            choices=[str(kind) for kind in ranking_services.RANKED_KINDS],
            help="one ranked unit kind (default: all of them)",
        )
        parser.add_argument("--reason", default="", help="required to compute a published month again")

    def handle(self, *args: object, action: str, month: str, unit_kind: str | None, reason: str, **options) -> None:
        kinds = [unit_kind] if unit_kind else [str(kind) for kind in ranking_services.RANKED_KINDS]
        try:
            if action == "compute":
                rankings = ranking_services.compute_rankings(month=_month(month), unit_kinds=kinds, reason=reason)
                verb = "draft"
            else:
                rankings = ranking_services.publish_month(month=_month(month), unit_kinds=kinds, actor=None)
                verb = "published"
        except DomainError as error:
            raise CommandError(error.message) from error
        if not rankings:
            self.stdout.write(f"{month}: nothing to {action}.")
        for ranking in rankings:
            lines = ranking.results.count()
            self.stdout.write(f"{ranking.month:%Y-%m} {ranking.unit_kind} v{ranking.version} {verb}: {lines} units")
