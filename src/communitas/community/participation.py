"""Participation metrics per area and period: who does the work (MISSION.md, tension 2,
"one overloaded actor"). Read-only; every figure is over the area's subtree."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from communitas.actors.kinds import OrganisationKind, PersonKind
from communitas.actors.models import Organisation, Person  # read-only counts, no private column
from communitas.areas import service as areas
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, require
from communitas.auth.roles import Permission
from communitas.community import lookups
from communitas.community.models import (
    AidEnrolment,
    AidMatch,
    AidPair,
    AidPost,
    MatchStatus,
    PairStatus,
)
from communitas.community.schemas import ActorKindShare, ParticipationRead
from communitas.dispatch.models import ResourceRequest, Shipment
from communitas.i18n import _, translate
from communitas.resources.models import Holding
from communitas.tasks.callouts import acceptance_stats
from communitas.tasks.lifecycle import TaskStatus
from communitas.tasks.models import Task

__all__ = ["GOVERNMENT_KINDS", "MIN_TASKS", "OVERLOAD_SHARE", "participation"]

# The "one overloaded actor" flag: one actor kind did more than half the finished tasks …
OVERLOAD_SHARE = 0.5
# … out of at least this many (fewer tells nothing).
MIN_TASKS = 5
# Holders on the administrative line; everyone else (market, social, owners' committees,
# property companies, rescue and volunteer teams) counts as non-government.
GOVERNMENT_KINDS = frozenset({OrganisationKind.GOVERNMENT_DEPARTMENT,
                              OrganisationKind.STREET_OFFICE,
                              OrganisationKind.NEIGHBOURHOOD_COMMITTEE})

ACTOR_KIND_LABELS: dict[str, str] = {
    PersonKind.RESIDENT: _("Residents"), PersonKind.VOLUNTEER: _("Volunteers"),
    PersonKind.GRID_WORKER: _("Grid workers"), PersonKind.CADRE: _("Sent-down cadres"),
    PersonKind.PARTY_MEMBER: _("Party members"),
    OrganisationKind.GOVERNMENT_DEPARTMENT: _("Government departments"),
    OrganisationKind.STREET_OFFICE: _("Street office"),
    OrganisationKind.NEIGHBOURHOOD_COMMITTEE: _("Neighbourhood committee"),
    OrganisationKind.OWNERS_COMMITTEE: _("Owners' committee"),
    OrganisationKind.PROPERTY_COMPANY: _("Property company"),
    OrganisationKind.SOCIAL_ORGANISATION: _("Social organisations"),
    OrganisationKind.RESCUE_TEAM: _("Rescue teams"),
    OrganisationKind.MARKET_ORGANISATION: _("Market organisations"),
    OrganisationKind.VOLUNTEER_TEAM: _("Volunteer teams"),
}

Bounds = tuple[str, str]


def _period(column: object, since: datetime | None, until: datetime | None) -> list[object]:
    conditions: list[object] = []
    if since is not None:
        conditions.append(column >= since)  # type: ignore[operator]
    if until is not None:
        conditions.append(column < until)  # type: ignore[operator]
    return conditions


def _tasks_by_kind(session: Session, bounds: Bounds, since: datetime | None,
                   until: datetime | None) -> dict[str, int]:
    """Finished tasks (done or verified, by ``done_at``) per kind of their assignee."""
    rows = session.execute(
        select(Person.kind, Organisation.kind, func.count()).select_from(Task)
        .join(Area, Area.id == Task.area_id)
        .outerjoin(Person, Person.id == Task.assignee_person_id)
        .outerjoin(Organisation, Organisation.id == Task.assignee_org_id)
        .where(Area.path >= bounds[0], Area.path < bounds[1],
               Task.status.in_((TaskStatus.DONE, TaskStatus.VERIFIED)),
               *_period(Task.done_at, since, until))  # type: ignore[arg-type]
        .group_by(Person.kind, Organisation.kind)).all()
    counts: dict[str, int] = {}
    for person_kind, org_kind, n in rows:
        kind = (person_kind or org_kind or "unassigned").__str__()
        counts[kind] = counts.get(kind, 0) + int(n)
    return counts


def _volunteers(session: Session, bounds: Bounds) -> int:
    return int(session.execute(
        select(func.count()).select_from(Person).join(Area, Area.id == Person.area_id)
        .where(Person.kind == PersonKind.VOLUNTEER, Area.path >= bounds[0],
               Area.path < bounds[1])).scalar_one())


def _requests_answered(session: Session, bounds: Bounds, since: datetime | None,
                       until: datetime | None) -> tuple[int, int]:
    """Requests located in the area with stock committed in the period: all of them, and
    those with at least one commitment from a non-government holder."""
    non_government = Organisation.kind.notin_([k.value for k in GOVERNMENT_KINDS])
    rows = session.execute(
        select(Shipment.request_id, func.max(case((non_government, 1), else_=0)))
        .join(ResourceRequest, ResourceRequest.id == Shipment.request_id)
        .join(Area, Area.id == ResourceRequest.area_id)
        .join(Holding, Holding.id == Shipment.holding_id)
        .join(Organisation, Organisation.id == Holding.organisation_id)
        .where(Shipment.quantity > 0, Area.path >= bounds[0], Area.path < bounds[1],
               *_period(Shipment.committed_at, since, until))  # type: ignore[arg-type]
        .group_by(Shipment.request_id)).all()
    return len(rows), sum(1 for _r, flag in rows if flag)


def _label(kind: str, locale: str) -> str:
    return translate(ACTOR_KIND_LABELS.get(kind, _("Not assigned")), locale)


def _mutual_aid(session: Session, bounds: Bounds, since: datetime | None,
                until: datetime | None) -> tuple[int, int]:
    """Active pairs whose vulnerable resident lives in the area (now), and offer–need matches
    accepted in the period whose need was posted in the area."""
    pairs = session.execute(
        select(func.count()).select_from(AidPair)
        .join(AidEnrolment, AidEnrolment.id == AidPair.vulnerable_id)
        .join(Person, Person.id == AidEnrolment.person_id).join(Area, Area.id == Person.area_id)
        .where(AidPair.status == PairStatus.ACTIVE, Area.path >= bounds[0],
               Area.path < bounds[1])).scalar_one()
    matches = session.execute(
        select(func.count()).select_from(AidMatch)
        .join(AidPost, AidPost.id == AidMatch.need_id).join(Area, Area.id == AidPost.area_id)
        .where(AidMatch.status == MatchStatus.ACCEPTED, Area.path >= bounds[0],
               Area.path < bounds[1], *_period(AidMatch.closed_at, since, until))  # type: ignore[arg-type]
    ).scalar_one()
    return int(pairs), int(matches)


def participation(session: Session, *, principal: Principal, area_code: str,
                  since: datetime | None = None, until: datetime | None = None
                  ) -> ParticipationRead:
    """The participation metrics of an area's subtree over [since, until)."""
    area = lookups.area_by_code(session, area_code, "area")
    require(principal, Permission.METRICS_READ, area_path=area.path)
    bounds = area.subtree_bounds()
    by_kind = _tasks_by_kind(session, bounds, since, until)
    done = sum(by_kind.values())
    shares = sorted((ActorKindShare(actor_kind=k, label_zh=_label(k, "zh_CN"),
                                    label_en=_label(k, "en"), tasks_done=n,
                                    share=round(n / done, 4))
                     for k, n in by_kind.items()), key=lambda s: (-s.tasks_done, s.actor_kind))
    top = shares[0] if shares else None
    residents = areas.subtree_statistics(session, code=area.code).population
    volunteers = _volunteers(session, bounds)
    calls = acceptance_stats(session, bounds=bounds, since=since, until=until)
    answered, non_gov = _requests_answered(session, bounds, since, until)
    pairs, matches = _mutual_aid(session, bounds, since, until)
    return ParticipationRead(
        area_code=area.code, since=since, until=until, tasks_done=done, by_actor_kind=shares,
        largest_actor_kind=top.actor_kind if top else None,
        largest_share=top.share if top else None,
        overloaded=bool(top and done >= MIN_TASKS and top.share > OVERLOAD_SHARE),
        overload_threshold=OVERLOAD_SHARE, residents=residents, volunteers=volunteers,
        volunteers_per_1000=round(volunteers * 1000 / residents, 2) if residents else None,
        callouts_answered=calls.accepted + calls.declined,
        callout_acceptance_rate=calls.acceptance_rate, requests_answered=answered,
        requests_answered_by_non_government=non_gov,
        non_government_share=round(non_gov / answered, 4) if answered else None,
        aid_pairs_active=pairs, aid_matches_accepted=matches)
