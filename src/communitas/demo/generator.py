"""Deterministic generator of a synthetic Shanghai-like city; pure, no database and no I/O.

`generate_city(seed)` lays out areas on a regular lattice around People's Square, fills
communities with residents drawn around the calibrated statistics (`calibration.py`), and
adds the organisations, resource catalogue, stock, market capacity and a sample of
registered people. Every draw comes from one `random.Random(seed)` in a fixed order.
"""

from __future__ import annotations

import math
import operator
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from communitas.demo import calibration as cal
from communitas.demo.plan import (
    HAZARDS,
    SKILLS,
    Area,
    AreaKind,
    CapacityOffer,
    CityPlan,
    Holding,
    Organisation,
    Person,
    Qualification,
    ResourceCategory,
    ResourceType,
    Scale,
)

__all__ = [
    "REFERENCE_DATE",
    "RESOURCE_CATEGORIES",
    "RESOURCE_TYPES",
    "generate_city",
    "summarise",
]

REFERENCE_DATE = date(2026, 11, 1)
CITY_CODE = "310100"
DEMO_DISTRICT = "310115"
CITY_CENTRE = (121.47, 31.23)  # lon, lat of People's Square
_HALF_SPAN = {"district": (0.12, 0.10), "city": (0.50, 0.40)}  # degrees lon, lat
_STREETS_AT_DISTRICT_SCALE = 10
_COMMUNITIES_PER_STREET = 30  # district scale; city scale draws 22-36 (mean 29)
_ALWAYS = ("earthquake", "epidemic", "typhoon", "heat_wave")

# --- Resource catalogue ------------------------------------------------------------------

RESOURCE_CATEGORIES: tuple[ResourceCategory, ...] = tuple(
    ResourceCategory(*row)
    for row in (
        ("food_and_water", "食品和饮用水", "Food and water"),
        ("medical", "医疗卫生", "Medical"),
        ("rescue_equipment", "救援装备", "Rescue equipment"),
        ("shelter", "安置避难", "Shelter"),
        ("power", "电力照明", "Power and lighting"),
        ("communication", "通信", "Communication"),
        ("sanitation", "环境卫生", "Sanitation"),
    )
)

RESOURCE_TYPES: tuple[ResourceType, ...] = tuple(
    ResourceType(*row)
    for row in (
        ("water.bottled", "瓶装饮用水", "Bottled water", "food_and_water", "supply",
         "bottle_550ml", 365),
        ("food.instant_noodles", "方便面", "Instant noodles", "food_and_water", "supply",
         "box", 180),
        ("food.rice", "大米", "Rice", "food_and_water", "supply", "bag_10kg", 365),
        ("food.ready_meal", "自热米饭", "Self-heating meal", "food_and_water", "supply",
         "meal", 365),
        ("food.vegetable_pack", "蔬菜保供包", "Vegetable supply pack", "food_and_water",
         "supply", "pack", 7),
        ("food.infant_formula", "婴幼儿配方奶粉", "Infant formula", "food_and_water", "supply",
         "can_800g", 540),
        ("medical.first_aid_kit", "急救包", "First-aid kit", "medical", "supply", "kit", 1095),
        ("medical.masks", "医用外科口罩", "Surgical masks", "medical", "supply", "box_50", 730),
        ("medical.antigen_test", "抗原检测试剂", "Antigen test", "medical", "supply", "test", 540),
        ("medical.chronic_medication", "慢病常用药", "Chronic-disease medication", "medical",
         "supply", "pack", 730),
        ("medical.aed", "自动体外除颤器", "AED defibrillator", "medical", "equipment", "unit",
         None),
        ("medical.oxygen_concentrator", "制氧机", "Oxygen concentrator", "medical", "equipment",
         "unit", None),
        ("rescue.life_jacket", "救生衣", "Life jacket", "rescue_equipment", "equipment", "piece",
         None),
        ("rescue.inflatable_boat", "冲锋舟", "Inflatable rescue boat", "rescue_equipment",
         "equipment", "unit", None),
        ("rescue.drainage_pump", "排涝泵", "Drainage pump", "rescue_equipment", "equipment",
         "unit", None),
        ("rescue.sandbag", "防汛沙袋", "Flood sandbag", "rescue_equipment", "supply", "bag",
         None),
        ("rescue.fire_extinguisher", "灭火器", "Fire extinguisher", "rescue_equipment",
         "equipment", "unit", 1825),
        ("rescue.swiftwater_team", "水域救援队员", "Swift-water rescuer", "rescue_equipment",
         "team", "person", None),
        ("shelter.tent", "救灾帐篷", "Relief tent", "shelter", "equipment", "unit", None),
        ("shelter.folding_bed", "折叠床", "Folding bed", "shelter", "equipment", "unit", None),
        ("shelter.blanket", "棉被", "Quilt", "shelter", "supply", "piece", None),
        ("shelter.emergency_site", "应急避难场所", "Emergency shelter site", "shelter",
         "facility", "person", None),
        ("power.generator", "移动发电机", "Mobile generator", "power", "equipment", "unit", None),
        ("power.flashlight", "应急手电筒", "Emergency torch", "power", "equipment", "piece",
         None),
        ("comms.radio", "对讲机", "Two-way radio", "communication", "equipment", "unit", None),
        ("comms.satellite_phone", "卫星电话", "Satellite phone", "communication", "equipment",
         "unit", None),
        ("comms.loudspeaker", "手持扩音器", "Hand-held loudspeaker", "communication",
         "equipment", "unit", None),
        ("sanitation.disinfectant", "含氯消毒液", "Chlorine disinfectant", "sanitation",
         "supply", "bottle_1l", 730),
        ("sanitation.portable_toilet", "移动厕所", "Portable toilet", "sanitation", "equipment",
         "unit", None),
    )
)
_SHELF_LIFE = {t.code: t.shelf_life_days for t in RESOURCE_TYPES}

