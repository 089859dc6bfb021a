"""Shapes of mutual aid, claims and participation metrics. Read models carry codes, names
and what a resident chose to share — never a phone, identity number, health or disability."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field

from communitas.alerts.schemas import NoticeRead
from communitas.community.models import (
    AidRole,
    ClusterStatus,
    MatchStatus,
    PairStatus,
    PostDirection,
    PostKind,
    PostStatus,
)
from communitas.privacy import contains_private_data
from communitas.schemas import ReadModel, StrictModel

Code = Annotated[str, Field(min_length=1, max_length=32)]


def _no_private(text: str) -> str:
    if contains_private_data(text):
        raise ValueError("must not contain a phone or identity number")
    return text



SharedNote = Annotated[str, Field(max_length=200), AfterValidator(_no_private)]
PostText = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(_no_private)]
ClaimText = Annotated[str, Field(min_length=4, max_length=500), AfterValidator(_no_private)]
Verdict = Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(_no_private)]


class EnrolmentCreate(StrictModel):
    """Opt a resident in. Staff opting someone in say how consent was given."""

    person_code: Code
    role: AidRole
    capacity: int = Field(default=1, ge=1, le=5)
    shared_note: SharedNote = ""
    consent_statement: str = Field(default="", max_length=200)


class EnrolmentRead(ReadModel):
    id: int
    person_code: str
    name_zh: str
    name_en: str
    area_code: str
    role: AidRole
    capacity: int
    shared_note: str
    consent_basis: str
    consent_by: str
    consent_at: datetime
    withdrawn_at: datetime | None


class PairCreate(StrictModel):
    vulnerable_person_code: Code
    helper_person_code: Code


class PairAnswer(StrictModel):
    accept: bool


class PartnerRead(ReadModel):
    person_code: str
    name_zh: str
    name_en: str
    area_code: str
    shared_note: str


class PairRead(ReadModel):
    id: int
    status: PairStatus
    basis: str
    distance_m: float | None
    vulnerable: PartnerRead
    helper: PartnerRead
    confirmed_by: str
    helper_answer_at: datetime | None


class PairSuggestionRead(ReadModel):
    vulnerable: PartnerRead
    helper: PartnerRead
    basis: str
    distance_m: float | None


class ChecksStart(StrictModel):
    area_code: Code
    source_id: str | None = Field(default=None, min_length=1, max_length=64,
                                  description="default: the area and today's date")


class ChecksStarted(ReadModel):
    source_kind: str
    source_id: str
    created: int
    already: int
    task_ids: list[int]


class PostCreate(StrictModel):
    direction: PostDirection
    kind: PostKind
    description: PostText
    display_name: Annotated[str, Field(max_length=64), AfterValidator(_no_private)] = ""
    contact_note: str = Field(default="", max_length=200,
                              description="shown to the other side only once both accept")
    area_code: Code | None = Field(default=None, description="default: the home building")
    person_code: Code | None = Field(default=None, description="staff posting for a resident")


class PostRead(ReadModel):
    id: int
    direction: PostDirection
    kind: PostKind
    description: str
    display_name: str
    area_code: str
    status: PostStatus
    created_at: datetime


class MatchAnswer(StrictModel):
    accept: bool


class MatchRead(ReadModel):
    """A match as one side sees it: its own post, the other side's post, and the other
    side's contact note once both have accepted."""

    id: int
    status: MatchStatus
    basis: str
    distance_m: float | None
    mine: PostRead
    theirs: PostRead
    their_contact_note: str | None


class ClaimReportIn(StrictModel):
    text: ClaimText
    area_code: Code | None = Field(default=None, description="where it was heard; default home")


class ClaimReportRead(ReadModel):
    report_id: int
    cluster_id: int
    similarity: float
    new_cluster: bool
    cluster_status: ClusterStatus
    verdict_zh: str = Field(description="set when the claim was already verified or rebutted")
    verdict_en: str


class ClusterTriage(StrictModel):
    verdict: Annotated[str, Field(pattern="^(verify|rebut|ignore)$")]
    verdict_zh: Verdict | None = None
    verdict_en: Verdict | None = None
    title_zh: Annotated[str, Field(min_length=1, max_length=200)] = "辟谣"
    title_en: Annotated[str, Field(min_length=1, max_length=200)] = "Rumour rebuttal"


class ClusterRead(ReadModel):
    id: int
    text: str
    status: ClusterStatus
    report_count: int
    area_codes: list[str]
    verdict_zh: str
    verdict_en: str
    notice_id: int | None
    created_at: datetime
    last_reported_at: datetime
    triaged_at: datetime | None


class ActorKindShare(ReadModel):
    actor_kind: str
    label_zh: str
    label_en: str
    tasks_done: int
    share: float


class ParticipationRead(ReadModel):
    area_code: str
    since: datetime | None
    until: datetime | None
    tasks_done: int
    by_actor_kind: list[ActorKindShare]
    largest_actor_kind: str | None
    largest_share: float | None
    overloaded: bool
    overload_threshold: float
    residents: int
    volunteers: int
    volunteers_per_1000: float | None
    callouts_answered: int
    callout_acceptance_rate: float | None
    requests_answered: int
    requests_answered_by_non_government: int
    non_government_share: float | None
    aid_pairs_active: int
    aid_matches_accepted: int


class VerifiedClaimRead(ReadModel):
    """A triaged claim as the public sees it: the claim, the verdict, the notice."""

    id: int
    text: str
    status: ClusterStatus
    verdict_zh: str
    verdict_en: str
    notice_id: int | None
    triaged_at: datetime | None


class PostCreated(ReadModel):
    post: PostRead
    match: MatchRead | None


class VerifiedInformationRead(ReadModel):
    """An area's official feed: public notices (rebuttals among them) and triaged claims."""

    area_code: str
    notices: list[NoticeRead]
    claims: list[VerifiedClaimRead]
