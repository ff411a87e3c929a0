from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from analytics import exports, report
from analytics.periods import Period
from analytics.selectors import EVERYTHING
from hotline.errors import DomainError


class Command(BaseCommand):
    help = (
        "Print the disclosure report (work summary, request types, handling units, hot topics, handling "
        "results) of a year or a month from the rollups; --output also writes it as an Excel workbook."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        period = parser.add_mutually_exclusive_group(required=True)
        period.add_argument("--year", type=int, help="e.g. 2020")
        period.add_argument("--month", help="e.g. 2026-10")
        parser.add_argument("--output", type=Path, help="write the report as .xlsx to this path")
        parser.add_argument("--lang", default=settings.LANGUAGE_CODE, help="language (default: %(default)s)")

    def handle(self, *args, year: int | None, month: str | None, output: Path | None, lang: str, **options) -> None:
        try:
            period = Period.parse(str(year) if year else month)
        except DomainError as error:
            raise CommandError(error.fields.get("period", [error.message])[0]) from error
        with translation.override(lang):
            built = report.build_report(scope=EVERYTHING, period=period)
            self.stdout.write(report.as_text(built))
            if output:
                output.write_bytes(exports.report_workbook(built))
                self.stdout.write(f"Written: {output}")
