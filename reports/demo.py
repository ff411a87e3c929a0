"""Demo hotline reports: the last complete day, week, month and quarter of the demo's history, as
beat would have generated them, so the reports page has something to open at once. Idempotent: a
period already stored is left as it is."""

from reports import services
from reports.periods import ReportKind


def load(*, password: str) -> list[str]:
    reports = [report for kind in ReportKind.values for report in services.generate_due(kind=kind, catch_up=0)]
    without_pdf = [report for report in reports if not report.pdf]
    lines = [f"reports: {len(reports)} (the last complete day, week, month and quarter)"]
    if without_pdf:
        lines.append(f"reports: no PDF files ({without_pdf[0].pdf_unavailable}); the xlsx files are there")
    return lines