# --- Names -------------------------------------------------------------------------------

def _pairs(zh: str, en: str) -> tuple[tuple[str, str], ...]:
    """Zip space-separated Chinese words with their pinyin."""
    return tuple(zip(zh.split(), en.split(), strict=True))


_SURNAMES = _pairs(
    "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 朱 胡 沈 顾 陆 钱 蒋 姚 金 曹 郭 何 林 高 马 罗",
    "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Zhu Hu Shen Gu Lu Qian Jiang Yao "
    "Jin Cao Guo He Lin Gao Ma Luo",
)
_GIVEN = _pairs(
    "伟 芳 敏 静 丽 强 磊 军 勇 艳 杰 涛 明 婷 秀英 桂英 建华 国强 玉兰 志刚 海燕 晓东 雪梅 "
    "文杰 欣怡 子轩 浩然 佳怡 建国 美玲",
    "Wei Fang Min Jing Li Qiang Lei Jun Yong Yan Jie Tao Ming Ting Xiuying Guiying Jianhua "
    "Guoqiang Yulan Zhigang Haiyan Xiaodong Xuemei Wenjie Xinyi Zixuan Haoran Jiayi Jianguo "
    "Meiling",
)
_STEM_HEADS = _pairs("春 松 瑞 云 锦 海 望 长 华 金 东 浦 明 康 安 丰",
                     "chun song rui yun jin hai wang chang hua jin dong pu ming kang an feng")
_STEM_TAILS = _pairs("江 泉 兴 台 桥 林 园 宁 河 塘 湾 阳 新 乐 和 清",
                     "jiang quan xing tai qiao lin yuan ning he tang wan yang xin le he qing")
_STEMS = tuple(
    (h + t, (hp + tp).capitalize())
    for h, hp in _STEM_HEADS
    for t, tp in _STEM_TAILS
    if h != t
)
_STREET_SUFFIXES = (("街道", "Subdistrict"), ("路街道", "Road Subdistrict"),
                    ("新村街道", "Xincun Subdistrict"), ("镇", "Town"))
_BRANDS = (("安居", "Anju"), ("恒泰", "Hengtai"), ("宏远", "Hongyuan"), ("佳和", "Jiahe"),
           ("瑞丰", "Ruifeng"), ("永业", "Yongye"))
_SOCIAL = (("社区服务中心", "Community Service Centre"), ("社会工作服务社", "Social Work Agency"),
           ("为老服务协会", "Elderly Care Association"), ("心理援助中心", "Counselling Centre"))
_GOV_NAMES = {
    "emergency_management": ("应急管理局", "Emergency Management Bureau"),
    "public_security": ("公安分局", "Public Security Sub-bureau"),
    "health": ("卫生健康委员会", "Health Commission"),
    "civil_affairs": ("民政局", "Civil Affairs Bureau"),
    "fire_and_rescue": ("消防救援支队", "Fire and Rescue Detachment"),
    "comprehensive_governance": ("综合治理办公室", "Comprehensive Governance Office"),
    "housing": ("房屋管理局", "Housing Administration Bureau"),
}
_MARKET_NAMES = {
    "delivery_platform": ("速达外卖{}站", "Suda Delivery {} Station"),
    "express_courier": ("快捷快递{}网点", "Kuaijie Express {} Point"),
    "supermarket": ("邻里生鲜超市（{}店）", "Linli Fresh Supermarket ({})"),
    "pharmacy": ("康宁大药房（{}店）", "Kangning Pharmacy ({})"),
}
_CONDITIONS = (("高血压", "hypertension"), ("糖尿病", "diabetes"), ("冠心病", "coronary heart "
               "disease"), ("慢阻肺", "COPD"), ("阿尔茨海默病", "Alzheimer's disease"),
               ("肾透析", "kidney dialysis"), ("中风后遗症", "after-effects of stroke"),
               ("家庭氧疗", "home oxygen therapy"))
_DISABILITIES = (("肢体残疾二级", "physical disability, grade 2"),
                 ("视力残疾一级", "visual disability, grade 1"),
                 ("听力残疾三级", "hearing disability, grade 3"),
                 ("智力残疾二级", "intellectual disability, grade 2"),
                 ("精神残疾二级", "psychosocial disability, grade 2"))
