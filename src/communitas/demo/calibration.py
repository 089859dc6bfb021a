"""Published statistics of Shanghai that the demo city is calibrated on, and our assumptions.

Each figure names its source. "Approximate" marks a figure we could not re-check against the
original table; "estimate" marks one no source gives directly. docs/demo-city.md explains each.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

__all__ = [
    "CENSUS_POPULATION",
    "CHRONIC_ILL_SHARE_65",
    "CITY_ONLY",
    "COMMUNITY_COMMITTEES",
    "DISTRICTS",
    "MARKET_CAPACITY",
    "STOCK_NORMS",
    "STREETS",
    "TARGETS",
    "TOLERANCES",
    "CapacityAssumption",
    "District",
    "StockNorm",
]

# --- Administrative structure ------------------------------------------------------------


class District(NamedTuple):
    code: str
    name_zh: str
    name_en: str
    streets: int  # street-level units: subdistricts (街道), towns (镇) and townships (乡)


# The 16 districts of Shanghai with their GB/T 2260 codes (Chongming became a district in
# 2016). Street-level unit counts per district are approximate, from the 2020-21 division
# lists, rounded so that they sum to the municipal total below.
DISTRICTS: tuple[District, ...] = (
    District("310101", "黄浦区", "Huangpu District", 10),
    District("310104", "徐汇区", "Xuhui District", 13),
    District("310105", "长宁区", "Changning District", 10),
    District("310106", "静安区", "Jing'an District", 14),
    District("310107", "普陀区", "Putuo District", 10),
    District("310109", "虹口区", "Hongkou District", 8),
    District("310110", "杨浦区", "Yangpu District", 12),
    District("310112", "闵行区", "Minhang District", 13),
    District("310113", "宝山区", "Baoshan District", 12),
    District("310114", "嘉定区", "Jiading District", 10),
    District("310115", "浦东新区", "Pudong New Area", 36),
    District("310116", "金山区", "Jinshan District", 10),
    District("310117", "松江区", "Songjiang District", 17),
    District("310118", "青浦区", "Qingpu District", 11),
    District("310120", "奉贤区", "Fengxian District", 11),
    District("310151", "崇明区", "Chongming District", 18),
)

# Shanghai Statistical Yearbook 2021 (administrative divisions, end of 2020): 107 subdistricts,
# 106 towns and 2 townships = 215 street-level units. Approximate (composition from memory of
# the yearbook table; the total of 215 is the widely reported figure).
STREETS = 215

# Shanghai Statistical Yearbook 2021 / Shanghai Civil Affairs Bureau: about 4,600 residents'
# committees and 1,560 villagers' committees at the end of 2020, ~6,200 in all. Approximate:
# the 2014 figures were 4,122 and 1,605, and residents' committees have grown by ~100 a year.
COMMUNITY_COMMITTEES = 6_200

# --- Population (Seventh National Census, reference time 1 November 2020) ---------------

# Shanghai Bureau of Statistics, Bulletin of the Seventh National Population Census (2021).
CENSUS_POPULATION = 24_870_895

# Derived: resident population per neighbourhood/village committee, 24,870,895 / 6,200.
MEAN_RESIDENTS_PER_COMMUNITY = CENSUS_POPULATION / COMMUNITY_COMMITTEES  # ≈ 4,011

# Census bulletin: average size of a family household 2.32 persons (2.49 in 2010).
MEAN_HOUSEHOLD_SIZE = 2.32

# Census bulletin: 4.05 million residents aged 65+, 16.28% (60+: 23.38%; 0-14: 9.8%).
SHARE_AGED_65 = 0.1628
SHARE_AGED_0_14 = 0.098

# Derived. The census bulletin gives no 80+ figure. Shanghai Health Commission, Ageing Office
# and Bureau of Statistics, "2020 Shanghai elderly population and ageing-services monitoring
# statistics": 825,300 registered (户籍) residents aged 80+ at 31 Dec 2020. Few migrants are
# that old, so we divide by the census resident population: 825,300 / 24,870,895 ≈ 3.32%.
REGISTERED_AGED_80 = 825_300
SHARE_AGED_80 = REGISTERED_AGED_80 / CENSUS_POPULATION

# Estimate. No Shanghai table gives the share of residents aged 65+ who live alone. Press
# reports of the civil-affairs monitoring put registered older people living alone at a few
# hundred thousand (under 10% of registered 60+), while national surveys (e.g. CHARLS, CLASS)
# find roughly 10-15% of people 65+ living alone. We use 12% of the 65+.
SHARE_LIVING_ALONE_OF_65 = 0.12

# Approximate. Shanghai Disabled Persons' Federation statistics: about 0.57 million holders of
# the disability certificate (持证残疾人) around 2020; 570,000 / 24.87 million ≈ 2.3%. Certified
# disability understates all disability (the 2006 national sample survey found 6.34%).
SHARE_DISABLED = 0.023

# Derived, approximate. Resident births were 0.169 million in 2019 (7.0 per mille, Shanghai
# statistical communiqué), about as many in 2018 and fewer in 2020 (~0.13 million): the three
# cohorts aged 0-2 at the census number ~0.47 million, 0.47 / 24.87 ≈ 1.9%.
SHARE_INFANTS = 0.019

# Derived, approximate. Sixth National Health Services Survey (2018): chronic-disease
# prevalence 34.3% among people aged 15+. Taking prevalence under 15 as nil and 90.2% of
# residents aged 15+, the whole-population share is 0.343 * 0.902 ≈ 0.31. The survey counts
# cases, so the share of *persons* may be somewhat lower; treat it as an upper estimate.
SHARE_CHRONICALLY_ILL = 0.343 * (1 - SHARE_AGED_0_14)

# Estimate for the generator's age split: prevalence among the 65+ was 54% in the 2013 survey
# and higher (about 60%) in 2018. The rest of the chronic cases fall on the under-65s.
CHRONIC_ILL_SHARE_65 = 0.60

# --- Targets and tolerances for the tests ------------------------------------------------

# Keys are those of `communitas.demo.generator.summarise`.
TARGETS: dict[str, float] = {
    "districts": len(DISTRICTS),
    "streets": STREETS,
    "communities": COMMUNITY_COMMITTEES,
    "mean_residents_per_community": MEAN_RESIDENTS_PER_COMMUNITY,
    "mean_household_size": MEAN_HOUSEHOLD_SIZE,
    "share_aged_65": SHARE_AGED_65,
    "share_aged_80": SHARE_AGED_80,
    "share_living_alone_of_65": SHARE_LIVING_ALONE_OF_65,
    "share_disabled": SHARE_DISABLED,
    "share_infants": SHARE_INFANTS,
    "share_chronically_ill": SHARE_CHRONICALLY_ILL,
}

# Relative tolerance |realised - target| / target. Shares of rare groups vary more between
# communities, so their tolerances are wider; each is several standard deviations of the
# realised statistic at district scale (300 communities).
TOLERANCES: dict[str, float] = {
    "districts": 0.0,
    "streets": 0.0,
    "communities": 0.05,
    "mean_residents_per_community": 0.10,
    "mean_household_size": 0.03,
    "share_aged_65": 0.05,
    "share_aged_80": 0.08,
    "share_living_alone_of_65": 0.10,
    "share_disabled": 0.08,
    "share_infants": 0.10,
    "share_chronically_ill": 0.05,
}

# Statistics that describe the whole city, so only a city-scale plan can meet them.
CITY_ONLY: frozenset[str] = frozenset({"districts", "streets", "communities"})

# --- Assumptions (not published statistics): market capacity and stock levels ------------


class CapacityAssumption(NamedTuple):
    resource_type_code: str
    per: Literal["hour", "day"]
    low: int
    high: int
    lead_low_minutes: int
    lead_high_minutes: int


# Per market sector; a unit is one order, parcel, bottle, box or bag of the resource type.
MARKET_CAPACITY: dict[str, tuple[CapacityAssumption, ...]] = {
    "delivery_platform": (CapacityAssumption("food.vegetable_pack", "hour", 60, 150, 30, 90),),
    "express_courier": (CapacityAssumption("food.vegetable_pack", "hour", 40, 100, 60, 240),),
    "supermarket": (
        CapacityAssumption("water.bottled", "day", 500, 2_000, 120, 360),
        CapacityAssumption("food.instant_noodles", "day", 50, 200, 120, 360),
    ),
    "wholesale_market": (
        CapacityAssumption("food.vegetable_pack", "day", 20_000, 50_000, 240, 720),
        CapacityAssumption("food.rice", "day", 2_000, 5_000, 240, 720),
    ),
    "pharmacy": (
        CapacityAssumption("medical.chronic_medication", "day", 100, 400, 60, 240),
        CapacityAssumption("medical.masks", "day", 100, 400, 60, 240),
    ),
}


class StockNorm(NamedTuple):
    """Quantity = per_1000 x residents / 1000 + a draw in [low, high], then +-30% jitter."""

    resource_type_code: str
    per_1000: float
    low: int
    high: int
    hazard: str | None = None  # held only where the community faces this hazard


_N = StockNorm
# Keyed by holder: community stockroom (neighbourhood committee), street reserve (street
# office), district reserve (emergency management), other departments, teams and firms.
STOCK_NORMS: dict[str, tuple[StockNorm, ...]] = {
    "community_stockroom": (
        _N("water.bottled", 240, 0, 0),
        _N("food.instant_noodles", 5, 0, 0),
        _N("medical.first_aid_kit", 0, 3, 8),
        _N("medical.masks", 10, 0, 0),
        _N("rescue.fire_extinguisher", 0, 10, 30),
        _N("rescue.sandbag", 0, 200, 600, "flood"),
        _N("rescue.life_jacket", 0, 10, 30, "flood"),
        _N("power.flashlight", 0, 10, 30),
        _N("comms.loudspeaker", 0, 2, 4),
        _N("shelter.blanket", 5, 0, 0),
        _N("sanitation.disinfectant", 10, 0, 0),
    ),
    "street_reserve": (
        _N("water.bottled", 100, 0, 0),
        _N("food.instant_noodles", 2, 0, 0),
        _N("food.rice", 1, 0, 0),
        _N("food.infant_formula", 2, 0, 0),
        _N("medical.masks", 20, 0, 0),
        _N("medical.antigen_test", 10, 0, 0),
        _N("medical.aed", 0, 2, 5),
        _N("shelter.tent", 0, 20, 50),
        _N("shelter.folding_bed", 0, 100, 300),
        _N("shelter.blanket", 3, 0, 0),
        _N("rescue.drainage_pump", 0, 2, 6),
        _N("rescue.life_jacket", 0, 50, 150),
        _N("rescue.sandbag", 0, 2_000, 5_000),
        _N("power.generator", 0, 2, 4),
        _N("comms.radio", 0, 20, 40),
        _N("sanitation.disinfectant", 5, 0, 0),
        _N("sanitation.portable_toilet", 0, 5, 15),
    ),
    "district_reserve": (
        _N("water.bottled", 50, 0, 0),
        _N("food.ready_meal", 20, 0, 0),
        _N("food.rice", 0.5, 0, 0),
        _N("shelter.tent", 0, 300, 800),
        _N("shelter.folding_bed", 0, 1_000, 3_000),
        _N("rescue.inflatable_boat", 0, 10, 30),
        _N("rescue.drainage_pump", 0, 20, 50),
        _N("power.generator", 0, 10, 30),
        _N("comms.satellite_phone", 0, 10, 20),
        _N("medical.oxygen_concentrator", 0, 20, 60),
    ),
    "health": (
        _N("medical.masks", 20, 0, 0),
        _N("medical.antigen_test", 50, 0, 0),
    ),
    "fire_and_rescue": (
        _N("rescue.inflatable_boat", 0, 5, 10),
        _N("rescue.swiftwater_team", 0, 30, 60),
    ),
    "rescue_team": (
        _N("rescue.swiftwater_team", 0, 20, 50),
        _N("rescue.inflatable_boat", 0, 2, 6),
        _N("rescue.life_jacket", 0, 30, 80),
        _N("rescue.drainage_pump", 0, 4, 10),
    ),
    "property_company": (
        _N("rescue.fire_extinguisher", 0, 20, 80),
        _N("rescue.sandbag", 0, 100, 300, "flood"),
        _N("rescue.drainage_pump", 0, 1, 2, "flood"),
    ),
    "supermarket": (
        _N("water.bottled", 0, 2_000, 6_000),
        _N("food.instant_noodles", 0, 100, 400),
        _N("food.rice", 0, 100, 300),
    ),
    "pharmacy": (
        _N("medical.masks", 0, 200, 800),
        _N("medical.antigen_test", 0, 100, 500),
        _N("medical.chronic_medication", 0, 200, 600),
        _N("medical.first_aid_kit", 0, 20, 50),
    ),
    "wholesale_market": (
        _N("food.rice", 0, 5_000, 20_000),
        _N("food.vegetable_pack", 0, 3_000, 10_000),
        _N("water.bottled", 0, 20_000, 60_000),
    ),
}

# Emergency shelter sites (应急避难场所): one per street, capacity in persons.
SHELTER_SITE_CAPACITY = (1_000, 5_000)
