"""Mutual-aid, claim and participation routes: thin wrappers; writing routes commit first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import AwareDatetime

from communitas.alerts import feed
from communitas.alerts.notice_service import Issuer
from communitas.api.deps import CurrentPrincipal, SessionDep, SettingsDep
from communitas.community import checks, claims, exchange, neighbours
from communitas.community.models import ClusterStatus, PostStatus
from communitas.community.participation import participation
from communitas.community.schemas import (
    ChecksStart,
    ChecksStarted,
    ClaimReportIn,
    ClaimReportRead,
    ClusterRead,
    ClusterTriage,
    EnrolmentCreate,
    EnrolmentRead,
    MatchAnswer,
    MatchRead,
    PairAnswer,
    PairCreate,
    PairRead,
    PairSuggestionRead,
    ParticipationRead,
    PostCreate,
    PostCreated,
    PostRead,
    VerifiedInformationRead,
)

router = APIRouter(tags=["community"])
CREATED = status.HTTP_201_CREATED
AID = "/api/mutual-aid"


@router.post(f"{AID}/enrolments", response_model=EnrolmentRead, status_code=CREATED)
def enrol(body: EnrolmentCreate, session: SessionDep, principal: CurrentPrincipal
          ) -> EnrolmentRead:
    """Opt a resident in (themself, or staff in scope stating how consent was given)."""
    row = neighbours.enrol(session, principal=principal, data=body)
    session.commit()
    return neighbours.enrolment_reads(session, [row])[0]


@router.get(f"{AID}/enrolments", response_model=list[EnrolmentRead])
def list_enrolments(session: SessionDep, principal: CurrentPrincipal, within: str | None = None,
                    mine: bool = False) -> list[EnrolmentRead]:
    """One's own enrolments, or (staff) the active enrolments of an area."""
    return neighbours.list_enrolments(session, principal=principal, within=within, mine=mine)


@router.post(f"{AID}/enrolments/{{enrolment_id}}/withdraw", response_model=EnrolmentRead)
def withdraw(enrolment_id: int, session: SessionDep, principal: CurrentPrincipal
             ) -> EnrolmentRead:
    row = neighbours.withdraw(session, principal=principal, enrolment_id=enrolment_id)
    session.commit()
    return neighbours.enrolment_reads(session, [row])[0]


@router.get(f"{AID}/pair-suggestions", response_model=list[PairSuggestionRead])
def pair_suggestions(area: str, session: SessionDep, principal: CurrentPrincipal
                     ) -> list[PairSuggestionRead]:
    return neighbours.suggest(session, principal=principal, area_code=area)


@router.post(f"{AID}/pairs", response_model=PairRead, status_code=CREATED)
def confirm_pair(body: PairCreate, session: SessionDep, principal: CurrentPrincipal
                 ) -> PairRead:
    pair = neighbours.confirm_pair(session, principal=principal, data=body)
    session.commit()
    return neighbours.pair_reads(session, [pair])[0]


@router.get(f"{AID}/pairs", response_model=list[PairRead])
def list_pairs(session: SessionDep, principal: CurrentPrincipal, within: str | None = None,
               mine: bool = False) -> list[PairRead]:
    return neighbours.list_pairs(session, principal=principal, within=within, mine=mine)


@router.post(f"{AID}/pairs/{{pair_id}}/respond", response_model=PairRead)
def answer_pair(pair_id: int, body: PairAnswer, session: SessionDep,
                principal: CurrentPrincipal) -> PairRead:
    pair = neighbours.answer_pair(session, principal=principal, pair_id=pair_id,
                                  accept=body.accept)
    session.commit()
    return neighbours.pair_reads(session, [pair])[0]


@router.post(f"{AID}/pairs/{{pair_id}}/end", response_model=PairRead)
def end_pair(pair_id: int, session: SessionDep, principal: CurrentPrincipal) -> PairRead:
    """End a pair: either partner, or staff in scope."""
    pair = neighbours.end_pair(session, principal=principal, pair_id=pair_id)
    session.commit()
    return neighbours.pair_reads(session, [pair])[0]


