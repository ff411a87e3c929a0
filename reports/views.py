"""《市民热线反映》 pages: the list of stored reports (latest version of each period) with their
downloads, one report rendered from its stored content with its version history, and the files.
City admins and hotline supervisors only; anyone else gets 404."""

from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from hotline.permissions import require
from reports import selectors
from reports.models import Report
from reports.periods import ReportKind

REPORTS_PER_PAGE = 50


def _report(request: HttpRequest, pk: int) -> Report:
    require(selectors.can_read_reports(user=request.user))
    report = selectors.report_detail(report_id=pk)
    require(report is not None)
    assert report is not None
    return report


@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    require(selectors.can_read_reports(user=request.user))
    kind = request.GET.get("kind", "")
    if kind not in ReportKind.values:
        kind = ""
    page = Paginator(selectors.latest_reports(kind=kind or None), REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    versions = selectors.version_counts(reports=list(page.object_list))
    rows = [(report, versions.get((report.kind, report.period_start), 1)) for report in page.object_list]
    return render(request, "reports/list.html", {"page": page, "rows": rows, "kind": kind, "kinds": ReportKind.choices})


@require_GET
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    return render(
        request,
        "reports/detail.html",
        {"report": report, "content": report.content, "versions": selectors.report_versions(report=report)},
    )


@require_GET
def report_file(request: HttpRequest, pk: int, fmt: str) -> FileResponse:
    report = _report(request, pk)
    stored = report.xlsx if fmt == "xlsx" else report.pdf
    require(bool(stored))
    return FileResponse(stored.open("rb"), as_attachment=True, filename=stored.name.rsplit("/", 1)[-1])
