"""English names of Beijing's units, for readers of the English UI (`Unit.name_en`).

Districts carry their official English names; streets, towns and townships their pinyin with
the kind in English (新村街道 → Xincun Subdistrict), as Beijing's own road signs do; city and
district departments are named after their bureau (市水务局 → Beijing Water Authority,
丰台区城市管理委 → Fengtai District Urban Management Commission). Anything else falls back to
its pinyin, so every unit has an English name a reader can at least pronounce.
"""

import re

from pypinyin import lazy_pinyin

from hotline.models import UnitKind

DISTRICTS = {
    "东城区": "Dongcheng District",
    "西城区": "Xicheng District",
    "朝阳区": "Chaoyang District",
    "丰台区": "Fengtai District",
    "石景山区": "Shijingshan District",
    "海淀区": "Haidian District",
    "门头沟区": "Mentougou District",
    "房山区": "Fangshan District",
    "通州区": "Tongzhou District",
    "顺义区": "Shunyi District",
    "昌平区": "Changping District",
    "大兴区": "Daxing District",
    "怀柔区": "Huairou District",
    "平谷区": "Pinggu District",
    "密云区": "Miyun District",
    "延庆区": "Yanqing District",
}

# A street-level division's suffix and its English kind; ethnic townships before 乡.
STREET_KINDS = (
    ("街道", "Subdistrict"),
    ("地区", "Area"),
    ("镇", "Town"),
    ("回族乡", "Hui Ethnic Township"),
    ("满族乡", "Manchu Ethnic Township"),
    ("乡", "Township"),
)

# Bureaus a city or district department is named after (市XX / 丰台区XX), longest first where one
# ends another (公安局公安交通管理局 before 公安局).
BUREAUS = {
    "公安局公安交通管理局": "Traffic Management Bureau",
    "公安局": "Public Security Bureau",
    "人力社保局": "Human Resources and Social Security Bureau",
    "住房城乡建设委": "Housing and Urban-Rural Development Commission",
    "规划自然资源委": "Planning and Natural Resources Commission",
    "水务局": "Water Authority",
    "交通委": "Transport Commission",
    "市场监管局": "Administration for Market Regulation",
    "卫生健康委": "Health Commission",
    "教委": "Education Commission",
    "城市管理委": "Urban Management Commission",
    "城管执法局": "Urban Management Law Enforcement Bureau",
    "生态环境局": "Ecology and Environment Bureau",
    "民政局": "Civil Affairs Bureau",
    "发展改革委": "Development and Reform Commission",
    "文化和旅游局": "Culture and Tourism Bureau",
    "退役军人事务局": "Veterans Affairs Bureau",
    "园林绿化局": "Forestry and Parks Bureau",
    "农业农村局": "Agriculture and Rural Affairs Bureau",
    "应急管理局": "Emergency Management Bureau",
    "消防救援总队": "Fire and Rescue Corps",
    "消防救援支队": "Fire and Rescue Detachment",
    "医疗保障局": "Healthcare Security Bureau",
    "体育局": "Sports Bureau",
    "政务服务和数据管理局": "Government Services and Data Administration",
    "政务服务管理局": "Government Services Administration",
    "通信管理局": "Communications Administration",
    "邮政管理局": "Postal Administration",
    "税务局": "Tax Service",
    "地方金融管理局": "Local Financial Administration",
    "文物局": "Cultural Heritage Bureau",
    "残联": "Disabled Persons' Federation",
    "接诉即办分中心": "12345 Hotline Sub-center",
}

# A city body's branch serving one district: 市公安局丰台分局 → Beijing Public Security Bureau,
# Fengtai Branch.
BRANCHES = {
    f"{bureau}{district.removesuffix('区')}{branch}": (
        f"Beijing {bureau_english}, {district_english.removesuffix(' District')} {branch_english}"
    )
    for bureau, bureau_english in BUREAUS.items()
    for district, district_english in DISTRICTS.items()
    for branch, branch_english in (("分局", "Branch"), ("交通支队", "Traffic Detachment"))
}

