"""The default resource catalogue and reserve-norm rules, as data.

Installed by :func:`communitas.resources.service.install_default_catalogue` (``communitas
init`` and the demo builder). Every figure is explained in docs/reserve-norms.md; shelf lives
are typical manufacturers' figures, approximate — a holding's own expiry date governs.
"""

from __future__ import annotations

from communitas.resources.models import ResourceKind
from communitas.resources.schemas import (
    ReserveNormSet,
    ResourceCategoryCreate,
    ResourceTypeCreate,
)

__all__ = ["DEFAULT_CATEGORIES", "DEFAULT_NORMS", "DEFAULT_TYPES", "TOP_CATEGORIES"]

TOP_CATEGORIES = (
    "food_and_water", "medical", "rescue_equipment", "shelter", "power", "communication",
    "sanitation",
)


def _category(code: str, zh: str, en: str, parent: str | None = None) -> ResourceCategoryCreate:
    return ResourceCategoryCreate(code=code, parent_code=parent, name_zh=zh, name_en=en)


DEFAULT_CATEGORIES: tuple[ResourceCategoryCreate, ...] = (
    _category("food_and_water", "食品和饮用水", "Food and water"),
    _category("drinking_water", "饮用水", "Drinking water", "food_and_water"),
    _category("food", "食品", "Food", "food_and_water"),
    _category("medical", "医疗卫生", "Medical"),
    _category("rescue_equipment", "救援装备", "Rescue equipment"),
    _category("shelter", "转移安置", "Shelter"),
    _category("power", "电力照明", "Power and lighting"),
    _category("communication", "通信", "Communication"),
    _category("sanitation", "环境卫生", "Sanitation"),
)

S, E, T, F = ResourceKind.SUPPLY, ResourceKind.EQUIPMENT, ResourceKind.TEAM, ResourceKind.FACILITY


def _type(code: str, category: str, kind: ResourceKind, unit: str, zh: str, en: str,
          shelf_life_days: int | None = None) -> ResourceTypeCreate:
    return ResourceTypeCreate(code=code, category_code=category, kind=kind, unit=unit,
                              name_zh=zh, name_en=en, shelf_life_days=shelf_life_days)


DEFAULT_TYPES: tuple[ResourceTypeCreate, ...] = (
    _type("water.bottled", "drinking_water", S, "box", "瓶装饮用水(24瓶×550毫升/箱)",
          "Bottled drinking water (box of 24 × 550 mL)", 365),
    _type("food.instant_noodles", "food", S, "box", "方便面(24包/箱)",
          "Instant noodles (box of 24)", 180),
    _type("food.ready_meal", "food", S, "meal", "自热米饭", "Self-heating ready meal", 270),
    _type("food.rice", "food", S, "bag", "大米(10千克/袋)", "Rice (10 kg bag)", 365),
    _type("food.infant_formula", "food", S, "can", "婴幼儿配方奶粉(800克/罐)",
          "Infant formula (800 g can)", 540),
    _type("food.vegetable_pack", "food", S, "pack", "保供蔬菜包", "Vegetable pack", 5),
    _type("medical.first_aid_kit", "medical", S, "kit", "急救包", "First-aid kit", 1095),
    _type("medical.masks", "medical", S, "box", "医用外科口罩(50只/盒)",
          "Surgical masks (box of 50)", 730),
    _type("medical.antigen_test", "medical", S, "test", "抗原检测试剂", "Antigen test", 540),
    _type("medical.chronic_medication", "medical", S, "pack", "慢性病常用药(7日量)",
          "Chronic-disease medication (7-day pack)", 730),
    _type("medical.aed", "medical", E, "unit", "自动体外除颤器(AED)",
          "Automated external defibrillator (AED)"),
    _type("medical.oxygen_concentrator", "medical", E, "unit", "制氧机", "Oxygen concentrator"),
    _type("rescue.fire_extinguisher", "rescue_equipment", E, "piece", "灭火器(4千克干粉)",
          "Fire extinguisher (4 kg dry powder)"),
    _type("rescue.sandbag", "rescue_equipment", S, "bag", "防汛沙袋", "Flood sandbag"),
    _type("rescue.life_jacket", "rescue_equipment", E, "piece", "救生衣", "Life jacket"),
    _type("rescue.drainage_pump", "rescue_equipment", E, "unit", "排水泵", "Drainage pump"),
    _type("rescue.inflatable_boat", "rescue_equipment", E, "unit", "冲锋舟",
          "Inflatable rescue boat"),
    _type("rescue.swiftwater_team", "rescue_equipment", T, "person", "水域救援队员",
          "Swift-water rescuer"),
    _type("shelter.tent", "shelter", E, "piece", "救灾帐篷(12平方米)", "Relief tent (12 m²)"),
    _type("shelter.folding_bed", "shelter", E, "piece", "折叠床", "Folding bed"),
    _type("shelter.blanket", "shelter", S, "piece", "棉被", "Quilt or blanket"),
    _type("shelter.site", "shelter", F, "place", "应急避难场所(床位)",
          "Emergency shelter site (places)"),
    _type("power.flashlight", "power", E, "piece", "手电筒", "Flashlight"),
    _type("power.generator", "power", E, "unit", "移动发电机", "Portable generator"),
    _type("comms.loudspeaker", "communication", E, "piece", "手持扩音器",
          "Hand-held loudspeaker"),
    _type("comms.radio", "communication", E, "piece", "对讲机", "Two-way radio"),
    _type("comms.satellite_phone", "communication", E, "piece", "卫星电话", "Satellite phone"),
    _type("sanitation.disinfectant", "sanitation", S, "bottle", "含氯消毒液(500毫升/瓶)",
          "Chlorine disinfectant (500 mL bottle)", 365),
    _type("sanitation.portable_toilet", "sanitation", E, "unit", "移动厕所", "Portable toilet"),
)

