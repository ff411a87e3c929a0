"""Masking of personal data for display and logs, and its redaction from free text (DESIGN.md §7).

`redact_identity` is the one redaction of callers' identity from what they wrote: unit staff,
the public (Open311) and exports read descriptions through it. It finds phone numbers, ID
numbers and e-mail addresses however they are typed, and the caller's own name and number.
Matching runs on the NFKC form (full-width digits and letters become ASCII) and replaces in
the original text; numbers become "***", names keep their first character (张**).
"""

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

REDACTED = "***"


def mask_phone(phone: str) -> str:
    """138****5678 for mobiles; otherwise every digit but the last four hidden (all of a short one)."""
    if len(phone) <= 4:
        return "*" * len(phone)
    if len(phone) == 11 and phone.startswith("1"):
        return f"{phone[:3]}****{phone[-4:]}"
    return "*" * (len(phone) - 4) + phone[-4:]


def mask_name(name: str) -> str:
    """张** : the family name stays, the given name is hidden."""
    return name[:1] + "*" * (len(name) - 1) if name else ""


# What may stand between the digits of one number: spaces, a dash of any kind, a dot.
_SEP = r"(?>[ \t]{0,2}[-‐‑‒–—―−.·]?[ \t]{0,2})"
_PREFIX = r"(?:(?:\+|00)[ \t]?86[ \t\-]?|\((?:\+|00)?86\)[ \t]?)?"


def _spaced(*parts: str) -> str:
    """One digit (class) after another, any separator allowed between them."""
    return _SEP.join(parts)


def _digits(count: int, digit: str = r"\d") -> list[str]:
    return [digit] * count


# Mobile numbers in any spacing; one digit short or over (a slip of the keyboard) when unspaced.
_MOBILE = _PREFIX + rf"(?:{_spaced('1', '[3-9]', *_digits(9))}|1[3-9]\d{{8}}|1[3-9]\d{{10}})"
# An area code (010, 02x, or 0 + three digits) and a 7-8 digit subscriber number not starting with 0/1.
_AREA = r"(?:\(0(?:10|2\d|[3-9]\d{2})\)|0(?:10|2\d|[3-9]\d{2}))"
# From abroad the area code drops its 0: +86 10 6512 3456.
_INTERNATIONAL_AREA = r"(?:(?:\+|00)[ \t]?86[ \t\-]?|\((?:\+|00)?86\)[ \t]?)(?:10|2\d|[3-9]\d{2})"
_LANDLINE = (
    rf"(?:{_PREFIX}{_AREA}|{_INTERNATIONAL_AREA})"
    + _SEP
    + _spaced("[2-9]", *_digits(6))
    + rf"(?:{_SEP}\d)?(?:[ \t]*(?:转|分机|ext\.?)[ \t]*\d{{1,5}})?"
)
# Resident ID numbers: 6-digit region, birth date, sequence, check digit (X); the old 15-digit
# form has a two-digit year. Any 18 digits in a row count too: nothing else here is that long.
_MONTH = f"(?:0{_SEP}[1-9]|1{_SEP}[0-2])"
_DAY = rf"(?:0{_SEP}[1-9]|[12]{_SEP}\d|3{_SEP}[01])"
_ID18 = _spaced("[1-9]", *_digits(5), "(?:18|19|20)", r"\d", r"\d", _MONTH, _DAY, *_digits(3), "[0-9Xx]")
_ID15 = _spaced("[1-9]", *_digits(7), _MONTH, _DAY, *_digits(3))
_LONG_NUMBER = r"\d{17}[0-9Xx]"
# E-mail addresses, also spelled out: foo at example dot com, foo[at]example(dot)com, foo#qq.com.
_AT = r"(?:[ \t]*[@#][ \t]*|[ \t]*[\[({<][ \t]*at[ \t]*[\])}>][ \t]*|[ \t]+at[ \t]+)"
_DOT = r"(?:[ \t]*[.。][ \t]*|[ \t]*[\[({<][ \t]*dot[ \t]*[\])}>][ \t]*|[ \t]+dot[ \t]+)"
_LABEL = r"[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?"
_EMAIL = rf"(?<![a-z0-9._%+\-])[a-z0-9][a-z0-9._%+\-]*{_AT}(?:{_LABEL}{_DOT})+[a-z]{{2,10}}(?![a-z0-9])"
_NUMBERS = re.compile(rf"(?<!\d)(?:{_MOBILE}|{_LANDLINE}|{_ID18}|{_ID15}|{_LONG_NUMBER})(?!\d)|{_EMAIL}", re.IGNORECASE)
# Numbers and accounts a keyword introduces (电话：65123456, QQ 123456, 微信号 abc_123): group 1.
_GAP = r"[ \t]*[:：是为]?[ \t]*"
_INTRODUCED = [
    re.compile(rf"(?<![a-z0-9]){keywords}{_GAP}({value})(?![a-z0-9])", re.IGNORECASE)
    for keywords, value in (
        ("(?:电话|手机|手机号|手机号码|联系方式|联系电话|座机|tel|phone|mobile)", rf"\d(?:{_SEP}\d){{6,11}}"),
        ("(?:银行卡号?|卡号|账号|帐号|账户|帐户)", rf"\d(?:{_SEP}\d){{11,18}}"),
        ("(?:qq|qq号|扣扣)", r"\d{5,12}"),
        ("(?:微信|微信号|vx|wx)", r"[a-z][-_a-z0-9]{5,19}"),
    )
]

