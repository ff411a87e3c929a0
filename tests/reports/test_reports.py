"""Building and storing 《市民热线反映》: figures from the rollups and rankings, immutable versioned
files, the PDF optional where its libraries or font are missing, the command, the pages."""

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from analytics import selectors as analytics
from analytics.periods import Period
from evaluation import selectors as evaluation
from hotline.models import Role, Unit, UnitKind
from intake.models import Channel, Ticket
from reports import builder, exports, selectors, services
from reports import demo as reports_demo
from reports.models import ImmutableReportError, Report, Trigger
from reports.periods import ReportKind, ReportPeriod
from tests.reports.conftest import _start
from tests.reports.files import pdf_text, table_rows
from topics import services as topic_services
from topics.models import TopicMeasure

pytestmark = pytest.mark.django_db


def _table(report: Report, title: str) -> dict:
    return next(t for s in report.content["sections"] for t in s["tables"] if t["title"] == title)


def _stored(media: str, field) -> bytes:
    return (Path(media) / field.name).read_bytes()


def test_monthly_report_reads_the_published_street_ranking(data, media, settings):
    # Given last month's published street ranking
    period = data.periods[ReportKind.MONTHLY]
    ranking = evaluation.ranking_for(month=period.start, unit_kind=UnitKind.STREET)
    expected = evaluation.publication(ranking=ranking)
    assert expected.top
    # When its monthly report is generated
    report = services.generate_report(period=period)
    # Then the top 10 is the ranking's, in order, with each district's top 3
    with translation.override(settings.LANGUAGE_CODE):
        top = _table(report, _("City top 10"))
        district_tops = _table(report, _("Top 3 of each district"))
    assert [row[0] for row in top["rows"]] == [result.rank for result in expected.top]
    assert [row[1] for row in top["rows"]] == [f"{r.unit.parent.name}{r.unit.name}" for r in expected.top]
    assert [row[2] for row in top["rows"]] == [float(r.composite) for r in expected.top]
    assert {row[0] for row in district_tops["rows"]} == {top.district.name for top in expected.district_tops}
    # and the volumes are the rollups' (the analytics pages' figures)
    summary = analytics.summary(scope=analytics.EVERYTHING, period=Period.month(period.start))
    volumes = report.content["sections"][0]["tables"][0]["rows"]
    assert volumes[0][1:3] == [summary.received, summary.previous_received]
    # and both files are stored with their digests
    xlsx, pdf = _stored(media, report.xlsx), _stored(media, report.pdf)
    assert hashlib.sha256(xlsx).hexdigest() == report.xlsx_sha256
    assert hashlib.sha256(pdf).hexdigest() == report.pdf_sha256
    assert [row[1] for row in table_rows(xlsx, top["title"])[1:]] == [row[1] for row in top["rows"]]
    assert all(row[1] in pdf_text(pdf) for row in top["rows"])


def test_quarterly_report_averages_the_months_rankings(data, settings):
    # Given the quarter's three published monthly street rankings
    period = data.periods[ReportKind.QUARTERLY]
    # When its analysis is built
    standings = selectors.standings(period=period)
    # Then each street's score is the mean of its monthly composite scores
    assert standings.source == "rankings"
    assert standings.months == period.months()
    for line in standings.ranked:
        monthly = [
            result.composite
            for month in period.months()
            for result in evaluation.ranking_for(month=month, unit_kind=UnitKind.STREET).results.filter(
                unit=line.unit, composite__isnull=False
            )
        ]
        assert line.months_ranked == len(monthly)
        assert abs(line.composite - sum(monthly) / len(monthly)) < 0.01
    assert [line.rank for line in standings.ranked] == sorted(line.rank for line in standings.ranked)


def test_daily_report_ranks_by_the_rates_of_the_days_rollups(data):
    # Given yesterday's tickets in the rollups
    period = data.periods[ReportKind.DAILY]
    # When the day's standings are read
    standings = selectors.standings(period=period)
    # Then streets are scored on the day's rollup counts, best first, and the busiest are listed
    assert standings.source == "rollups"
    assert standings.ranked
    scores = [line.composite for line in standings.ranked]
    assert scores == sorted(scores, reverse=True)
    assert all(line.handled for line in standings.ranked)
    busiest = selectors.busiest_streets(period=period)
    assert busiest
    assert [count for _name, count in busiest] == sorted((count for _name, count in busiest), reverse=True)