_SPHERE_WATER = ("Sphere Handbook (table of basic survival water needs): 2.5–3 L drinking "
                 "water per person per day; Sphere Handbook 2018, water supply standard 2.1: "
                 "at least 15 L per person per day for drinking, cooking and hygiene.")
_SPHERE_FOOD = ("Sphere Handbook 2018 (food security and nutrition): planning figure of "
                "2,100 kcal per person per day.")
_SPHERE_SHELTER = ("Sphere Handbook 2018 (shelter and settlement standard 3): at least "
                   "3.5 m² covered living space per person.")
_SPHERE_TOILETS = ("Sphere Handbook 2018 (excreta management): communal toilets at least "
                   "1 per 50 people in the first phase, 1 per 20 in the medium term.")
_OURS = "Our assumption; no published per-capita figure for community reserves."
_SHELTER_SITES = "GB 21734-2008 sets the facilities of emergency shelter sites."

# Displaced share of residents in a local event, before hazard factors: our assumption, 2%.
_DISPLACED_PER_1000 = 20.0
_SHELTER_HAZARDS = {"earthquake": 4.0, "flood": 1.0, "typhoon": 1.0}


def _norm(note: str, source: str, **fields: object) -> ReserveNormSet:
    return ReserveNormSet.model_validate({"note": note, "source": source, **fields})


