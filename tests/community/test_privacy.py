"""Residents' private data (phone, identity number, health, disability) never reaches a
pair, a check task, an offer, a match, a claim, a rebuttal, a feed, the metrics or an event,
even though every person here has all four filled in."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.alerts import feed
from communitas.alerts import notice_service as notices
from communitas.alerts.models import Notice
from communitas.alerts.outbox import deliver_in_app
from communitas.auth.permissions import SYSTEM
from communitas.community import checks, claims, exchange, neighbours
from communitas.community.models import AidRole
from communitas.community.participation import participation
from communitas.community.schemas import ClaimReportIn, ClusterTriage, PostCreate
from communitas.events import Event
from communitas.tasks import service as tasks
from tests.alerts.helpers import ISSUER
from tests.community.helpers import CLOCK, SECRETS, START, active_pair, build_world, enrol
from tests.factories import COMMUNITY_A1, DISTRICT


def test_no_private_data_anywhere_in_a_whole_flow(db: Session) -> None:
    who = build_world(db)
    enrol(db, who["old1"], "OLD-1", AidRole.VULNERABLE, shared_note="lives alone, 6th floor")
    enrol(db, who["helper1"], "H-1", AidRole.HELPER)
    suggestions = neighbours.suggest(db, principal=who["juwei"], area_code=COMMUNITY_A1)
    active_pair(db, who["juwei"], who["helper1"], "OLD-1", "H-1")
    checks.start_checks(db, area_code=DISTRICT, source_kind="activation", source_id="1")
    for who_, direction in ((who["helper1"], "offer"), (who["old1"], "need")):
        exchange.create_post(db, principal=who_, clock=CLOCK, data=PostCreate.model_validate(
            {"direction": direction, "kind": "medicine_run", "description": "pharmacy run"}))
    report = claims.report_claim(db, principal=who["old1"], clock=CLOCK,
                                 data=ClaimReportIn(text="听说药店都关门了"))
    cluster = claims.triage(db, principal=who["juwei"], cluster_id=report.cluster_id,
                            issuer=ISSUER, clock=CLOCK, data=ClusterTriage(
                                verdict="rebut", verdict_zh="药店照常营业",
                                verdict_en="Pharmacies are open"))
    assert cluster.notice_id is not None
    notices.approve_notice(db, principal=who["juwei2"], notice_id=cluster.notice_id)
    notices.send_notice(db, principal=who["juwei"], notice_id=cluster.notice_id, clock=CLOCK)
    deliver_in_app(db, now=START, limit=100)
    outputs = [
        *(s.model_dump_json() for s in suggestions),
        *(p.model_dump_json() for p in neighbours.list_pairs(db, principal=who["juwei"],
                                                             within=COMMUNITY_A1)),
        tasks.list_tasks(db, principal=SYSTEM, source_kind="activation").model_dump_json(),
        *(m.model_dump_json() for m in exchange.my_matches(db, principal=who["old1"])),
        *(p.model_dump_json() for p in exchange.list_posts(db, principal=who["juwei"],
                                                           within=COMMUNITY_A1)),
        *(c.model_dump_json() for c in claims.list_clusters(db, principal=who["juwei"],
                                                            within=COMMUNITY_A1)),
        feed.resident_feed(db, principal=who["old1"]).model_dump_json(),
        feed.area_notices(db, code=COMMUNITY_A1).model_dump_json(),
        participation(db, principal=who["juwei"], area_code=COMMUNITY_A1).model_dump_json(),
        *db.execute(select(Event.payload)).scalars(),
        *db.execute(select(Notice.body_zh + Notice.body_en)).scalars(),
    ]
    assert "lives alone, 6th floor" in "".join(outputs)  # what the resident chose to share
    leaks = [(secret, text[:80]) for text in outputs for secret in SECRETS if secret in text]
    assert leaks == []
