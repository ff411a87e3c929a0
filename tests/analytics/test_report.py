"""The disclosure report on a small data set whose figures are worked out by hand: the sections of
the 2020 annual disclosure with the right sentences and tables, from the page, the xlsx export
(sheets and native charts) and the management command."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from analytics import report, services
from analytics.periods import Period
from analytics.selectors import EVERYTHING
from dispatch.models import Assignment, AssignmentRole, AssignmentStatus
from evaluation.models import Callback, CallbackStatus
from hotline.models import Unit
from intake.lifecycle import Status
from intake.models import Caller, Disposition, Ticket
from tests.factories import Plan, local, save_plans

pytestmark = pytest.mark.django_db

SHEETS = ["工作情况", "来电类型", "承办情况", "反映热点", "办理情况"]
_phone = iter(range(10_000, 99_999))


def ticket(city, at, *, channel, kind, leaf, place=None, answered=False, explained=False, lead=None, callback=None):
    """One ticket: answered directly, explained, or dispatched to `lead` ("in_time", "late", "unsigned"),
    with a primary callback (resolution, satisfaction) when given."""
    leaf = city.tree.leaves[leaf]
    district = place.parent if place is not None and place.kind == "street" else place
    street = place if place is not None and place.kind == "street" else None
    caller = Caller.objects.create(phone=f"1380000{next(_phone):04d}")
    new = Ticket(
        number=f"9{next(_phone):015d}",
        channel=channel,
        kind=kind,
        category=leaf,
        caller=caller,
        district=district,
        street=street,
        description="报告测试工单。",
        deadline_tier="general",
    )
    plan = Plan(ticket=new, created_at=at)
    if answered or explained:
        new.status, new.closed_at = Status.CLOSED, at + timedelta(minutes=5)
        new.disposition = Disposition.ANSWERED_DIRECTLY if answered else Disposition.EXPLAINED
        new.answer = "已解答。"
        return plan
    unit, signing = lead
    new.disposition, new.status = Disposition.DISPATCHED, Status.IN_PROGRESS
    dispatched = at + timedelta(hours=1)
    assignment = Assignment(
        ticket=new,
        unit=unit,
        role=AssignmentRole.LEAD,
        status=AssignmentStatus.SIGNED,
        dispatched_at=dispatched,
        sign_due_at=dispatched + timedelta(hours=1),
        signed_at=dispatched + timedelta(minutes=20 if signing == "in_time" else 200),
        due_at=dispatched + timedelta(days=7),
    )
    if signing == "unsigned":
        assignment.status, assignment.signed_at, new.status = AssignmentStatus.DISPATCHED, None, Status.DISPATCHED
    plan.assignments.append(assignment)
    if callback:
        assignment.status, assignment.replied_at = AssignmentStatus.REPLIED, dispatched + timedelta(days=2)
        assignment.reply, assignment.outcome = "已办结。", "resolved"
        assignment.ended_at = new.closed_at = dispatched + timedelta(days=4)
        new.status = Status.CLOSED
        resolution, satisfaction = callback
        plan.callbacks.append(
            Callback(
                ticket=new,
                caller=caller,
                unit=unit,
                due_at=dispatched + timedelta(days=5),
                status=CallbackStatus.DONE,
                resolution=resolution,
                satisfaction=satisfaction,
                attempts=1,
                completed_at=dispatched + timedelta(days=3),
            )
        )
    return plan


@pytest.fixture
def year_2025(city, settings) -> None:
    """Four tickets in 2024 and ten in 2025 (see the figures in each test)."""
    settings.ANALYTICS_ROLLUP_BATCH_DAYS = 1000  # a few tickets over two years: one batch
    east1, east2, west1 = city.streets[0], city.streets[1], city.streets[2]
    east, west = city.districts
    Unit.objects.filter(pk=east.pk).update(population=10_000)
    Unit.objects.filter(pk=west.pk).update(population=4_000)
    department, enterprise = (
        next(u for u in city.handlers if u.kind == kind) for kind in ("city_department", "state_enterprise")
    )
    plans = [
        ticket(city, local(2024, 6, day), channel="phone", kind="consultation", leaf=0, place=east1, answered=True)
        for day in (3, 4, 5, 6)
    ]
    plans += [
        ticket(city, local(2025, 1, 10), channel="phone", kind="consultation", leaf=0, place=east1, answered=True),
        ticket(city, local(2025, 1, 11), channel="phone", kind="consultation", leaf=0, place=east1, answered=True),
        ticket(city, local(2025, 2, 10), channel="phone", kind="consultation", leaf=0, place=east1, answered=True),
        ticket(city, local(2025, 2, 11), channel="phone", kind="consultation", leaf=0, place=east1, answered=True),
        ticket(
            city,
            local(2025, 3, 5),
            channel="enterprise_line",
            kind="complaint",
            leaf=0,
            place=east1,
            lead=(east1, "in_time"),
            callback=("resolved", "satisfied"),
        ),
        ticket(
            city, local(2025, 3, 6), channel="enterprise_line", kind="complaint", leaf=1, place=east1, answered=True
        ),
        ticket(
            city,
            local(2025, 4, 7),
            channel="wechat",
            kind="help",
            leaf=2,
            place=east2,
            lead=(enterprise, "in_time"),
            callback=("unresolved", "unsatisfied"),
        ),
        ticket(
            city,
            local(2025, 4, 8),
            channel="web",
            kind="complaint",
            leaf=3,
            place=west1,
            lead=(west1, "in_time"),
            callback=("resolved", "basically"),
        ),
        ticket(
            city,
            local(2025, 5, 9),
            channel="phone",
            kind="complaint",
            leaf=3,
            place=west,
            lead=(department, "unsigned"),
        ),
        ticket(city, local(2025, 5, 10), channel="phone", kind="suggestion", leaf=0, explained=True),
    ]
    save_plans(plans, city.decider)
    services.rebuild_rollups()


def build(period: str = "2025") -> report.Report:
    with translation.override("zh-hans"):
        return report.build_report(scope=EVERYTHING, period=Period.parse(period))


def test_work_summary_totals_channels_and_dispositions(year_2025):
    section = build().section("work")
    assert section.title == "工作情况"
    assert section.paragraphs == [
        "2025年共受理群众反映10件，环比上升150.00%，其中派单办理诉求4件。",
        "电话反映8件、占比80.00%，网络反映2件、占比20.00%；直接答复5件、占比50.00%，派单处理4件、占比40.00%。",
        "企业专席受理来电2件，直接答复1件、占比50.00%，派单处理1件、占比50.00%。",
    ]
    summary, by_month = section.tables
    with translation.override("zh-hans"):
        platforms = gettext("Other platforms")  # 其他平台转办
    assert [row[:2] for row in summary.rows] == [
        ["受理群众反映", 10],
        ["电话反映（含企业专席）", 8],
        ["网络反映", 2],
        ["媒体反映", 0],
        [platforms, 0],
        ["直接答复", 5],
        ["已派单", 4],
        ["其他（转办、解释说明、待受理）", 1],
        ["企业专席", 2],
    ]
    assert [row[1] for row in by_month.rows] == [2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0]


def test_request_types_per_kind_top_categories_share_and_peak(year_2025):
    section = build().section("kinds")
    assert section.title == "来电类型"
    text = "\n".join(section.paragraphs)
    assert "群众咨询前十类问题为公共服务。其中，咨询比例最高为公共服务类，占咨询总量的100.00%。" in text
    # A kind with the same number in every month that had any, and one in a single month, say so
    # (never "peaked in January at 2 and were fewest in February at 2")
    assert "群众咨询全年占比为40.00%，有咨询的月份每月均为2件。" in text
    assert "群众求助全年占比为10.00%，全部集中在四月。" in text
    # And a kind that varies has its peak and its low
    assert "群众投诉全年占比为40.00%，于三月达到年度最高，为" in text
    assert "从各区分布情况来看，群众投诉集中的区主要有甲区、乙区等。" in text
    kinds = {row[0]: row[1:] for row in section.tables[1].rows}
    assert {kind: values[0] for kind, values in kinds.items()} == {"咨询": 4, "求助": 1, "投诉": 4, "建议": 1}
    assert str(kinds["投诉"][1]) == "0.4000"


def test_handling_units_shares_districts_per_10k_and_top_units(year_2025):
    section = build().section("units")
    assert section.title == "承办情况"
    assert section.paragraphs[0] == (
        "派单办理的4件诉求中，街乡镇承办2件，占比50.00%；市级部门承办1件，占比25.00%；国有企业承办1件，占比25.00%。"
    )
    assert "各区诉求量最多为甲区，共7件；最少为乙区，共2件。" in section.paragraphs
    assert "按常住人口统计，甲区万人诉求量最多，达到7.00件；乙区万人诉求量最少，为5.00件。" in section.paragraphs
    assert "市级部门承办量最多为市交通委，共承办1件。" in section.paragraphs
    assert "国有企业承办量最多为热力集团，共承办1件。" in section.paragraphs
    districts = section.tables[1]
    assert [row[:2] for row in districts.rows] == [["甲区", 7], ["乙区", 2]]


def test_the_top_streets_sentence_names_the_runner_up_and_their_districts(year_2025):
    paragraphs = build().section("units").paragraphs
    assert (
        "从各街乡镇承办情况来看，乙区乙区1街道承办量最多，达到1件，其次是甲区甲区1街道。"
        "承办量前2位的街乡镇中，乙区1个、甲区1个。"
    ) in paragraphs


@pytest.fixture
def one_a_month(city, settings) -> None:
    """One report (举报) in each month of 2025, answered directly."""
    settings.ANALYTICS_ROLLUP_BATCH_DAYS = 1000
    plans = [
        ticket(
            city, local(2025, month, 15), channel="phone", kind="report", leaf=0, place=city.streets[0], answered=True
        )
        for month in range(1, 13)
    ]
    save_plans(plans, city.decider)
    services.rebuild_rollups()


def test_the_same_number_every_month_reads_as_such(one_a_month):
    # Never "peaked in January at 1 and were fewest in January at 1"
    assert "群众举报全年占比为100.00%，全年各月均为1件。" in build().section("kinds").paragraphs


def test_english_sentences_are_whole_with_their_plural_forms(one_a_month):
    # When a month with one request is reported in English
    with translation.override("en"):
        built = report.build_report(scope=EVERYTHING, period=Period.parse("2025-06"))
    # Then each sentence reads as one, in the singular, with the change on the previous month in it
    assert built.section("work").paragraphs[0] == (
        "In 6/2025 the hotline received 1 request, as many as in the previous period; 0 of them were "
        "dispatched to handling units."
    )
    topics = built.section("topics").paragraphs
    assert topics[2].endswith(
        ": 1 request, as many as in the previous period, mainly about 供暖. The largest part was 供暖, 100.00%."
    )
    assert topics[3] == "1 was answered directly (100.00%)."


def test_hot_topics_with_sub_categories_direct_answers_and_districts(year_2025):
    section = build().section("topics")
    assert section.title == "反映热点"
    assert section.paragraphs[0] == "2025年群众反映前十类问题分别是公共服务、交通管理。"
    assert (
        "公共服务类问题共反映8件，环比上升100.00%，主要反映供暖、供水等问题。其中，供暖占比最大，为87.50%。"
        in section.paragraphs
    )
    assert any(p.startswith("从承办情况来看，直接答复5件，占比为62.50%。承办单位中，") for p in section.paragraphs)
    assert "从各区来看，甲区反映最多，为7件，占各区总量的100.00%。" in section.paragraphs
    top = section.tables[0].rows
    assert [row[:3] for row in top] == [[1, "公共服务", 8], [2, "交通管理", 2]]


def test_handling_results_rates(year_2025):
    section = build().section("results")
    assert section.title == "办理情况"
    # 3 callbacks: resolved+satisfied, unresolved+unsatisfied, resolved+basically (0.8); 3 of 4 signed in time
    assert section.paragraphs[0] == (
        "2025年，群众诉求解决率为66.67%、满意率为60.00%（上期分别为—、—），派单诉求按时签收率为75.00%。"
        "以上按受理时间统计；月度排名按派单和回访时间统计。"
    )
    # one sentence, the runner-up within it
    assert section.paragraphs[1] == "从承办单位类型来看，街乡镇的解决率和满意率相对较高，其次是国有企业。"


def test_handling_results_rates_by_month(year_2025):
    # When the report of 2025 is built
    section = build().section("results")
    # Then its month table has each month's answered callbacks and three rates, None where there is no
    # denominator: January only answered directly, May's one dispatched request was not signed and has no callback
    by_month = next(table for table in section.tables if table.title == "各月“三率”")
    assert by_month.headers == ["月份", "有效回访", "签收及时率", "解决率", "满意率"]
    rows = {row[0]: row[1:] for row in by_month.rows}
    assert list(rows) == [f"2025-{month:02d}" for month in range(1, 13)]
    assert rows["2025-01"] == [0, None, None, None]
    assert rows["2025-03"] == [1, Decimal("1.0000"), Decimal("1.0000"), Decimal("1.0000")]
    # April: 2 callbacks, one resolved, satisfaction (0 + 0.8 × 1 basically) / 2
    assert rows["2025-04"] == [2, Decimal("1.0000"), Decimal("0.5000"), Decimal("0.4000")]
    assert rows["2025-05"] == [0, Decimal("0.0000"), None, None]
    assert by_month.percent_columns == {2, 3, 4}
    # And its line chart has the same rates in percent points, gaps where there is no rate
    chart = next(chart for chart in section.charts if chart.title == "各月“三率”")
    assert chart.kind == "line"
    assert [(name, values[2:5]) for name, values in chart.series] == [
        ("签收及时率", [100.0, 100.0, 0.0]),
        ("解决率", [100.0, 50.0, None]),
        ("满意率", [100.0, 40.0, None]),
    ]


def test_a_month_report_compares_with_the_previous_month(year_2025):
    section = build("2025-02").section("work")
    assert section.paragraphs[0] == "2025年2月共受理群众反映2件，环比持平，其中派单办理诉求0件。"


def test_report_page_and_its_excel_export(client, year_2025, city_admin):
    client.force_login(city_admin)
    # When the page of 2025 is opened
    response = client.get(f"{reverse('analytics:report')}?period=2025")
    # Then it shows the five sections with their sentences
    content = response.content.decode()
    for title in SHEETS:
        assert title in content
    assert "2025年共受理群众反映10件" in content
    # When the Excel file is downloaded
    response = client.get(f"{reverse('analytics:report')}?period=2025&format=xlsx")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="disclosure-report-2025.xlsx"' in response["Content-Disposition"]
    # Then openpyxl opens it: one sheet per section, each with its sentences, tables and charts
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == SHEETS
    work = workbook["工作情况"]
    values = [cell.value for row in work.iter_rows() for cell in row if cell.value is not None]
    assert "2025年共受理群众反映10件，环比上升150.00%，其中派单办理诉求4件。" in values
    rows = {row[0].value: row[1].value for row in work.iter_rows() if row[0].value}
    assert rows["受理群众反映"] == 10
    assert rows["直接答复"] == 5
    for sheet in workbook.worksheets:
        assert len(sheet._charts) >= 1, sheet.title
    share = next(row[2] for row in work.iter_rows() if row[0].value == "直接答复")
    assert (share.value, share.number_format) == (0.5, "0.00%")
    # And the results sheet has the rates by month, empty where there is no rate, and their line chart
    results = workbook["办理情况"]
    may = next(row for row in results.iter_rows(max_col=5) if row[0].value == "2025-05")
    assert [cell.value for cell in may] == ["2025-05", 0, 0, None, None]
    assert may[2].number_format == "0.00%"
    assert any(type(chart).__name__ == "LineChart" for chart in results._charts)


def test_disclosure_report_command_prints_and_writes_the_report(year_2025, tmp_path, capsys):
    # When the command runs for 2025 with an output file
    path = tmp_path / "report.xlsx"
    call_command("disclosure_report", "--year", "2025", "--output", str(path))
    # Then it prints the report in Chinese and writes the workbook
    out = capsys.readouterr().out
    assert out.startswith("2025年 12345市民服务热线“接诉即办”工作情况公开")
    assert "1. 工作情况" in out
    assert "2025年，群众诉求解决率为66.67%、满意率为60.00%" in out
    assert load_workbook(path).sheetnames == SHEETS
    # And a month works too, a bad one is refused
    call_command("disclosure_report", "--month", "2025-03")
    assert "2025年3月共受理群众反映2件" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("disclosure_report", "--month", "2025-13")