# Vulnerable residents registered per community: ages by profile, profiles drawn 3:3:2:1:1.
_PROFILE_AGES = {"aged_80": (80, 99), "aged_65": (65, 79), "disabled": (20, 85),
                 "infants": (0, 2), "chronically_ill": (40, 64)}
_PROFILES = tuple(_PROFILE_AGES)
_PROFILE_CUM_WEIGHTS = (3, 6, 8, 9, 10)
# Skill -> (qualification name, validity in years or None for no expiry).
_QUALIFICATIONS: dict[str, tuple[str, int | None]] = {
    "first_aid": ("红十字救护员证 / Red Cross first-aider certificate", 3),
    "driving": ("机动车驾驶证C1 / driving licence C1", 6),
    "medical": ("护士执业证书 / registered nurse licence", 5),
    "rescue": ("应急救援员职业技能证书 / emergency rescuer certificate", None),
    "counselling": ("心理咨询师证书 / counsellor certificate", None),
    "electrician": ("特种作业操作证（电工） / electrician operation certificate", 6),
}


@dataclass(frozen=True)
class _Era:
    """When a community's estates were built and what that implies."""

    name: str
    share: float
    built: tuple[int, int]
    residents_per_building: int
    aged_65: float  # relative to the city mean, before normalising
    infants: float
    living_alone: float
    owners_committee: float  # chance the estate has one
    property_company: float


_ERAS = (
    _Era("old", 0.35, (1958, 1995), 85, 1.35, 0.75, 1.2, 0.2, 0.7),  # 新村 walk-ups
    _Era("mid", 0.35, (1996, 2008), 130, 1.0, 1.0, 1.0, 0.55, 0.95),
    _Era("new", 0.30, (2009, 2022), 180, 0.65, 1.3, 0.75, 0.75, 1.0),
)
_ERA_BY_NAME = {e.name: e for e in _ERAS}
_ESTATE_SUFFIXES = {
    "old": (("一村", "No. 1 Village"), ("二村", "No. 2 Village"), ("三村", "No. 3 Village"),
            ("新村", "New Village")),
    "mid": (("小区", "Estate"), ("公寓", "Apartments"), ("东苑", "East Court"),
            ("西苑", "West Court")),
    "new": (("花园", "Garden"), ("家园", "Homes"), ("名邸", "Residence"), ("华庭", "Huating")),
}


def _normalised(attr: str, among: str | None = None) -> dict[str, float]:
    """Era factors rescaled so their mean over communities (or over the people a rate applies
    to, e.g. the 65+ for living alone) is exactly 1."""
    weights = [e.share * (getattr(e, among) if among else 1.0) for e in _ERAS]
    mean = sum(w * getattr(e, attr) for w, e in zip(weights, _ERAS, strict=True)) / sum(weights)
    return {e.name: getattr(e, attr) / mean for e in _ERAS}


_F65, _FINF = _normalised("aged_65"), _normalised("infants")
_FALONE = _normalised("living_alone", among="aged_65")
_R80 = cal.SHARE_AGED_80 / cal.SHARE_AGED_65
_CHRONIC_UNDER_65 = (cal.SHARE_CHRONICALLY_ILL - cal.CHRONIC_ILL_SHARE_65 * cal.SHARE_AGED_65) / (
    1 - cal.SHARE_AGED_65
)

# GB 11643 check-digit weights; the generator shifts the valid check character by one so
# that no synthetic number can be a real person's.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_WRONG_CHECK = {c: "0123456789X"[(i + 1) % 11] for i, c in enumerate("0123456789X")}

# --- Small pure helpers ------------------------------------------------------------------

Rect = tuple[float, float, float, float]  # west, south, east, north


def _split(rect: Rect, n: int) -> list[Rect]:
    """n near-square cells of a lattice over rect, each inset so it lies strictly inside."""
    west, south, east, north = rect
    width, height = east - west, north - south
    cols = max(1, min(n, round(math.sqrt(n * width / height))))
    rows = math.ceil(n / cols)
    cw, ch = width / cols, height / rows
    margin = 0.05 * min(cw, ch)
    cells = []
    for i in range(n):
        col, row = i % cols, i // cols
        top = north - row * ch
        cells.append((west + col * cw + margin, top - ch + margin,
                      west + (col + 1) * cw - margin, top - margin))
    return cells


def _polygon(rect: Rect) -> dict[str, Any]:
    w, s, e, n = (round(v, 6) for v in rect)
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def _point(rect: Rect) -> dict[str, Any]:
    w, s, e, n = rect
    return {"type": "Point", "coordinates": [round((w + e) / 2, 6), round((s + n) / 2, 6)]}