# Units whose English names are their own: the city, the hotline, enterprises, functional zones.
PROPER_NAMES = {
    "北京市": "Beijing",
    "北京市12345市民服务热线服务中心": "Beijing 12345 Citizen Service Hotline Center",
    "北京经济技术开发区": "Beijing Economic-Technological Development Area",
    "北京经济技术开发区管委会": "Beijing Economic-Technological Development Area Administrative Committee",
    "中关村国家自主创新示范区大兴生物医药产业基地": "Zhongguancun Daxing Biomedical Industry Base",
    "大兴经济开发区": "Daxing Economic Development Zone",
    "大兴国际机场": "Daxing International Airport",
    "北京雁栖经济开发区": "Beijing Yanqi Economic Development Zone",
    "中关村科技园区密云园": "Zhongguancun Science Park Miyun Park",
    "北京住房公积金管理中心": "Beijing Housing Provident Fund Management Center",
    "北京金融监管局": "Beijing Financial Regulatory Bureau",
    "北京证监局": "Beijing Securities Regulatory Bureau",
    "北京公交集团": "Beijing Public Transport Group",
    "北京热力集团": "Beijing District Heating Group",
    "北京自来水集团": "Beijing Waterworks Group",
    "国网北京市电力公司": "State Grid Beijing Electric Power Company",
    "北京燃气集团": "Beijing Gas Group",
    "北京排水集团": "Beijing Drainage Group",
    "北京地铁运营公司": "Beijing Subway Operation Company",
    "美团": "Meituan",
    "京东": "JD.com",
    "阿里巴巴": "Alibaba",
    "中国移动北京公司": "China Mobile Beijing",
    "中国联通北京市分公司": "China Unicom Beijing",
    "中国电信北京分公司": "China Telecom Beijing",
}

# Readings pypinyin gets wrong in Beijing's place names (朝阳 is Chaoyang, not Zhaoyang).
READINGS = {
    "朝阳": ["chao", "yang"],
    "长": ["chang"],
    "什刹海": ["shi", "cha", "hai"],
    "大栅栏": ["da", "shi", "lan"],
    "佛": ["fo"],
    "堡": ["bao"],
}
_READING = re.compile("|".join(sorted(map(re.escape, READINGS), key=len, reverse=True)))


def pinyin(text: str) -> str:
    """Hanyu pinyin as written on signs: one word, capitalised, an apostrophe before a syllable
    that starts with a vowel (天安门 → Tian'anmen)."""
    syllables: list[str] = []
    position = 0
    for match in _READING.finditer(text):
        syllables += lazy_pinyin(text[position : match.start()])
        syllables += READINGS[match.group()]
        position = match.end()
    syllables += lazy_pinyin(text[position:])
    word = "".join(
        f"'{syllable}" if index and syllable[:1] in ("a", "o", "e") else syllable
        for index, syllable in enumerate(syllables)
    )
    return word[:1].upper() + word[1:]


def english_name(*, name: str, kind: str, parent_name: str | None) -> str:
    """The English name of a unit called `name`, of this kind, under a parent called `parent_name`."""
    if name in PROPER_NAMES:
        return PROPER_NAMES[name]
    if name in DISTRICTS:
        return DISTRICTS[name]
    if kind == UnitKind.STREET:
        for suffix, english in STREET_KINDS:
            stem = name.removesuffix(suffix)
            if stem != name and stem:
                # A one-character stem keeps its suffix in the pinyin, as on signs: 张镇 → Zhangzhen Town.
                return f"{pinyin(stem if len(stem) > 1 else name)} {english}"
    if kind in (UnitKind.CITY_DEPARTMENT, UnitKind.DISTRICT_DEPARTMENT):
        department = _department(name, district=parent_name if kind == UnitKind.DISTRICT_DEPARTMENT else None)
        if department:
            return department
    return pinyin(name)


def _department(name: str, *, district: str | None) -> str | None:
    if district in DISTRICTS and name.startswith(district):
        bureau = BUREAUS.get(name.removeprefix(district))
        return f"{DISTRICTS[district]} {bureau}" if bureau else None
    if not name.startswith("市"):
        return None
    body = name.removeprefix("市")
    if body in BUREAUS:
        return f"Beijing {BUREAUS[body]}"
    return BRANCHES.get(body)