# Names a keyword introduces (举报人张三丰, 我叫李四), not those of the reported (被举报人): a
# common family name and one or two more characters; a second given character is not taken
# when it starts the next word (李四反映). Family names that are also common words (曾在, 解释)
# count only where a name must follow (我叫, 姓名, or a colon).
_SURNAMES = (
    "欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|令狐|长孙|宇文|司徒|夏侯|轩辕|端木|独孤|南宫|西门|"
    "[王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭肖萧田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔汤常温康施牛樊"
    "葛邢齐乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕季裴霍涂苗谷盛翁冉骆蓝"
    "游辛靳管柴蒙鲍喻祁蒲房滕屈饶牟艾尤穆卓古吉缪简芦麦褚娄窦戚岑景宫卜冷晏席卫米柏宗瞿桂"
    "佟臧闵苟邬卞姬仇栾隋刁巫寇桑郎甄丛仲虞敖巩佘池麻苑迟邝]"
)
_WORD_SURNAMES = "[农费曾于解向文安易关时明全应单成曲路连车项和查商沙师边党华阳司]"
_NOT_IN_NAME = "反投举称说在于是家住电手联向对的等和及与先女同表要因现今昨已曾多来日"
_HAN = r"[\u4e00-\u9fff]"
_GIVEN = rf"{_HAN}(?:(?![{_NOT_IN_NAME}]){_HAN})?"
_NAME_KEYWORDS = "(?<!被)(?:举报人|投诉人|反映人|联系人|来电人|姓名|署名)"
_NAMED = [
    re.compile(rf"{_NAME_KEYWORDS}[ \t]*((?:{_SURNAMES}){_GIVEN})"),
    # 本人 starts many sentences (本人孙子…): a name only when a pause follows (本人李华，).
    re.compile(rf"本人[ \t]*((?:{_SURNAMES}){_HAN}{{1,2}})(?=[，,。.、;；:：（(\s]|$)"),
    re.compile(
        rf"(?:(?:我叫|我的名字是)[ \t]*[:：是为]?|{_NAME_KEYWORDS}[ \t]*[:：])[ \t]*"
        rf"((?:{_SURNAMES}|{_WORD_SURNAMES}){_GIVEN})"
    ),
]

# Stored "names" that are no one's name: masking them would only garble the text.
_NOT_NAMES = frozenset({"先生", "女士", "小姐", "匿名", "市民", "群众", "未知", "无名"})


# A number spelled in Chinese digits (一三八…): seven or more in a row are nothing else.
_CHINESE_NUMBER = re.compile(r"[〇零一二三四五六七八九幺](?:[ \t]?[〇零一二三四五六七八九幺]){6,}")
_CHINESE_DIGITS = str.maketrans("〇零一二三四五六七八九幺", "001234567891")