def test_a_month_without_a_published_ranking_falls_back_to_the_rollups(db, media):
    # Given no published ranking
    from tests.reports.conftest import build_data

    data = build_data(publish=False)
    # When the month's report is built
    document = builder.build(period=data.periods[ReportKind.MONTHLY])
    # Then the rankings come from the rollups' rates, and the report says so
    standings = selectors.standings(period=data.periods[ReportKind.MONTHLY])
    assert standings.source == "rollups"
    assert any("published" in paragraph or "公布" in paragraph for paragraph in document.section("rankings").paragraphs)


def test_zones_split_the_city(data, settings):
    for kind in ReportKind.values:
        rows = selectors.zones(period=data.periods[kind])
        with translation.override(settings.LANGUAGE_CODE):
            labels = [row.label for row in rows]
            assert labels[:2] == [str(_("Central urban area")), str(_("Plain new towns"))]
        assert sum(row.received for row in rows) == selectors.totals(period=data.periods[kind]).counts["received"] - (
            _without_district(data.periods[kind])
        )


def _without_district(period: ReportPeriod) -> int:
    rows, _column = selectors._rows(period.start, period.end)
    return sum(rows.filter(district=None).values_list("received", flat=True))


def test_without_a_topic_the_topics_section_says_so(data):
    section = builder.topics_progress(data.periods[ReportKind.MONTHLY])
    assert section.tables == []
    assert len(section.paragraphs) == 1


def test_the_topics_section_lists_each_topic_with_its_tickets_and_measures_done(data, make_user):
    # Given a topic adopted before the month's end on the category of a ticket received in it,
    # with two reform measures, one of them done in the month
    period = data.periods[ReportKind.MONTHLY]
    in_month = Ticket.objects.filter(created_at__gte=_start(period.start), created_at__lt=_start(period.end))
    category = in_month.exclude(channel=Channel.PROACTIVE).first().category
    admin = make_user(Role.CITY_ADMIN, unit=Unit.objects.get(kind=UnitKind.CITY))
    topic = topic_services.adopt_topic(
        actor=admin,
        data=topic_services.TopicInput(
            title="老旧小区供暖",
            problem="供暖不热",
            lead_unit=data.city.districts[0],
            month=period.start,
            categories=[category],
            tracked_from=period.start.replace(year=period.start.year - 1),
        ),
    )
    done, _open = (
        topic_services.add_measure(
            actor=admin, topic_id=topic.pk, text=text, owner=data.city.districts[0], due_date=period.end
        )
        for text in ("排查", "改造")
    )
    TopicMeasure.objects.filter(pk=done.pk).update(done_at=_start(period.start) + timedelta(days=3))
    # When the month's section is built
    section = builder.topics_progress(period)
    # Then the topic's line counts its tickets received in the month and one measure of two done
    expected = in_month.filter(category=category).exclude(channel=Channel.PROACTIVE).count()
    [row] = section.tables[0].rows
    assert (row[0], row[3], row[6]) == ("老旧小区供暖", expected, "1/2")
    assert expected > 0


def test_regenerating_a_period_adds_a_version_and_never_touches_the_stored_files(data, media):
    period = data.periods[ReportKind.WEEKLY]
    first = services.generate_report(period=period, trigger=Trigger.SCHEDULE)
    first_xlsx = _stored(media, first.xlsx)
    # When the period is generated again
    second = services.generate_report(period=period)
    # Then it is version 2, in files of its own; version 1's files are as they were
    assert (first.version, second.version) == (1, 2)
    assert {second.xlsx.name, second.pdf.name}.isdisjoint({first.xlsx.name, first.pdf.name})
    assert _stored(media, first.xlsx) == first_xlsx
    assert hashlib.sha256(first_xlsx).hexdigest() == first.xlsx_sha256
    # and the list shows the latest, with the history behind it
    assert list(selectors.latest_reports(kind=ReportKind.WEEKLY)) == [second]
    assert selectors.report_versions(report=first) == [second, first]
    # and a stored report cannot be changed
    first.title = "changed"
    with pytest.raises(ImmutableReportError):
        first.save()