@router.post(f"{AID}/checks", response_model=ChecksStarted, status_code=CREATED)
def start_checks(body: ChecksStart, session: SessionDep, principal: CurrentPrincipal
                 ) -> ChecksStarted:
    """Start check-on-your-neighbour tasks by hand (origin ``manual``); repeating the same
    ``source_id`` (by default the area and today's date) adds nothing."""
    result = checks.start_checks(
        session, principal=principal, area_code=body.area_code, source_kind="manual",
        source_id=body.source_id or checks.manual_source_id(body.area_code))
    session.commit()
    return result


@router.post(f"{AID}/posts", response_model=PostCreated, status_code=CREATED)
def create_post(body: PostCreate, session: SessionDep, principal: CurrentPrincipal
                ) -> PostCreated:
    """Post an offer or a need; the answer holds the match proposed at once, if any."""
    post, match = exchange.create_post(session, principal=principal, data=body)
    session.commit()
    return PostCreated(post=exchange.post_reads(session, [post])[0],
                       match=exchange.match_reads(session, principal, [match])[0]
                       if match is not None and principal.person_id == post.person_id
                       else None)


@router.get(f"{AID}/posts", response_model=list[PostRead])
def list_posts(session: SessionDep, principal: CurrentPrincipal, within: str | None = None,
               mine: bool = False, status: PostStatus | None = None) -> list[PostRead]:
    return exchange.list_posts(session, principal=principal, within=within, mine=mine,
                               status=status)


@router.post(f"{AID}/posts/{{post_id}}/close", response_model=PostRead)
def close_post(post_id: int, session: SessionDep, principal: CurrentPrincipal) -> PostRead:
    post = exchange.close_post(session, principal=principal, post_id=post_id)
    session.commit()
    return exchange.post_reads(session, [post])[0]


@router.get(f"{AID}/matches/mine", response_model=list[MatchRead])
def my_matches(session: SessionDep, principal: CurrentPrincipal) -> list[MatchRead]:
    return exchange.my_matches(session, principal=principal)


@router.post(f"{AID}/matches/{{match_id}}/respond", response_model=MatchRead)
def answer_match(match_id: int, body: MatchAnswer, session: SessionDep,
                 principal: CurrentPrincipal) -> MatchRead:
    match = exchange.answer_match(session, principal=principal, match_id=match_id,
                                  accept=body.accept)
    session.commit()
    return exchange.match_reads(session, principal, [match])[0]


@router.post("/api/claims", response_model=ClaimReportRead, status_code=CREATED)
def report_claim(body: ClaimReportIn, session: SessionDep, principal: CurrentPrincipal
                 ) -> ClaimReportRead:
    """Report a claim heard (where, what); similar claims of the street are grouped."""
    result = claims.report_claim(session, principal=principal, data=body)
    session.commit()
    return result


@router.get("/api/claims", response_model=list[ClusterRead])
def list_claims(within: str, session: SessionDep, principal: CurrentPrincipal,
                status: ClusterStatus | None = None) -> list[ClusterRead]:
    return claims.list_clusters(session, principal=principal, within=within, status=status)


@router.post("/api/claims/{cluster_id}/triage", response_model=ClusterRead)
def triage_claim(cluster_id: int, body: ClusterTriage, session: SessionDep,
                 principal: CurrentPrincipal, settings: SettingsDep) -> ClusterRead:
    """Verify, rebut or ignore; a rebuttal is a draft notice to approve and send."""
    cluster = claims.triage(session, principal=principal, cluster_id=cluster_id, data=body,
                            issuer=Issuer.from_settings(settings))
    session.commit()
    return claims.cluster_reads(session, [cluster])[0]


@router.get("/api/areas/{code}/verified-information", response_model=VerifiedInformationRead)
def verified_information(code: str, session: SessionDep) -> VerifiedInformationRead:
    """Public: the area's active official notices and its verified or rebutted claims."""
    page = feed.area_notices(session, code=code, active_only=True)
    return VerifiedInformationRead(area_code=code, notices=page.items,
                                   claims=claims.verified_claims(session, code=code))


@router.get("/api/metrics/participation", response_model=ParticipationRead)
def participation_metrics(
    area: str, session: SessionDep, principal: CurrentPrincipal,
    since: Annotated[AwareDatetime | None, Query(description="start, inclusive")] = None,
    until: Annotated[AwareDatetime | None, Query(description="end, exclusive")] = None,
) -> ParticipationRead:
    return participation(session, principal=principal, area_code=area, since=since,
                         until=until)
