"""Claims residents have heard: reported, clustered by similar text, triaged by staff
(verify, rebut, ignore). A rebuttal is composed as an official public notice over the
communities where the claim was reported; once approved and sent (two people, as every
public notice), the alerts outbox puts it in those residents' feeds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import literal, or_, select
from sqlalchemy.orm import Session

from communitas.alerts import notice_service as notices
from communitas.alerts.notice_service import Issuer
from communitas.alerts.schemas import NoticeCreate
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, can, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.community import lookups
from communitas.community.models import ClaimCluster, ClaimReport, ClusterStatus
from communitas.community.places import places_of
from communitas.community.schemas import (
    ClaimReportIn,
    ClaimReportRead,
    ClusterRead,
    ClusterTriage,
    VerifiedClaimRead,
)
from communitas.community.similarity import SIMILAR_AT, normalise, similarity
from communitas.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from communitas.events import record_event
from communitas.i18n import _

__all__ = ["cluster_reads", "list_clusters", "report_claim", "triage", "verified_claims"]

CLUSTER_WINDOW = timedelta(days=14)  # a claim joins clusters reported in the last 14 days
CANDIDATES = 500
VERDICTS = {"verify": ClusterStatus.VERIFIED, "rebut": ClusterStatus.REBUTTED,
            "ignore": ClusterStatus.IGNORED}


def _where_heard(session: Session, principal: Principal, area_code: str | None
                 ) -> tuple[Area, int | None]:
    """The area a claim was heard in, and the reporter (a person, or None for staff)."""
    if principal.person_id is not None and area_code is None:
        person = lookups.people_by_id(session, [principal.person_id])[principal.person_id]
        return lookups.area_by_code(session, person.area_code), person.id
    if area_code is None:
        raise ValidationFailed(_("Say where the claim was heard"), code="area_required",
                               details={"field": "area_code"})
    area = lookups.area_by_code(session, area_code)
    if principal.person_id is None and not (
            can(principal, Permission.AID_MANAGE, area_path=area.path)
            or can(principal, Permission.CLAIM_TRIAGE, area_path=area.path)):
        raise PermissionDenied(_("Only residents and staff of the area report claims"),
                               code="not_a_person")
    return area, principal.person_id


def report_claim(session: Session, *, principal: Principal, data: ClaimReportIn,
                 clock: Clock | None = None) -> ClaimReportRead:
    """Record a claim and put it in the most similar recent cluster of its street."""
    area, reporter = _where_heard(session, principal, data.area_code)
    place = places_of(session, [area.id])[area.id]
    street_id = place.street_id or area.id
    now = (clock or SystemClock()).now()
    text = normalise(data.text)
    recent = session.execute(
        select(ClaimCluster).where(ClaimCluster.street_id == street_id,
                                   ClaimCluster.last_reported_at >= now - CLUSTER_WINDOW)
        .order_by(ClaimCluster.last_reported_at.desc()).limit(CANDIDATES)).scalars().all()
    scored = sorted(((similarity(text, c.normalised), -c.id, c) for c in recent),
                    key=lambda s: s[:2], reverse=True)
    score, cluster = (scored[0][0], scored[0][2]) if scored else (0.0, None)
    new = cluster is None or score < SIMILAR_AT
    if new:
        cluster = ClaimCluster(street_id=street_id, text=data.text, normalised=text,
                               status=ClusterStatus.OPEN, report_count=0, created_at=now,
                               last_reported_at=now)
        session.add(cluster)
        session.flush()
        score = 1.0
    assert cluster is not None
    cluster.report_count += 1
    cluster.last_reported_at = now
    report = ClaimReport(cluster_id=cluster.id, area_id=area.id, text=data.text,
                         similarity=round(score, 3), reporter_person_id=reporter,
                         reported_by=principal.actor, reported_at=now)
    session.add(report)
    session.flush()
    record_event(session, actor=principal.actor, action="claim.reported",
                 subject_type="claim_cluster", subject_id=cluster.id, area_code=area.code,
                 clock=clock, payload={"report": report.id, "new_cluster": new,
                                       "similarity": report.similarity})
    return ClaimReportRead(report_id=report.id, cluster_id=cluster.id,
                           similarity=report.similarity, new_cluster=new,
                           cluster_status=cluster.status, verdict_zh=cluster.verdict_zh,
                           verdict_en=cluster.verdict_en)


def _reported_areas(session: Session, cluster_ids: Sequence[int]) -> dict[int, list[Area]]:
    pairs = session.execute(select(ClaimReport.cluster_id, ClaimReport.area_id).where(
        ClaimReport.cluster_id.in_(cluster_ids)).distinct()).all()
    areas = {a.id: a for a in session.execute(select(Area).where(
        Area.id.in_({area_id for _c, area_id in pairs}))).scalars()}
    out: dict[int, list[Area]] = {cid: [] for cid in cluster_ids}
    for cid, area_id in pairs:
        out[cid].append(areas[area_id])
    for found in out.values():
        found.sort(key=lambda a: a.path)
    return out


def _communities(session: Session, areas: Sequence[Area]) -> list[str]:
    """The communities holding the reported areas (an area above community stays itself)."""
    places = places_of(session, [a.id for a in areas])
    ids = [places[a.id].community_id or a.id for a in areas]
    codes = dict(session.execute(select(Area.id, Area.code).where(Area.id.in_(ids))).all())
    return list(dict.fromkeys(codes[i] for i in ids))


def triage(session: Session, *, principal: Principal, cluster_id: int, data: ClusterTriage,
           issuer: Issuer, clock: Clock | None = None) -> ClaimCluster:
    """Verify, rebut or ignore a cluster; the triager's area must hold every report."""
    cluster = session.get(ClaimCluster, cluster_id, with_for_update=True)
    if cluster is None:
        raise NotFound(_("Unknown claim {value}"), code="unknown_claim", value=cluster_id)
    areas = _reported_areas(session, [cluster.id])[cluster.id]
    for area in areas:
        require(principal, Permission.CLAIM_TRIAGE, area_path=area.path)
    if cluster.status is not ClusterStatus.OPEN:
        raise Conflict(_("This claim was already triaged ({state})"), code="claim_state",
                       state=cluster.status.value)
    if data.verdict != "ignore" and not (data.verdict_zh and data.verdict_en):
        raise ValidationFailed(_("Write the verdict in Chinese and English"),
                               code="verdict_required", details={"field": "verdict_zh"})
    now = (clock or SystemClock()).now()
    cluster.status = VERDICTS[data.verdict]
    cluster.verdict_zh, cluster.verdict_en = data.verdict_zh or "", data.verdict_en or ""
    cluster.triaged_by, cluster.triaged_at = principal.actor, now
    if cluster.status is ClusterStatus.REBUTTED:
        cluster.notice_id = _rebuttal_notice(session, principal, cluster, data, areas,
                                             issuer, clock)
    session.flush()
    record_event(session, actor=principal.actor, action=f"claim.{cluster.status.value}",
                 subject_type="claim_cluster", subject_id=cluster.id,
                 area_code=areas[0].code if areas else None, clock=clock,
                 payload={"reports": cluster.report_count, "notice_id": cluster.notice_id})
    return cluster