class _CharNFKC(dict[int, str]):
    """Each character's NFKC form, for str.translate: computed once per character (an entry per
    character ever read, at most Unicode's)."""

    def __missing__(self, code: int) -> str:
        self[code] = form = unicodedata.normalize("NFKC", chr(code))
        return form


_NFKC = _CharNFKC()


def _normalised(text: str) -> tuple[str, list[int]]:
    """The NFKC form of `text` (of each character), Chinese-digit numbers in ASCII digits, and
    for each of its characters the index it came from."""
    if unicodedata.is_normalized("NFKC", text):
        normal, origin = text, list(range(len(text) + 1))
    elif len(normal := text.translate(_NFKC)) == len(text):
        # Every character one (full-width punctuation in Chinese text): each stays where it was.
        origin = list(range(len(text) + 1))
    else:
        parts: list[str] = []
        origin = []
        for index, char in enumerate(text):
            part = unicodedata.normalize("NFKC", char)
            parts.append(part)
            origin.extend([index] * len(part))
        origin.append(len(text))
        normal = "".join(parts)
    return _CHINESE_NUMBER.sub(lambda m: m.group().translate(_CHINESE_DIGITS), normal), origin


_MIN_PHONE_DIGITS = 5


@lru_cache(maxsize=4096)
def _phone_pattern(phone: str) -> re.Pattern[str] | None:
    """The caller's own number in any spacing; a landline also without its area code."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone))
    if len(digits) < _MIN_PHONE_DIGITS:
        return None
    forms = [digits]
    if digits.startswith("0") and len(digits) >= 10:
        area = 3 if digits[1] in "12" else 4
        forms.append(digits[area:])
    alternatives = "|".join(_spaced(*form) for form in forms)
    return re.compile(rf"(?<!\d){_PREFIX}(?:{alternatives})(?!\d)")


@lru_cache(maxsize=4096)
def _name_pattern(name: str) -> re.Pattern[str] | None:
    """The caller's own name, also with spaces between its characters."""
    name = re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))
    if len(name) < 2 or name in _NOT_NAMES:
        return None
    return re.compile(r"\s?".join(re.escape(char) for char in name), re.IGNORECASE)


def redact_identity(text: str, *, names: Iterable[str] = (), phones: Iterable[str] = ()) -> str:
    """`text` without phone numbers, ID numbers, e-mail addresses, and the given names and
    numbers (the caller's own) wherever they occur. Numbers become ***, names 张**."""
    if not text:
        return text
    normal, origin = _normalised(text)
    spans: list[tuple[int, int, bool]] = []  # (start, end, is a name) in `normal`
    # A caller's number has at least 5 digits: a text with fewer cannot hold it, and its pattern,
    # compiled once per number (milliseconds each), is not needed (a sweep names 1,000 tickets).
    if sum(map(str.isdigit, normal)) >= _MIN_PHONE_DIGITS:
        for pattern in filter(None, map(_phone_pattern, phones)):
            spans.extend((m.start(), m.end(), False) for m in pattern.finditer(normal))
    spans.extend((m.start(), m.end(), False) for m in _NUMBERS.finditer(normal))
    for pattern in _INTRODUCED:
        spans.extend((m.start(1), m.end(1), False) for m in pattern.finditer(normal))
    for pattern in filter(None, map(_name_pattern, names)):
        spans.extend((m.start(), m.end(), True) for m in pattern.finditer(normal))
    for pattern in _NAMED:
        spans.extend((m.start(1), m.end(1), True) for m in pattern.finditer(normal))
    if not spans:
        return text
    merged: list[list] = []
    for start, end, is_name in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2] = merged[-1][2] and is_name
        else:
            merged.append([start, end, is_name])
    pieces: list[str] = []
    done = 0
    for start, end, is_name in merged:
        first, last = origin[start], origin[end - 1] + 1
        original = text[first:last]
        pieces.append(text[done:first])
        pieces.append(mask_name(re.sub(r"\s", "", original)) if is_name else REDACTED)
        done = last
    pieces.append(text[done:])
    return "".join(pieces)
