from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.errors import DomainError
from reports import services
from reports.models import Trigger
from reports.periods import ReportKind, ReportPeriod


class Command(BaseCommand):
    help = (
        "Generate 《市民热线反映》 for any period: --kind daily|weekly|monthly|quarterly --period 2026-11-05 | "
        "2026-W45 | 2026-11 | 2026-Q4. A period that has a report gets a new version; files are never overwritten."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", required=True, choices=ReportKind.values)
        parser.add_argument("--period", required=True, help="2026-11-05, 2026-W45, 2026-11 or 2026-Q4")
        parser.add_argument("--lang", default=settings.LANGUAGE_CODE, help="language (default: %(default)s)")

    def handle(self, *args, kind: str, period: str, lang: str, **options) -> None:
        try:
            parsed = ReportPeriod.parse(kind, period)
        except DomainError as error:
            raise CommandError(error.fields.get("period", [error.message])[0]) from error
        report = services.generate_report(period=parsed, trigger=Trigger.COMMAND, language=lang)
        self.stdout.write(f"{report.title} (version {report.version})")
        self.stdout.write(f"Excel: {report.xlsx.name} sha256 {report.xlsx_sha256}")
        if report.pdf:
            self.stdout.write(f"PDF: {report.pdf.name} sha256 {report.pdf_sha256}")
        else:
            self.stdout.write(f"PDF unavailable: {report.pdf_unavailable}")