def _binomial(rng: random.Random, n: int, p: float) -> int:
    """A Binomial(n, p) draw: exact for small n or mean, normal approximation otherwise."""
    if n <= 0 or p <= 0:
        return 0
    if p >= 1:
        return n
    if p > 0.5:
        return n - _binomial(rng, n, 1 - p)
    if n < 64:
        return sum(1 for _ in range(n) if rng.random() < p)
    mean = n * p
    if mean < 30:  # inversion: walk the cumulative distribution
        u, q = rng.random(), 1 - p
        k, pmf = 0, q**n
        cdf = pmf
        while u > cdf and k < n:
            pmf *= (n - k) / (k + 1) * p / q
            k += 1
            cdf += pmf
        return k
    draw = round(rng.gauss(mean, math.sqrt(mean * (1 - p))))
    return min(n, max(0, draw))


def _apportion(total: int, weights: Sequence[float], caps: Sequence[int]) -> list[int]:
    """Split total into integers proportional to weights (largest remainder), each <= cap."""
    tw = sum(weights)
    if tw <= 0:
        weights, tw = [float(c) for c in caps], float(sum(caps))
    quotas = [total * w / tw for w in weights] if tw > 0 else [0.0] * len(caps)
    alloc = [min(int(q), c) for q, c in zip(quotas, caps, strict=True)]
    order = sorted(range(len(alloc)), key=lambda i: (int(quotas[i]) - quotas[i], i))
    remaining = total - sum(alloc)
    while remaining > 0:
        progressed = False
        for i in order:
            if remaining and alloc[i] < caps[i]:
                alloc[i] += 1
                remaining -= 1
                progressed = True
        if not progressed:
            raise ValueError("total exceeds the sum of caps")
    return alloc


def _jitter(rng: random.Random, sigma: float) -> float:
    """A multiplicative lognormal factor with mean 1."""
    return rng.lognormvariate(-sigma * sigma / 2, sigma)


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


# --- The builder -------------------------------------------------------------------------


@dataclass
class _Community:
    area: Area
    era: str
    buildings: list[Area]


@dataclass
class _Street:
    area: Area
    district: cal.District
    stem: tuple[str, str]
    communities: list[_Community] = field(default_factory=list)


