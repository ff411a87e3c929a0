"""CSV and Excel exports of a ranking: the table's columns, Chinese headers, one row per unit."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from hotline.models import Role

pytestmark = pytest.mark.django_db

HEADER = ["排名", "单位", "响应率", "解决率", "满意率", "加减分", "综合得分", "上月综合得分", "名次变化", "类别"]
QUERY = "?month=2026-10&kind=street"


def test_csv_has_a_bom_the_header_and_one_row_per_unit(client, city_admin, ranked_october):
    client.force_login(city_admin)
    response = client.get(reverse("evaluation:ranking_csv") + QUERY)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="ranking-2026-10-street-v1.csv"' in response["Content-Disposition"]
    # UTF-8 with a byte-order mark, so that Excel reads the Chinese correctly
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == HEADER
    assert rows[1:] == [
        ["1", "甲街道", "100.00%", "100.00%", "100.00%", "0.00", "100.00", "", "", "先进"],
        ["2", "乙街道", "75.00%", "75.00%", "75.00%", "0.00", "75.00", "", "", ""],
        ["3", "丁街道", "50.00%", "50.00%", "50.00%", "0.00", "50.00", "", "", ""],
        ["4", "丙街道", "25.00%", "25.00%", "25.00%", "0.00", "25.00", "", "", "整改"],
    ]


def test_xlsx_opens_with_the_header_and_numeric_values(client, city_admin, ranked_october):
    client.force_login(city_admin)
    response = client.get(reverse("evaluation:ranking_xlsx") + QUERY)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADER
    assert rows[1:] == [
        [1, "甲街道", 1.0, 1.0, 1.0, 0.0, 100.0, None, None, "先进"],
        [2, "乙街道", 0.75, 0.75, 0.75, 0.0, 75.0, None, None, None],
        [3, "丁街道", 0.5, 0.5, 0.5, 0.0, 50.0, None, None, None],
        [4, "丙街道", 0.25, 0.25, 0.25, 0.0, 25.0, None, None, "整改"],
    ]
    # Rates are numbers shown as percentages
    assert sheet["C2"].number_format == "0.00%"


def test_exports_follow_the_district_supervisors_scope(client, make_user, district, ranked_october):
    client.force_login(make_user(Role.DISTRICT_SUPERVISOR, unit=district))
    response = client.get(reverse("evaluation:ranking_csv") + QUERY)
    units = [row[1] for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig")))][1:]
    assert units == ["甲街道", "乙街道", "丙街道"]
    sheet = load_workbook(io.BytesIO(client.get(reverse("evaluation:ranking_xlsx") + QUERY).content)).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == units


def test_export_of_an_unpublished_month_is_not_found(client, city_admin, ranked_october):
    client.force_login(city_admin)
    assert client.get(reverse("evaluation:ranking_csv") + "?month=2026-08&kind=street").status_code == 404
