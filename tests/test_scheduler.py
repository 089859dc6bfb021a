"""The timers run on their own: a stale unverified request expires, an urgent one that
nobody commits escalates, and a failing job does not stop the others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from communitas.clock import FixedClock
from communitas.config import Settings
from communitas.dispatch.models import ResourceRequest
from communitas.scheduler import Job, Scheduler, default_jobs
from tests.dispatch.helpers import Staff, body, build_dispatch_world, submit
from tests.factories import COMMUNITY_A1
from tests.resources.helpers import COMMITTEE_A1, stock


def _request(db: Session, reference: str) -> ResourceRequest:
    db.expire_all()
    return db.execute(select(ResourceRequest).where(
        ResourceRequest.reference == reference)).scalar_one()


def test_timers_expire_and_escalate_on_their_own(
    db: Session, client: TestClient, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    build_dispatch_world(db)
    stock(db, "water.bottled", COMMITTEE_A1, COMMUNITY_A1, 100)  # so it is routed locally
    db.commit()
    stale = submit(client, body(quantity=3))["reference"]
    # another building, so it is not merged with the first; water is in stock locally
    urgent = submit(client, body(quantity=4, priority=1, area=f"{COMMUNITY_A1}-B002"))[
        "reference"]
    verified = client.post(f"/api/requests/{urgent}/verify", headers=Staff(client).committee)
    assert verified.status_code == 200, verified.text
    queue_before = _request(db, urgent).queue_area_id
    clock = FixedClock(datetime.now(UTC) + timedelta(hours=2))
    timers = Scheduler(session_factory, default_jobs(settings), clock=clock)
    assert timers.run_due()["requests.escalate_overdue"] == 1
    assert _request(db, urgent).queue_area_id != queue_before
    assert _request(db, stale).status.value == "submitted"
    assert timers.run_due() == {}  # nothing is due again until its interval has passed
    clock.advance(timedelta(hours=28))
    assert timers.run_due()["requests.expire_unverified"] == 1
    assert _request(db, stale).status.value == "expired"


def test_a_failing_job_is_logged_and_the_rest_still_run(
    session_factory: sessionmaker[Session],
) -> None:
    ran: list[str] = []

    def broken(_session: Session, _clock: object) -> list[str]:
        raise RuntimeError("boom")

    def fine(_session: Session, _clock: object) -> list[str]:
        ran.append("fine")
        return ["x"]

    timers = Scheduler(session_factory, [Job("broken", timedelta(minutes=1), broken),
                                         Job("fine", timedelta(minutes=1), fine)])
    assert timers.run_due() == {"fine": 1}
    assert ran == ["fine"]