@dataclass
class _Builder:
    rng: random.Random
    scale: Scale
    today: date
    areas: dict[AreaKind, list[Area]] = field(default_factory=dict)
    streets: list[_Street] = field(default_factory=list)
    organisations: list[Organisation] = field(default_factory=list)
    holdings: list[Holding] = field(default_factory=list)
    offers: list[CapacityOffer] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)

    # Areas -----------------------------------------------------------------------------

    def build_areas(self) -> None:
        for kind in ("city", "district", "street", "community", "grid", "building"):
            self.areas[kind] = []
        lon, lat = CITY_CENTRE
        dx, dy = _HALF_SPAN[self.scale]
        city_rect = (lon - dx, lat - dy, lon + dx, lat + dy)
        self._add("city", CITY_CODE, None, "上海市", "Shanghai", _polygon(city_rect))
        if self.scale == "district":
            districts = [
                cal.District(d.code, d.name_zh, d.name_en, _STREETS_AT_DISTRICT_SCALE)
                for d in cal.DISTRICTS
                if d.code == DEMO_DISTRICT
            ]
        else:
            districts = list(cal.DISTRICTS)
        sizes = [
            _COMMUNITIES_PER_STREET if self.scale == "district" else self.rng.randint(22, 36)
            for d in districts
            for _ in range(d.streets)
        ][::-1]
        eras = self._era_deck(sum(sizes))
        for district, rect in zip(districts, _split(city_rect, len(districts)), strict=True):
            self._add("district", district.code, CITY_CODE, district.name_zh, district.name_en,
                      _polygon(rect))
            self._build_streets(district, rect, sizes, eras)

    def _era_deck(self, total: int) -> list[str]:
        """Eras in exact calibrated proportions, shuffled; popped one per community."""
        counts = [round(e.share * total) for e in _ERAS[:-1]]
        deck = [e.name for e, c in zip(_ERAS, counts, strict=False) for _ in range(c)]
        deck += [_ERAS[-1].name] * (total - len(deck))
        self.rng.shuffle(deck)
        return deck

    def _build_streets(self, district: cal.District, rect: Rect, sizes: list[int],
                       eras: list[str]) -> None:
        stems = self.rng.sample(_STEMS, district.streets)
        for number, (cell, stem) in enumerate(
            zip(_split(rect, district.streets), stems, strict=True), start=1
        ):
            suffix_zh, suffix_en = self.rng.choice(_STREET_SUFFIXES)
            code = f"{district.code}{number:03d}000"
            area = self._add("street", code, district.code, stem[0] + suffix_zh,
                             f"{stem[1]} {suffix_en}", _polygon(cell))
            street = _Street(area, district, stem)
            self.streets.append(street)
            flood_chance = self.rng.choice((0.05, 0.15, 0.40))
            count = sizes.pop()
            used: set[str] = set()
            for c_number, c_cell in enumerate(_split(cell, count), start=1):
                era = eras.pop()
                community = self._build_community(street, c_number, c_cell, era, used,
                                                  flood_chance)
                street.communities.append(community)

    def _build_community(self, street: _Street, number: int, rect: Rect, era_name: str,
                         used: set[str], flood_chance: float) -> _Community:
        rng = self.rng
        era = _ERA_BY_NAME[era_name]
        code = f"{street.area.code[:9]}{number:03d}"
        short_zh, short_en = self._estate_name(era_name, used)
        population = _clamp(round(rng.lognormvariate(
            math.log(cal.MEAN_RESIDENTS_PER_COMMUNITY) - 0.35**2 / 2, 0.35)), 800, 15_000)
        if self.scale == "district":
            n_buildings = _clamp(round(population / era.residents_per_building
                                       * rng.uniform(0.85, 1.15)), 20, 60)
        else:  # city scale: a "building" stands for a cluster of buildings
            n_buildings = _clamp(round(population / 600), 5, 10)
        n_grids = min(n_buildings, _clamp(round(population / 700 * rng.uniform(0.8, 1.2)), 4, 8))
        base_year = rng.randint(*era.built)
        # About 30% of old estates have one to four 1990s towers among the walk-ups.
        towers = set(rng.sample(range(n_buildings), rng.randint(1, 4))) if (
            era_name == "old" and rng.random() < 0.3) else set()
        specs = [self._building_spec(era_name, base_year, i in towers)
                 for i in range(n_buildings)]
        hazards = set(_ALWAYS)
        if rng.random() < flood_chance * (1.3 if era_name == "old" else 1.0):
            hazards.add("flood")
        if any(floors >= 10 and year <= 2000 for floors, year, _ in specs):
            hazards.add("high_rise_fire")
        if era_name == "old":
            hazards.add("gas_leak")  # ageing gas pipes in pre-1995 walk-ups
        counts = self._community_counts(era_name, population)
        buildings = self._buildings(code, short_zh, short_en, rect, n_grids, specs, counts)
        area = self._add(
            "community", code, street.area.code, short_zh + "居民区", short_en + " Neighbourhood",
            _polygon(rect), **_sum_counts(buildings),
            hazards=tuple(h for h in HAZARDS if h in hazards),
        )
        return _Community(area, era_name, buildings)

    def _estate_name(self, era: str, used: set[str]) -> tuple[str, str]:
        for _ in range(20):
            stem = self.rng.choice(_STEMS)
            suffix = self.rng.choice(_ESTATE_SUFFIXES[era])
            if stem[0] + suffix[0] not in used:
                break
        name_zh, name_en = stem[0] + suffix[0], f"{stem[1]} {suffix[1]}"
        if name_zh in used:  # rare: keep names unique within the street
            name_zh, name_en = f"{name_zh}{len(used)}", f"{name_en} {len(used)}"
        used.add(name_zh)
        return name_zh, name_en

    def _building_spec(self, era: str, base_year: int, tower: bool) -> tuple[int, int, float]:
        """(floors, built year, relative capacity) of one building."""
        rng = self.rng
        year = min(2024, base_year + rng.randint(-2, 2))
        if tower:
            floors, year = rng.randint(12, 24), rng.randint(1988, 2000)
        elif era == "old":
            floors = rng.randint(5, 7)
        elif era == "mid":
            floors = 6 if rng.random() < 0.4 else rng.randint(11, 18)
        else:
            floors = rng.randint(11, 33)
        return floors, year, floors * rng.uniform(2.0, 4.0)

    def _community_counts(self, era: str, population: int) -> dict[str, int]:
        rng = self.rng
        aged_65 = _binomial(rng, population,
                            min(0.6, cal.SHARE_AGED_65 * _F65[era] * _jitter(rng, 0.15)))
        infants = _binomial(rng, population,
                            cal.SHARE_INFANTS * _FINF[era] * _jitter(rng, 0.2))
        return {
            "population": population,
            "aged_65": aged_65,
            "aged_80": _binomial(rng, aged_65, _R80 * _jitter(rng, 0.1)),
            "living_alone": _binomial(
                rng, aged_65, cal.SHARE_LIVING_ALONE_OF_65 * _FALONE[era] * _jitter(rng, 0.2)),
            "disabled": _binomial(rng, population, cal.SHARE_DISABLED * _jitter(rng, 0.2)),
            "infants": min(infants, population - aged_65),
            "chronic_65": _binomial(rng, aged_65, cal.CHRONIC_ILL_SHARE_65),
            "chronic_under_65": _binomial(rng, population - aged_65, _CHRONIC_UNDER_65),
        }

    def _buildings(self, code: str, short_zh: str, short_en: str, rect: Rect, n_grids: int,
                   specs: list[tuple[int, int, float]], counts: dict[str, int]) -> list[Area]:
        """Grids and buildings of one community; building counts sum to the community's."""
        rng = self.rng
        n = len(specs)
        pop = [1 + p for p in _apportion(counts["population"] - n, [s[2] for s in specs],
                                         [counts["population"]] * n)]
        old_bias = [p * (1.3 if s[1] < 1995 else 1.0) * rng.uniform(0.7, 1.3)
                    for p, s in zip(pop, specs, strict=True)]
        a65 = _apportion(counts["aged_65"], old_bias, pop)
        under_65 = [p - a for p, a in zip(pop, a65, strict=True)]
        split = {
            "aged_80": _apportion(counts["aged_80"], a65, a65),
            "living_alone": _apportion(counts["living_alone"], a65, a65),
            "disabled": _apportion(counts["disabled"], pop, pop),
            "infants": _apportion(counts["infants"], under_65, under_65),
        }
        chronic = [a + b for a, b in zip(
            _apportion(counts["chronic_65"], a65, a65),
            _apportion(counts["chronic_under_65"], under_65, under_65), strict=True)]
        household_size = min(3.0, max(1.8, rng.gauss(cal.MEAN_HOUSEHOLD_SIZE, 0.12)))
        grid_cells = _split(rect, n_grids)
        grid_codes = []
        for g, cell in enumerate(grid_cells, start=1):
            grid_codes.append(f"{code}-G{g:02d}")
            self._add("grid", grid_codes[-1], code, f"{short_zh}第{g}网格",
                      f"{short_en} Grid {g}", _polygon(cell))
        per_grid = [sum(1 for i in range(n) if i * n_grids // n == g) for g in range(n_grids)]
        spots = [s for g, cell in enumerate(grid_cells) for s in _split(cell, per_grid[g])]
        buildings = []
        for i, (floors, year, _) in enumerate(specs):
            buildings.append(self._add(
                "building", f"{code}-B{i + 1:03d}", grid_codes[i * n_grids // n],
                f"{short_zh}{i + 1}号楼", f"{short_en} Building {i + 1}", _point(spots[i]),
                population=pop[i], households=max(1, round(pop[i] / household_size)),
                aged_65=a65[i], aged_80=split["aged_80"][i],
                living_alone=split["living_alone"][i], disabled=split["disabled"][i],
                infants=split["infants"][i], chronically_ill=chronic[i],
                floors=floors, built_year=year,
            ))
        return buildings

    def _add(self, kind: AreaKind, code: str, parent: str | None, name_zh: str, name_en: str,
             geometry: dict[str, Any], **fields: Any) -> Area:
        area = Area(kind, code, parent, name_zh, name_en, geometry, **fields)
        self.areas[kind].append(area)
        return area

    # Organisations, stock and capacity -------------------------------------------------

    def build_organisations(self) -> None:
        by_district: dict[str, list[_Street]] = {}
        for street in self.streets:
            by_district.setdefault(street.district.code, []).append(street)
        for streets in by_district.values():
            self._district_organisations(streets[0].district, streets)
            for street in streets:
                self._street_organisations(street)
                for community in street.communities:
                    self._community_organisations(community)

    def _org(self, kind: str, sector: str | None, name_zh: str, name_en: str,
             area_codes: Sequence[str]) -> Organisation:
        contact_zh, _ = self._name()
        org = Organisation(
            code=f"ORG-{len(self.organisations) + 1:05d}", kind=kind, sector=sector,
            name_zh=name_zh, name_en=name_en, area_codes=tuple(area_codes),
            contact_name=contact_zh, contact_phone=f"138{len(self.organisations) + 1:08d}",
        )
        self.organisations.append(org)
        return org

    def _district_organisations(self, district: cal.District, streets: list[_Street]) -> None:
        rng, code = self.rng, district.code
        residents = sum(c.area.population for s in streets for c in s.communities)
        for sector, (suffix_zh, suffix_en) in _GOV_NAMES.items():
            org = self._org("government_department", sector, district.name_zh + suffix_zh,
                            f"{district.name_en} {suffix_en}", [code])
            holder = {"emergency_management": "district_reserve"}.get(sector, sector)
            if holder in cal.STOCK_NORMS:
                self._stock(org, holder, code, residents, ())
        for name_zh, name_en in rng.sample(_SOCIAL, 3):
            served = sorted(s.area.code for s in rng.sample(streets, min(3, len(streets))))
            stem = rng.choice(_STEMS)
            self._org("social_organisation", None, f"{district.name_zh}{stem[0]}{name_zh}",
                      f"{district.name_en} {stem[1]} {name_en}", served)
        for team in range(1, rng.randint(1, 2) + 1):
            name_zh = f"{district.name_zh}专业应急救援{'一二'[team - 1]}队"
            org = self._org("rescue_team", None, name_zh,
                            f"{district.name_en} Professional Rescue Team {team}", [code])
            self._stock(org, "rescue_team", code, residents, ())
        org = self._org("market_organisation", "wholesale_market",
                        f"{district.name_zh}农产品批发市场",
                        f"{district.name_en} Agricultural Wholesale Market", [code])
        self._market(org, code, residents)

    def _street_organisations(self, street: _Street) -> None:
        rng, area = self.rng, street.area
        residents = sum(c.area.population for c in street.communities)
        office_zh = "办事处" if area.name_zh.endswith("街道") else "人民政府"
        office = self._org("street_office", None, area.name_zh + office_zh,
                           f"{area.name_en} Office", [area.code])
        self._stock(office, "street_reserve", area.code, residents, ())
        site = rng.choice(street.communities).area.code
        self.holdings.append(Holding(office.code, "shelter.emergency_site", site,
                                     rng.randint(*cal.SHELTER_SITE_CAPACITY), None))
        for sector, (name_zh, name_en) in _MARKET_NAMES.items():
            org = self._org("market_organisation", sector, name_zh.format(street.stem[0]),
                            name_en.format(street.stem[1]), [area.code])
            self._market(org, area.code, residents)
        self._org("volunteer_team", None, area.name_zh + "志愿服务队",
                  f"{area.name_en} Volunteer Team", [area.code])

    def _community_organisations(self, community: _Community) -> None:
        rng, area = self.rng, community.area
        era = _ERA_BY_NAME[community.era]
        short_zh, short_en = area.name_zh.removesuffix("居民区"), area.name_en.removesuffix(
            " Neighbourhood")
        committee = self._org("neighbourhood_committee", None, short_zh + "居民委员会",
                              f"{short_en} Neighbourhood Committee", [area.code])
        self._stock(committee, "community_stockroom", area.code, area.population, area.hazards)
        if rng.random() < era.owners_committee:
            self._org("owners_committee", None, short_zh + "业主委员会",
                      f"{short_en} Owners' Committee", [area.code])
        if rng.random() < era.property_company:
            brand_zh, brand_en = rng.choice(_BRANDS)
            name_zh = f"{brand_zh}物业管理有限公司（{short_zh}项目）"
            org = self._org("property_company", None, name_zh,
                            f"{brand_en} Property Management Co. ({short_en})", [area.code])
            self._stock(org, "property_company", area.code, area.population, area.hazards)

    def _stock(self, org: Organisation, holder: str, area_code: str, residents: int,
               hazards: Sequence[str]) -> None:
        rng = self.rng
        for norm in cal.STOCK_NORMS[holder]:
            if norm.hazard is not None and norm.hazard not in hazards:
                continue
            base = norm.per_1000 * residents / 1000 + rng.randint(norm.low, norm.high)
            quantity = max(1, round(base * rng.uniform(0.7, 1.3)))
            shelf = _SHELF_LIFE[norm.resource_type_code]
            expires = (None if shelf is None
                       else self.today + timedelta(days=rng.randint(max(1, shelf // 10), shelf)))
            self.holdings.append(Holding(org.code, norm.resource_type_code, area_code, quantity,
                                         expires))

    def _market(self, org: Organisation, area_code: str, residents: int) -> None:
        assert org.sector is not None
        if org.sector in cal.STOCK_NORMS:
            self._stock(org, org.sector, area_code, residents, ())
        for assumption in cal.MARKET_CAPACITY[org.sector]:
            rate = self.rng.randint(assumption.low, assumption.high)
            self.offers.append(CapacityOffer(
                org.code, assumption.resource_type_code,
                rate if assumption.per == "hour" else None,
                rate if assumption.per == "day" else None,
                self.rng.randint(assumption.lead_low_minutes, assumption.lead_high_minutes),
                org.area_codes,
            ))

    # People ----------------------------------------------------------------------------

    def build_people(self) -> None:
        for street in self.streets:
            for community in street.communities:
                self._community_people(community)
            for _ in range(self.rng.randint(2, 3)):
                kind = self.rng.choice(("cadre", "party_member"))
                target = self.rng.choice(street.communities).area.code
                self._person(kind, target, None, age=(28, 58),
                             skills=self._skills(2),
                             availability=self.rng.choice(("weekday_daytime", "weekends")))

    def _community_people(self, community: _Community) -> None:
        rng, buildings = self.rng, community.buildings
        for _ in range(rng.randint(8, 12)):
            profile = rng.choices(_PROFILES, cum_weights=_PROFILE_CUM_WEIGHTS)[0]
            weights = [getattr(b, profile) for b in buildings]
            building = rng.choices(buildings, weights=weights if any(weights) else None)[0]
            self._vulnerable(profile, building)
        for _ in range(rng.randint(4, 6)):
            building = rng.choice(buildings)
            self._person("volunteer", building.code, self._household(building), age=(18, 70),
                         skills=self._skills(3), availability=rng.choice(
                             ("anytime", "weekday_evenings", "weekends")))
        for _ in range(rng.randint(1, 2)):
            skills = ("first_aid",) if rng.random() < 0.6 else ()
            self._person("grid_worker", community.area.code, None, age=(25, 55), skills=skills,
                         availability="anytime")

    def _vulnerable(self, profile: str, building: Area) -> None:
        rng = self.rng
        age = _PROFILE_AGES[profile]
        conditions = None
        if profile != "infants" and (profile != "disabled" or rng.random() < 0.4):
            picked = rng.sample(_CONDITIONS, rng.randint(1, 2))
            conditions = "; ".join(f"{zh} / {en}" for zh, en in picked)
        disability = None
        if profile == "disabled" or (profile == "aged_80" and rng.random() < 0.15):
            zh, en = rng.choice(_DISABILITIES)
            disability = f"{zh} / {en}"
        alone = profile.startswith("aged_") and rng.random() < 0.35
        self._person("resident", building.code, self._household(building), age=age, skills=(),
                     availability=None, conditions=conditions, disability=disability,
                     alone=alone)

    def _person(self, kind: str, area_code: str, household: str | None, *, age: tuple[int, int],
                skills: tuple[str, ...], availability: str | None, conditions: str | None = None,
                disability: str | None = None, alone: bool = False) -> None:
        rng = self.rng
        number = len(self.people) + 1
        name_zh, name_en = self._name()
        born = self.today - timedelta(days=rng.randint(int(age[0] * 365.25) + 2,
                                                       int((age[1] + 1) * 365.25) - 2))
        qualifications = tuple(
            Qualification(_QUALIFICATIONS[s][0], self._expiry(_QUALIFICATIONS[s][1]))
            for s in skills if s in _QUALIFICATIONS
        )
        self.people.append(Person(
            code=f"P-{number:06d}", kind=kind, name_zh=name_zh, name_en=name_en,
            area_code=area_code, household_code=household, skills=skills,
            qualifications=qualifications, availability=availability,
            phone=f"139{number:08d}", id_number=self._id_number(area_code[:6], born),
            health_conditions=conditions, disability=disability, birth_date=born,
            lives_alone=alone,
        ))

    def _skills(self, most: int) -> tuple[str, ...]:
        picked = set(self.rng.sample(SKILLS, self.rng.randint(1, most)))
        return tuple(s for s in SKILLS if s in picked)

    def _expiry(self, years: int | None) -> date | None:
        """A validity end date; about one in ten has already lapsed."""
        if years is None:
            return None
        return self.today + timedelta(days=self.rng.randint(-120, years * 365))

    def _household(self, building: Area) -> str:
        floor = self.rng.randint(1, building.floors or 1)
        return f"{building.code}-H{floor:02d}{self.rng.randint(1, 4):02d}"

    def _name(self) -> tuple[str, str]:
        (s_zh, s_en), (g_zh, g_en) = self.rng.choice(_SURNAMES), self.rng.choice(_GIVEN)
        return s_zh + g_zh, f"{s_en} {g_en}"

    def _id_number(self, district: str, born: date) -> str:
        """18 characters shaped like a resident ID, with a deliberately wrong check digit."""
        body = f"{district}{born:%Y%m%d}{self.rng.randrange(1000):03d}"
        valid = "10X98765432"[sum(map(operator.mul, map(int, body), _ID_WEIGHTS)) % 11]
        return body + _WRONG_CHECK[valid]


def _sum_counts(buildings: Sequence[Area]) -> dict[str, int]:
    keys = ("population", "households", "aged_65", "aged_80", "living_alone", "disabled",
            "infants", "chronically_ill")
    return {k: sum(getattr(b, k) for b in buildings) for k in keys}


# --- Public API --------------------------------------------------------------------------


def generate_city(seed: int, scale: Scale = "district", *,
                  reference_date: date = REFERENCE_DATE) -> CityPlan:
    """Build the demo city for a seed; the same seed and scale always give the same plan."""
    if scale not in _HALF_SPAN:
        raise ValueError(f"scale must be 'district' or 'city', not {scale!r}")
    builder = _Builder(random.Random(seed), scale, reference_date)
    builder.build_areas()
    builder.build_organisations()
    builder.build_people()
    areas = tuple(a for kind in ("city", "district", "street", "community", "grid", "building")
                  for a in builder.areas[kind])
    return CityPlan(
        seed=seed, scale=scale, reference_date=reference_date, areas=areas,
        organisations=tuple(builder.organisations), resource_categories=RESOURCE_CATEGORIES,
        resource_types=RESOURCE_TYPES, holdings=tuple(builder.holdings),
        capacity_offers=tuple(builder.offers), people=tuple(builder.people),
    )


def summarise(plan: CityPlan) -> dict[str, float]:
    """Realised statistics of a plan, keyed like `calibration.TARGETS` (plus plain counts)."""
    kinds: dict[str, int] = {}
    for area in plan.areas:
        kinds[area.kind] = kinds.get(area.kind, 0) + 1
    totals = _sum_counts(plan.areas_of_kind("community"))
    pop, communities = totals["population"], kinds.get("community", 0)

    def share(key: str, of: int) -> float:
        return totals[key] / of if of else 0.0

    return {
        "districts": kinds.get("district", 0),
        "streets": kinds.get("street", 0),
        "communities": communities,
        "grids": kinds.get("grid", 0),
        "buildings": kinds.get("building", 0),
        "population": pop,
        "mean_residents_per_community": pop / communities if communities else 0.0,
        "mean_household_size": share("population", totals["households"]),
        "share_aged_65": share("aged_65", pop),
        "share_aged_80": share("aged_80", pop),
        "share_living_alone_of_65": share("living_alone", totals["aged_65"]),
        "share_disabled": share("disabled", pop),
        "share_infants": share("infants", pop),
        "share_chronically_ill": share("chronically_ill", pop),
        "organisations": len(plan.organisations),
        "holdings": len(plan.holdings),
        "capacity_offers": len(plan.capacity_offers),
        "people": len(plan.people),
    }
