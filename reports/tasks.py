from celery import shared_task

from reports import services
from reports.periods import ReportKind


@shared_task(soft_time_limit=900, time_limit=1200)
def generate_due_reports(kind: str) -> list[int]:
    """Beat: the last complete period of the kind (and any missed before it), once each (idempotent)."""
    return [report.pk for report in services.generate_due(kind=ReportKind(kind))]
