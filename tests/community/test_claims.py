"""Claims heard by residents: clustering, triage in one's area, and rebuttals that reach the
feeds of the residents where the claim was reported."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.actors.models import Person
from communitas.alerts import notice_service as notices
from communitas.alerts.models import FeedItem, Notice, NoticeState
from communitas.alerts.outbox import deliver_in_app
from communitas.auth import service as auth
from communitas.auth.permissions import Principal
from communitas.auth.roles import Role
from communitas.clock import FixedClock
from communitas.community import claims
from communitas.community.models import ClaimCluster, ClusterStatus
from communitas.community.schemas import ClaimReportIn, ClusterTriage
from communitas.errors import Conflict, PermissionDenied, ValidationFailed
from communitas.events import Event
from tests.actors.helpers import make_person
from tests.alerts.helpers import ISSUER
from tests.community.helpers import BUILDING_A1_2, CLOCK, PRIVATE, SECRETS, START, build_world
from tests.factories import COMMUNITY_A2, STREET_A, make_user

RUMOUR = "听说自来水被污染了，千万不能喝！"
BUILDING_A2 = f"{COMMUNITY_A2}-B001"
REBUT = ClusterTriage(verdict="rebut", verdict_zh="水质检测合格，可以放心饮用。",
                      verdict_en="The water was tested this morning and is safe to drink.")


def report(db: Session, who: Principal, text: str, area: str | None = None,
           clock: FixedClock = CLOCK) -> int:
    result = claims.report_claim(db, principal=who, clock=clock,
                                 data=ClaimReportIn(text=text, area_code=area))
    return result.cluster_id


def _with_street(db: Session) -> dict[str, Principal]:
    who = build_world(db)
    make_person(db, "R-A2", BUILDING_A2, **PRIVATE)
    make_user(db, "street", Role.STREET_COMMANDER, area_code=STREET_A)
    who["street"] = auth.principal_for_user(db, auth.get_user(db, username="street"))
    return who


def test_similar_claims_of_a_street_cluster_and_different_ones_do_not(db: Session) -> None:
    who = _with_street(db)
    first = report(db, who["old1"], RUMOUR)
    assert report(db, who["helper2"], "听说自来水被污染了 千万不能喝") == first
    assert report(db, who["juwei"], "自来水被污染了，不能喝", area=BUILDING_A1_2) == first
    assert report(db, who["street"], "听说自来水被污染了！", area=BUILDING_A2) == first
    assert report(db, who["old1"], "明天全区停电三天") != first
    assert report(db, who["district"], RUMOUR, area="310115002001-B001") != first  # street B
    later = FixedClock(START + timedelta(days=30))
    assert report(db, who["old1"], RUMOUR, clock=later) != first  # an old cluster is closed
    cluster = db.get(ClaimCluster, first)
    assert cluster is not None and cluster.report_count == 4


def test_a_rebuttal_reaches_the_feeds_where_the_claim_was_reported(db: Session) -> None:
    who = _with_street(db)
    cluster_id = report(db, who["old1"], RUMOUR)
    report(db, who["street"], RUMOUR, area=BUILDING_A2)
    with pytest.raises(PermissionDenied):  # the committee of A1 does not hold A2's report
        claims.triage(db, principal=who["juwei"], cluster_id=cluster_id, data=REBUT,
                      issuer=ISSUER, clock=CLOCK)
    cluster = claims.triage(db, principal=who["street"], cluster_id=cluster_id, data=REBUT,
                            issuer=ISSUER, clock=CLOCK)
    assert cluster.status is ClusterStatus.REBUTTED and cluster.notice_id is not None
    notice = db.get(Notice, cluster.notice_id)
    assert notice is not None and notice.state is NoticeState.DRAFT
    assert sorted(notice.area_codes) == ["310115001001", COMMUNITY_A2]
    with pytest.raises(PermissionDenied):  # a public notice needs a second person
        notices.approve_notice(db, principal=who["street"], notice_id=notice.id)
    notices.approve_notice(db, principal=who["district"], notice_id=notice.id, clock=CLOCK)
    notices.send_notice(db, principal=who["street"], notice_id=notice.id, clock=CLOCK)
    deliver_in_app(db, now=START, limit=1000)
    fed = set(db.execute(select(Person.code).join(FeedItem, FeedItem.person_id == Person.id)
                         .where(FeedItem.notice_id == notice.id)).scalars())
    assert fed == {"OLD-1", "OLD-2", "H-1", "R-A2"}  # residents of A1 and A2, not of B1
    assert REBUT.verdict_zh in notice.body_zh and RUMOUR in notice.body_zh
    assert not any(s in notice.body_zh + notice.body_en for s in SECRETS)
    with pytest.raises(Conflict):
        claims.triage(db, principal=who["street"], cluster_id=cluster_id, data=REBUT,
                      issuer=ISSUER)


def test_verify_and_ignore_are_recorded_and_need_a_verdict(db: Session) -> None:
    who = _with_street(db)
    true_one = report(db, who["old1"], "东门的桥今天封闭维修")
    with pytest.raises(ValidationFailed):
        claims.triage(db, principal=who["juwei"], cluster_id=true_one,
                      data=ClusterTriage(verdict="verify"), issuer=ISSUER)
    claims.triage(db, principal=who["juwei"], cluster_id=true_one, issuer=ISSUER,
                  data=ClusterTriage(verdict="verify", verdict_zh="属实", verdict_en="True"))
    noise = report(db, who["old1"], "有人说外星人来了")
    claims.triage(db, principal=who["juwei"], cluster_id=noise, issuer=ISSUER,
                  data=ClusterTriage(verdict="ignore"))
    public = claims.verified_claims(db, code="310115001001")
    assert [(c.id, c.status) for c in public] == [(true_one, ClusterStatus.VERIFIED)]
    actions = set(db.execute(select(Event.action).where(Event.subject_type == "claim_cluster"))
                  .scalars())
    assert actions == {"claim.reported", "claim.verified", "claim.ignored"}


def test_reporting_needs_a_person_or_staff_of_the_area(db: Session) -> None:
    who = _with_street(db)
    with pytest.raises(PermissionDenied):
        report(db, who["juwei_b"], RUMOUR, area=BUILDING_A1_2)
    with pytest.raises(ValidationFailed):
        report(db, who["juwei"], RUMOUR)  # staff say where it was heard
    with pytest.raises(ValueError):
        report(db, who["old1"], "骗子电话 13812345678 冒充居委会")
