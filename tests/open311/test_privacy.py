"""The public feed shows what citizens wrote without identity: every variant of issue 16, item 3."""

import xml.etree.ElementTree as ET

import pytest

from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"


@pytest.mark.parametrize(
    "identity",
    [
        "138 1111 2222",
        "138-1111-2222",
        "１３８１１１１２２２",
        "11010519491231002X",
        "110105 19491231 002X",
        "010 6512 3456",
        "foo at example dot com",
        "foo[at]example.com",
        "foo＠example．com",
    ],
)
def test_each_variant_is_redacted_in_the_public_feed(anon, service, identity):
    # given a request whose description, address and public reply carry the identity
    ticket = TicketFactory(
        category=service,
        description=f"路灯不亮，有事请找我：{identity}。",
        address=f"幸福小区东门（{identity}）",
        public_reply=f"已修复，回访号码{identity}。",
    )
    # when the feed is read as JSON and XML, as a list and one by one
    (item,) = anon.get(f"{BASE}/requests/{ticket.number}.json").json()
    listed = anon.get(f"{BASE}/requests.json").content.decode()
    root = ET.fromstring(anon.get(f"{BASE}/requests/{ticket.number}.xml").content)
    # then the identity appears nowhere, and the rest of the text does
    assert item["description"] == "路灯不亮，有事请找我：***。"
    assert item["address"] == "幸福小区东门（***）"
    assert item["status_notes"] == "已修复，回访号码***。"
    assert root.findtext("request/description") == "路灯不亮，有事请找我：***。"
    assert identity not in listed


def test_the_callers_own_name_is_masked_even_unannounced(anon, service):
    ticket = TicketFactory(category=service, caller__name="欧阳小明", description="欧阳小明家门口的路灯坏了")
    (item,) = anon.get(f"{BASE}/requests/{ticket.number}.json").json()
    assert item["description"] == "欧***家门口的路灯坏了"