DEFAULT_NORMS: dict[str, ReserveNormSet] = {
    "water.bottled": _norm(
        "3 L per resident for the first 24 hours; a box holds 13.2 L.",
        f"{_SPHERE_WATER} One day of cover and hazard factors: {_OURS}",
        per_1000_residents=228, days_of_cover=1,
        hazard_multipliers={"earthquake": 2.0, "flood": 1.5, "typhoon": 1.5,
                            "heat_wave": 1.5}),
    "food.instant_noodles": _norm(
        "A day's food for the 10% of residents without their own stock; a box ≈ 10,800 kcal "
        "(approximate).",
        f"{_SPHERE_FOOD} The 10% share and hazard factors: {_OURS}",
        per_1000_residents=20, days_of_cover=1,
        hazard_multipliers={"epidemic": 3.0, "earthquake": 2.0, "flood": 1.5,
                            "typhoon": 1.5}),
    "food.ready_meal": _norm(
        "Three meals a day for three days for residents aged 80+ or living alone, and for "
        "half of disabled residents (groups overlap, which errs on the safe side).",
        f"{_SPHERE_FOOD} ~700 kcal per meal is approximate; the groups and days: {_OURS}",
        per_100_aged_80=300, per_100_living_alone=300, per_100_disabled=150,
        days_of_cover=3),
    "food.rice": _norm(
        "Staple for a lockdown or a long outage: 60% of 2,100 kcal for 10% of residents for "
        "7 days; a 10 kg bag ≈ 36,000 kcal (approximate).",
        f"{_SPHERE_FOOD} Shares, days and the hazards: {_OURS}",
        per_1000_residents=3.5, days_of_cover=7, hazard_specific=True,
        hazard_multipliers={"epidemic": 1.0, "earthquake": 1.0}),
    "food.infant_formula": _norm(
        "One 800 g can per infant per 10 days (approximate; younger infants need more), "
        "for three days.",
        _OURS, per_100_infants=10, days_of_cover=3),
    "medical.first_aid_kit": _norm(
        "Two kits per 1,000 residents, for the stockroom and volunteer teams.",
        _OURS, per_1000_residents=2,
        hazard_multipliers={"earthquake": 2.0, "high_rise_fire": 1.5}),
    "medical.masks": _norm(
        "A mask a day for staff and volunteers (10% of residents) for a week; for everyone "
        "in an epidemic.",
        _OURS, per_1000_residents=2, days_of_cover=7,
        hazard_multipliers={"epidemic": 10.0, "high_rise_fire": 2.0}),
    "medical.antigen_test": _norm(
        "Tests for 5% of residents a day for three days, where epidemics are a hazard.",
        _OURS, per_1000_residents=50, days_of_cover=3, hazard_specific=True,
        hazard_multipliers={"epidemic": 1.0}),
    "medical.chronic_medication": _norm(
        "A bridging 7-day pack for 10% of chronically ill residents.",
        _OURS, per_100_chronically_ill=10,
        hazard_multipliers={"epidemic": 3.0, "earthquake": 1.5, "flood": 1.5}),
    "medical.aed": _norm("One AED per 4,000 residents.", _OURS, per_1000_residents=0.25),
    "rescue.fire_extinguisher": _norm(
        "Stockroom and patrol extinguishers; those that fire codes require in buildings are "
        "not counted here.",
        _OURS, per_1000_residents=5, hazard_multipliers={"high_rise_fire": 2.0}),
    "rescue.sandbag": _norm(
        "100 sandbags per 1,000 residents where floods threaten; half that for typhoons.",
        _OURS, per_1000_residents=100, hazard_specific=True,
        hazard_multipliers={"flood": 1.0, "typhoon": 0.5}),
    "rescue.life_jacket": _norm(
        "For rescuers and for evacuating residents aged 80+ or disabled.",
        _OURS, per_1000_residents=5, per_100_aged_80=5, per_100_disabled=5,
        hazard_specific=True, hazard_multipliers={"flood": 1.0, "typhoon": 0.5}),
    "rescue.drainage_pump": _norm(
        "One pump per 2,000 residents where floods or typhoons threaten.",
        _OURS, per_1000_residents=0.5, hazard_specific=True,
        hazard_multipliers={"flood": 1.0, "typhoon": 1.0}),
    "shelter.tent": _norm(
        "2% of residents displaced; a 12 m² tent shelters about three people.",
        f"{_SPHERE_SHELTER} Displaced share and hazard factors: {_OURS} {_SHELTER_SITES}",
        per_1000_residents=round(_DISPLACED_PER_1000 * 3.5 / 12, 2), hazard_specific=True,
        hazard_multipliers=_SHELTER_HAZARDS),
    "shelter.folding_bed": _norm(
        "A bed for each displaced resident (2% of residents).",
        f"Displaced share and hazard factors: {_OURS} {_SHELTER_SITES}",
        per_1000_residents=_DISPLACED_PER_1000, hazard_specific=True,
        hazard_multipliers=_SHELTER_HAZARDS),
    "shelter.blanket": _norm(
        "One for each displaced resident, and for one in ten residents aged 80+ or living "
        "alone in a power cut.",
        _OURS, per_1000_residents=_DISPLACED_PER_1000, per_100_aged_80=10,
        per_100_living_alone=10,
        hazard_multipliers={"earthquake": 4.0, "flood": 2.0, "typhoon": 2.0}),
    "power.flashlight": _norm(
        "For staff and volunteers, and for one in ten residents living alone.",
        _OURS, per_1000_residents=5, per_100_living_alone=10,
        hazard_multipliers={"earthquake": 2.0, "flood": 2.0, "typhoon": 2.0}),
    "power.generator": _norm(
        "One per 4,000 residents for pumps, lifts and medical devices.",
        _OURS, per_1000_residents=0.25,
        hazard_multipliers={"earthquake": 2.0, "flood": 2.0, "typhoon": 2.0}),
    "comms.loudspeaker": _norm("One per 2,000 residents.", _OURS, per_1000_residents=0.5),
    "comms.radio": _norm(
        "Three per 1,000 residents for committee staff, grid workers and volunteers.",
        _OURS, per_1000_residents=3),
    "comms.satellite_phone": _norm(
        "About one per community where networks may fail.",
        _OURS, per_1000_residents=0.25, hazard_specific=True,
        hazard_multipliers={"earthquake": 1.0, "typhoon": 1.0}),
    "sanitation.disinfectant": _norm(
        "Ten bottles per 1,000 residents; more for an epidemic or after a flood.",
        _OURS, per_1000_residents=10, hazard_multipliers={"epidemic": 5.0, "flood": 3.0}),
    "sanitation.portable_toilet": _norm(
        "One toilet per 50 displaced residents (2% of residents).",
        f"{_SPHERE_TOILETS} Displaced share and hazard factors: {_OURS}",
        per_1000_residents=_DISPLACED_PER_1000 / 50, hazard_specific=True,
        hazard_multipliers=_SHELTER_HAZARDS),
}
