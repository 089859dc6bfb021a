"""The words a response plan may use: roles, holders, points, services, audiences, channels.

Pure data with Chinese and English labels. Activation resolves these symbols against a real
area: a holder reference to people or organisations there, a point to a place in it.
"""

from __future__ import annotations

from enum import StrEnum

from communitas.actors.kinds import GovernmentSector, MarketSector, OrganisationKind, PersonKind
from communitas.auth.roles import Role

__all__ = [
    "ALERT_PLACEHOLDERS", "HOLDER_KINDS", "NORMAL_SERVICES", "POINTS", "Audience", "Channel",
    "PlanRoleKey", "check_holder",
]


class PlanRoleKey(StrEnum):
    COMMANDER = "commander"
    DEPUTY = "deputy"
    LIAISON = "liaison"
    LOGISTICS = "logistics"
    GRID_LEAD = "grid_lead"
    VOLUNTEER_LEAD = "volunteer_lead"
    MEDICAL = "medical"


class Audience(StrEnum):
    EVERYONE = "everyone"
    RESIDENTS = "residents"
    VULNERABLE = "vulnerable"  # the elderly living alone, disabled, infants' families …
    STAFF = "staff"
    VOLUNTEERS = "volunteers"
    ORGANISATIONS = "organisations"


class Channel(StrEnum):
    IN_APP = "in_app"
    SMS = "sms"
    EMAIL = "email"
    WEBHOOK = "webhook"
    LOUDSPEAKER = "loudspeaker"
    DOOR_TO_DOOR = "door_to_door"


# A default holder is "<kind>:<value>": a platform role, a kind of person, a kind of
# organisation, or a sector of government or market.
HOLDER_KINDS: dict[str, frozenset[str]] = {
    "role": frozenset(r.value for r in Role),
    "person_kind": frozenset(k.value for k in PersonKind),
    "organisation_kind": frozenset(k.value for k in OrganisationKind),
    "sector": frozenset({*(s.value for s in GovernmentSector), *(s.value for s in MarketSector)}),
}


def check_holder(value: str) -> str:
    kind, _sep, name = value.partition(":")
    if kind not in HOLDER_KINDS or name not in HOLDER_KINDS[kind]:
        raise ValueError(f"{value!r} is not a holder such as role:street_commander, "
                         f"person_kind:cadre, organisation_kind:property_company or "
                         f"sector:health")
    return value


# Where pre-positioned resources go; activation maps each to a place in the area.
POINTS: dict[str, tuple[str, str]] = {
    "community_stockroom": ("社区物资储备室", "Community stockroom"),
    "street_reserve": ("街道应急物资储备库", "Street emergency reserve"),
    "command_post": ("现场指挥部", "Command post"),
    "shelter_site": ("应急避难场所", "Emergency shelter site"),
    "evacuation_assembly_point": ("疏散集合点", "Evacuation assembly point"),
    "building_lobbies": ("楼栋大堂", "Building lobbies"),
    "underground_garage_entrances": ("地下车库出入口", "Underground garage entrances"),
    "low_lying_roads": ("低洼易涝路段", "Low-lying roads"),
    "grid_stations": ("网格工作站", "Grid stations"),
    "clinic": ("社区卫生服务站", "Community clinic"),
    "checkpoint": ("小区出入口卡口", "Estate entrance checkpoint"),
    "cooling_centre": ("避暑纳凉点", "Cooling centre"),
    "sampling_site": ("检测采样点", "Testing site"),
    "distribution_point": ("物资发放点", "Distribution point"),
    "fire_access_routes": ("消防通道", "Fire access routes"),
}

# Normal services a plan pauses or keeps running.
NORMAL_SERVICES: dict[str, tuple[str, str]] = {
    "community_events": ("社区文体活动", "Community events"),
    "routine_inspections": ("日常检查考核", "Routine inspections and appraisals"),
    "door_to_door_surveys": ("入户调查走访", "Door-to-door surveys"),
    "elderly_canteen": ("老年助餐", "Elderly canteen"),
    "home_care_visits": ("居家养老上门服务", "Home-care visits"),
    "waste_collection": ("垃圾清运", "Waste collection"),
    "property_repairs": ("物业报修", "Property repairs"),
    "parcel_delivery": ("快递外卖配送", "Parcel and food delivery"),
    "outdoor_markets": ("室外集市", "Outdoor markets"),
    "schools_and_nurseries": ("学校和托育机构", "Schools and nurseries"),
    "outpatient_clinics": ("社区门诊", "Community outpatient clinics"),
    "pharmacies": ("药店", "Pharmacies"),
    "construction_work": ("施工作业", "Construction work"),
    "outdoor_work": ("户外作业", "Outdoor work"),
    "reserve_topups": ("储备补库", "Reserve top-ups"),
    "drills_and_training": ("演练培训", "Drills and training"),
    "public_transport": ("公共交通", "Public transport"),
    "utilities": ("水电供应", "Water and power supply"),
    "gas_supply": ("燃气供应", "Gas supply"),
    "lifts": ("电梯运行", "Lifts"),
    "grid_patrols": ("网格巡查", "Grid patrols"),
    "administrative_services": ("政务服务窗口", "Administrative service counters"),
}

# Alert templates may use these {placeholders}; activation fills them per language.
ALERT_PLACEHOLDERS = frozenset({"area_name", "level", "hazard", "hotline", "shelter", "time"})