def _rebuttal_notice(session: Session, principal: Principal, cluster: ClaimCluster,
                     data: ClusterTriage, areas: Sequence[Area], issuer: Issuer,
                     clock: Clock | None) -> int:
    body = NoticeCreate(
        title_zh=data.title_zh, title_en=data.title_en,
        body_zh=f"传言：{cluster.text}\n核实结果：{data.verdict_zh}",
        body_en=f"Claim: {cluster.text}\nWhat we found: {data.verdict_en}",
        hazard="rumour rebuttal", category="Other", severity="Minor", urgency="Expected",
        certainty="Observed", area_codes=_communities(session, areas))
    return notices.compose_notice(session, principal=principal, data=body, issuer=issuer,
                                  clock=clock).id


def cluster_reads(session: Session, clusters: Sequence[ClaimCluster]) -> list[ClusterRead]:
    areas = _reported_areas(session, [c.id for c in clusters])
    return [ClusterRead(
        id=c.id, text=c.text, status=c.status, report_count=c.report_count,
        area_codes=[a.code for a in areas[c.id]], verdict_zh=c.verdict_zh,
        verdict_en=c.verdict_en, notice_id=c.notice_id, created_at=c.created_at,
        last_reported_at=c.last_reported_at, triaged_at=c.triaged_at) for c in clusters]


def _touching(area: Area) -> object:
    """Clusters with a report in the area's subtree or in an area above it."""
    low, high = area.subtree_bounds()
    return (select(ClaimReport.cluster_id).join(Area, Area.id == ClaimReport.area_id)
            .where(or_((Area.path >= low) & (Area.path < high),
                       literal(area.path).startswith(Area.path))))


def list_clusters(session: Session, *, principal: Principal, within: str,
                  status: ClusterStatus | None = None, limit: int = 100) -> list[ClusterRead]:
    """Claims reported in an area, most reported first (staff who triage)."""
    area = lookups.area_by_code(session, within, "within")
    require(principal, Permission.CLAIM_TRIAGE, area_path=area.path)
    query = select(ClaimCluster).where(ClaimCluster.id.in_(_touching(area)))  # type: ignore[arg-type]
    if status is not None:
        query = query.where(ClaimCluster.status == status)
    query = query.order_by(ClaimCluster.report_count.desc(), ClaimCluster.id).limit(limit)
    return cluster_reads(session, list(session.execute(query).scalars()))


def verified_claims(session: Session, *, code: str, limit: int = 50) -> list[VerifiedClaimRead]:
    """Verified and rebutted claims reported in or around an area (public)."""
    area = lookups.area_by_code(session, code, "code")
    rows = session.execute(
        select(ClaimCluster).where(
            ClaimCluster.id.in_(_touching(area)),  # type: ignore[arg-type]
            ClaimCluster.status.in_((ClusterStatus.VERIFIED, ClusterStatus.REBUTTED)))
        .order_by(ClaimCluster.triaged_at.desc(), ClaimCluster.id.desc()).limit(limit))
    return [VerifiedClaimRead(id=c.id, text=c.text, status=c.status, verdict_zh=c.verdict_zh,
                              verdict_en=c.verdict_en, notice_id=c.notice_id,
                              triaged_at=c.triaged_at) for c in rows.scalars()]
