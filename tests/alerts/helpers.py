"""A notice world: the two-street city, residents in its buildings, staff who write notices,
and small local fakes (an HTTP receiver) the channels deliver to."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.actors.kinds import PersonKind
from communitas.alerts import notice_service as notices
from communitas.alerts.models import FeedItem, Notice, NoticeArea, OutboxMessage
from communitas.alerts.notice_service import Issuer
from communitas.alerts.schemas import NoticeCreate
from communitas.auth import service as auth
from communitas.auth.permissions import Principal
from communitas.auth.roles import Role
from communitas.clock import FixedClock
from communitas.events import Event
from tests.actors.helpers import BUILDING_A1, BUILDING_A1_2, BUILDING_B1, make_person
from tests.factories import COMMUNITY_A1, COMMUNITY_B1, STREET_A, build_city, make_user

ISSUER = Issuer(sender="communitas.local", unit_code="31011541600000")  # the defaults
START = datetime(2026, 7, 20, 0, 0, tzinfo=UTC)
PHONES = {"R1": "13900000001", "R2": "13900000002", "R3": "13900000003"}


def build_notice_world(db: Session) -> dict[str, Principal]:
    """The city; residents R1, R2 in community A1 (two buildings), R3 in B1, and a volunteer;
    committee members 'author' and 'approver' of A1 and a street commander of street A."""
    build_city(db)
    make_person(db, "R1", BUILDING_A1, phone=PHONES["R1"], id_number="31011519800101123X",
                health_conditions="asthma")
    make_person(db, "R2", BUILDING_A1_2, phone=PHONES["R2"])
    make_person(db, "R3", BUILDING_B1, phone=PHONES["R3"])
    make_person(db, "V1", BUILDING_A1, kind=PersonKind.VOLUNTEER)
    for name, role, area in (("author", Role.COMMUNITY_COMMITTEE, COMMUNITY_A1),
                             ("approver", Role.COMMUNITY_COMMITTEE, COMMUNITY_A1),
                             ("commander", Role.STREET_COMMANDER, STREET_A),
                             ("outsider", Role.COMMUNITY_COMMITTEE, COMMUNITY_B1)):
        make_user(db, name, role, area_code=area)
    return {name: auth.principal_for_user(db, auth.get_user(db, username=name))
            for name in ("author", "approver", "commander", "outsider")}


def notice_body(**changes: Any) -> NoticeCreate:
    data: dict[str, Any] = {
        "title_zh": "暴雨红色预警", "title_en": "Red rainstorm warning",
        "body_zh": "低洼地区居民请立即转移。", "body_en": "Residents of low-lying areas: move now.",
        "hazard": "flood", "category": "Met", "severity": "Extreme", "urgency": "Immediate",
        "area_codes": [COMMUNITY_A1]}
    data.update(changes)
    return NoticeCreate.model_validate(data)


def sent_notice(db: Session, staff: dict[str, Principal], clock: FixedClock,
                **changes: Any) -> Notice:
    """A notice composed by 'author', approved by 'approver' and sent."""
    notice = notices.compose_notice(db, principal=staff["author"], data=notice_body(**changes),
                                    issuer=ISSUER, clock=clock)
    notices.approve_notice(db, principal=staff["approver"], notice_id=notice.id, clock=clock)
    notices.send_notice(db, principal=staff["author"], notice_id=notice.id, clock=clock)
    db.flush()
    return notice


def counts(db: Session) -> dict[str, int]:
    return {model.__tablename__: db.execute(select(func.count()).select_from(model))
            .scalar_one() for model in (Notice, NoticeArea, OutboxMessage, FeedItem, Event)}


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeReceiver:
    """A local HTTP server (webhook receiver or SMS gateway) that records what it gets and
    answers with the next status in ``answers`` (200 once they run out)."""

    url: str
    received: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)


@contextmanager
def fake_receiver(answers: list[int] | None = None) -> Iterator[FakeReceiver]:
    state = FakeReceiver(url="", answers=list(answers or []))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            state.received.append(Received(self.path, dict(self.headers),
                                           self.rfile.read(length)))
            code = state.answers.pop(0) if state.answers else 200
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
