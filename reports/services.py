"""Writes for 《市民热线反映》: build a period's report, store its files, add its row.

Stored reports are immutable. Generating a period that has a report adds the next version (files
under new names: nothing is ever overwritten); the schedule generates only periods without one,
so a task that runs twice, or two workers at once, leave one report (an advisory lock per
period serializes them, and the unique version is the database's guarantee).
"""

import hashlib
import logging
from datetime import date

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone, translation

from reports import builder, exports, selectors
from reports.models import Report, Trigger
from reports.periods import ReportKind, ReportPeriod

logger = logging.getLogger(__name__)
LOCK_CLASS = 12345  # first key of the advisory lock (the second is the period's)


def _lock(period: ReportPeriod) -> None:
    """One generation of a period at a time (two beats, a command beside the schedule). SQLite,
    the quick start's database, lets one writer in at a time anyway: it has no advisory locks."""
    if connection.vendor != "postgresql":
        return
    key = period.start.toordinal() * 4 + ReportKind.values.index(period.kind)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, key])


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def generate_report(
    *, period: ReportPeriod, trigger: str = Trigger.COMMAND, language: str | None = None, only_if_missing: bool = False
) -> Report:
    """Build the period's report and store it as the next version (with `only_if_missing`, return
    the latest stored one instead, if any). The PDF is optional: where it cannot be made, the row
    says why and keeps the workbook."""
    language = language or settings.LANGUAGE_CODE
    if only_if_missing and (
        found := selectors.latest_reports(kind=period.kind).filter(period_start=period.start).first()
    ):
        return found
    with translation.override(language):
        document = builder.build(period=period)
        content = builder.as_json(document)
        xlsx = exports.workbook(content)
        try:
            pdf, reason = exports.pdf(content), ""
        except exports.PdfUnavailable as error:
            pdf, reason = None, str(error)
            logger.warning("Report %s %s without PDF: %s", period.kind, period.param, reason)
    saved: list[str] = []
    try:
        with transaction.atomic():
            _lock(period)
            if only_if_missing and selectors.has_report(period=period):
                return selectors.latest_reports(kind=period.kind).get(period_start=period.start)
            version = selectors.next_version(period=period)
            base = f"reports/{period.kind}/{period.param}/hotline-report-{period.kind}-{period.param}-v{version}"
            # Storage never overwrites: a name in use gets a suffix.
            xlsx_name = default_storage.save(f"{base}.xlsx", ContentFile(xlsx))
            saved.append(xlsx_name)
            pdf_name = ""
            if pdf is not None:
                pdf_name = default_storage.save(f"{base}.pdf", ContentFile(pdf))
                saved.append(pdf_name)
            report = Report(
                kind=period.kind,
                period_start=period.start,
                period_end=period.last_day,
                version=version,
                trigger=trigger,
                language=language,
                generated_at=timezone.now(),
                title=document.title[:200],
                content=content,
                xlsx=xlsx_name,
                xlsx_sha256=_digest(xlsx),
                pdf=pdf_name,
                pdf_sha256=_digest(pdf) if pdf is not None else "",
                pdf_unavailable=reason[:500],
            )
            report.save()
    except BaseException:
        for name in saved:
            default_storage.delete(name)
        raise
    return report


def generate_due(*, kind: str, today: date | None = None, catch_up: int | None = None) -> list[Report]:
    """The schedule: the last complete period of `kind` and the few before it (a run missed while
    the workers were down is caught up), each generated once; stored periods are left as they are."""
    today = today or timezone.localdate()
    catch_up = settings.REPORTS_CATCH_UP_PERIODS if catch_up is None else catch_up
    last = ReportPeriod.last_complete(kind, today)
    periods = [last.previous(offset) for offset in range(max(catch_up, 0), 0, -1)] + [last]
    return [generate_report(period=period, trigger=Trigger.SCHEDULE, only_if_missing=True) for period in periods]