def test_the_schedule_generates_a_period_once(data, media):
    # When the scheduled run happens twice
    first = services.generate_due(kind=ReportKind.DAILY, today=data.today, catch_up=1)
    again = services.generate_due(kind=ReportKind.DAILY, today=data.today, catch_up=1)
    # Then the last complete day and the one before have one report each
    assert [report.pk for report in first] == [report.pk for report in again]
    assert [report.period_start for report in first] == [
        data.periods[ReportKind.DAILY].previous().start,
        data.periods[ReportKind.DAILY].start,
    ]
    assert Report.objects.count() == 2


def test_without_a_chinese_font_the_report_keeps_its_workbook_and_says_why(data, media, monkeypatch):
    # Given a machine without any Chinese font
    monkeypatch.setattr(exports, "chinese_font_installed", lambda: False)
    # When a report is generated
    report = services.generate_report(period=data.periods[ReportKind.DAILY])
    # Then it is stored with its workbook, without a PDF, and the reason names the package
    assert report.xlsx
    assert not report.pdf
    assert "fonts-noto-cjk" in report.pdf_unavailable


def test_without_weasyprint_the_report_keeps_its_workbook(data, media, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_weasyprint(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_weasyprint)
    report = services.generate_report(period=data.periods[ReportKind.DAILY])
    assert not report.pdf
    assert "Pango" in report.pdf_unavailable


def test_the_command_regenerates_any_period(data, media, capsys):
    call_command("hotline_report", "--kind", "monthly", "--period", data.periods[ReportKind.MONTHLY].param)
    call_command("hotline_report", "--kind", "monthly", "--period", data.periods[ReportKind.MONTHLY].param)
    versions = Report.objects.filter(kind=ReportKind.MONTHLY).order_by("version")
    assert [(report.version, report.trigger) for report in versions] == [(1, "command"), (2, "command")]
    assert "version 2" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("hotline_report", "--kind", "monthly", "--period", "2026-13")


# --- Pages -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.AGENT, Role.UNIT_LEADER, Role.DISTRICT_SUPERVISOR])
def test_others_than_hotline_oversight_get_404(data, media, client, make_user, role):
    report = services.generate_report(period=data.periods[ReportKind.DAILY])
    client.force_login(make_user(role))
    for url in (
        reverse("reports:list"),
        reverse("reports:detail", args=[report.pk]),
        reverse("reports:xlsx", args=[report.pk]),
    ):
        assert client.get(url).status_code == 404


@pytest.mark.parametrize("role", [Role.CITY_ADMIN, Role.HOTLINE_SUPERVISOR])
def test_oversight_lists_reads_and_downloads_reports(data, media, client, make_user, role, settings):
    report = services.generate_report(period=data.periods[ReportKind.MONTHLY])
    client.force_login(make_user(role))
    listing = client.get(reverse("reports:list"))
    assert listing.status_code == 200
    assert report.title in listing.content.decode()
    page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    with translation.override(settings.LANGUAGE_CODE):
        top = _table(report, _("City top 10"))
    assert all(row[1] in page for row in top["rows"])
    download = client.get(reverse("reports:xlsx", args=[report.pk]))
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == report.xlsx_sha256
    pdf = client.get(reverse("reports:pdf", args=[report.pk]))
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_the_list_runs_a_fixed_number_of_queries(data, media, client, supervisor, django_assert_max_num_queries):
    client.force_login(supervisor)
    client.get(reverse("reports:list"))
    for kind in ReportKind.values:
        services.generate_report(period=data.periods[kind])
        services.generate_report(period=data.periods[kind].previous())
    with django_assert_max_num_queries(8):
        assert client.get(reverse("reports:list")).status_code == 200


def test_the_demo_stores_the_last_complete_period_of_each_kind_once(data, media):
    # When the demo is loaded twice
    first = reports_demo.load(password="unused")
    again = reports_demo.load(password="unused")
    # Then the last day, week, month and quarter each have one report, with both files
    assert sorted(Report.objects.values_list("kind", flat=True)) == sorted(ReportKind.values)
    assert all(report.xlsx and report.pdf for report in Report.objects.all())
    assert first[0] == again[0]
