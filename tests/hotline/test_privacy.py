"""The one redaction of callers' identity from free text (hotline.privacy.redact_identity)."""

import time

import pytest

from hotline.privacy import redact_identity

IDENTITIES = [
    # mobiles in any spacing, dashes, dots, width and prefix
    "13811112222",
    "138 1111 2222",
    "138-1111-2222",
    "138.1111.2222",
    "138—1111—2222",
    "1381111 2222",
    "1 3 8 1 1 1 1 2 2 2 2",
    "１３８１１１１２２２",  # full-width, as a citizen typed it (one digit short)
    "１３８１１１１２２２２",
    "１３８－１１１１－２２２２",
    "一三八一一一一二二二二",
    "幺三八 幺幺幺幺 二二二二",
    "+86 138 1111 2222",
    "+8613811112222",
    "(0086)13811112222",
    "（+86）138-1111-2222",
    "008613811112222",
    # landlines with an area code
    "010 6512 3456",
    "010-65123456",
    "(010)65123456",
    "（010）6512-3456",
    "01065123456",
    "0731-8888888",
    "0731 8888 8888转123",
    "０２１－６２３４５６７８",
    "+86 10 6512 3456",
    "+86-731-8888 8888",
    # resident ID numbers
    "11010519491231002X",
    "11010519491231002x",
    "110105 19491231 002X",
    "110105-19491231-002X",
    "1101 0519 4912 3100 2X",
    "１１０１０５１９４９１２３１００２Ｘ",
    "110105491231002",
    # e-mail addresses, also spelled out
    "foo@example.com",
    "foo.bar+tag@mail.example.com.cn",
    "foo at example dot com",
    "foo AT example DOT com",
    "foo[at]example.com",
    "foo(at)example(dot)com",
    "foo{at}example[dot]com",
    "foo＠example．com",
    "foo@example。com",
    "foo # qq.com",
    "123456789@qq.com",
]


@pytest.mark.parametrize("identity", IDENTITIES)
def test_every_way_of_writing_a_number_or_address_is_redacted(identity):
    # given a caller-style message carrying the identity
    text = f"我家楼下噪音很大，请联系我，{identity}，谢谢。"
    # when it is redacted
    redacted = redact_identity(text)
    # then only the identity is gone
    assert redacted == "我家楼下噪音很大，请联系我，***，谢谢。"


@pytest.mark.parametrize(
    "text",
    [
        "2026-10-01上午10:30开始施工，20261001晚上又开始",
        "2026年10月1日至2026.10.07，每天22:00到次日06:00",
        "3号楼2单元501室，小区3#楼东侧，门牌号码：12号",
        "工单号20261001000123还没有处理",
        "乘坐609路、特8路、运通101路公交车",
        "拨打12345、110、120、119、96156都没人管",
        "邮编100000，东经116.4074度、北纬39.9042度",
        "物业费每平米2.5元，一年共交了13800元，押金1,380,000元",
        "13、14、15号楼，共1500户，第13 14 15栋",
        "电费户号0100200300，订单号码123456789012",
        "身高175厘米，体重65公斤，年龄58岁",
        "I went at 8 o'clock to the site.",
    ],
)
def test_what_is_not_identity_stays(text):
    assert redact_identity(text) == text


@pytest.mark.parametrize("text", ["银行卡号：6222 0212 3456 7890 123", "账号6222021234567890123"])
def test_a_bank_card_that_a_keyword_introduces_is_redacted(text):
    assert "***" in redact_identity(text)
    assert "7890" not in redact_identity(text)


def test_numbers_in_chinese_words_stay():
    text = "二〇一九年十月二十日，一五一十地说，三三两两，九九八十一难"
    assert redact_identity(text) == text


def test_a_crafted_text_costs_milliseconds_not_seconds():
    # separators that could be split many ways, each run one digit too long for an ID number
    text = "1  1  0  1  0  5  1  9  4  9  1  2  3  1  0  0  2  1  1、" * 20
    started = time.monotonic()
    redact_identity(text, names=["张三丰"], phones=["13655556666"])
    assert time.monotonic() - started < 1


def test_the_callers_own_name_and_number_are_redacted_wherever_they_occur():
    # given a description naming the caller twice, once spaced, with their number in two forms
    text = "我是张三丰，张 三 丰的电话是136 5555 6666，也可打+86-13655556666。"
    # when it is redacted with the caller's identity
    redacted = redact_identity(text, names=["张三丰"], phones=["13655556666"])
    # then the name keeps only the family name and the numbers are gone
    assert redacted == "我是张**，张**的电话是***，也可打***。"


def test_the_callers_number_spelled_in_chinese_digits_is_redacted():
    assert redact_identity("回电一三六五五五五六六六六", phones=["13655556666"]) == "回电***"


def test_a_thousand_callers_summaries_without_numbers_are_redacted_in_milliseconds():
    # given the one-line summaries a deadline sweep names, each with its own caller (a sweep of
    # 1,000 alerts): a number's pattern is compiled per caller, but only for a text with 5 digits
    phones = [f"139{index:08d}" for index in range(1000)]
    started = time.monotonic()
    summaries = [redact_identity("住房补贴（新村街道41号西里）", phones=[phone]) for phone in phones]
    # then they stay as written, and take well under a second
    assert set(summaries) == {"住房补贴（新村街道41号西里）"}
    assert time.monotonic() - started < 0.5


def test_a_callers_landline_is_found_without_its_area_code():
    text = "家里座机：6512 3456（白天没人）"
    assert redact_identity(text, phones=["01065123456"]) == "家里座机：***（白天没人）"


def test_names_that_a_keyword_introduces_are_masked_but_not_the_reported():
    text = "举报人张三丰(13655556666)反映邻居违建，被举报人王大力。我叫李四，联系人：欧阳娜娜"
    assert redact_identity(text) == "举报人张**(***)反映邻居违建，被举报人王大力。我叫李*，联系人：欧***"


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("本人李华，家住3号楼", "本人李*，家住3号楼"),
        ("本人欧阳娜娜。", "本人欧***。"),
        ("本人孙子在上学", "本人孙子在上学"),
        ("本人于2019年购房", "本人于2019年购房"),
        ("本人农民工，外地人", "本人农民工，外地人"),
        ("举报人项目部违规施工，联系人及时到场", "举报人项目部违规施工，联系人及时到场"),
    ],
)
def test_names_after_keywords_but_not_words_that_follow_them(text, redacted):
    assert redact_identity(text) == redacted


def test_a_verb_after_a_name_is_not_taken_for_part_of_it():
    assert redact_identity("投诉人李四反映楼下噪音") == "投诉人李*反映楼下噪音"


def test_generic_stored_names_do_not_garble_the_text():
    text = "那位先生说明天来修"
    assert redact_identity(text, names=["先生"]) == text


def test_full_width_text_around_a_number_is_kept_as_written():
    # given full-width punctuation and letters around a full-width number
    text = "ＡＢＣ小区，（电话：１３８１１１１２２２２）。"
    # then only the number is replaced, the rest as typed
    assert redact_identity(text) == "ＡＢＣ小区，（电话：***）。"


def test_empty_text_stays_empty():
    assert redact_identity("", names=["张三"], phones=["13800000000"]) == ""
