"""Concurrent acceptances never fill more places than a call-out's head count."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from communitas.actors.kinds import Availability, PersonKind
from communitas.auth.permissions import SYSTEM, Principal
from communitas.auth.roles import Role
from communitas.db import make_engine, make_session_factory, migrate, unit_of_work
from communitas.tasks import callouts
from communitas.tasks import service as tasks
from communitas.tasks.models import CallOut, CallOutInvitation, InvitationStatus
from communitas.tasks.schemas import CallOutCreate, TaskCreate
from tests.actors.helpers import make_person
from tests.conftest import BACKENDS, fresh_database_url
from tests.factories import COMMUNITY_A1, build_city

VOLUNTEERS, PLACES = 8, 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_acceptances_fill_exactly_the_head_count(backend: str, tmp_path: Path
                                                           ) -> None:
    url, drop = fresh_database_url(backend, tmp_path)
    engine = make_engine(url)
    try:
        migrate(engine)
        factory = make_session_factory(engine)
        with unit_of_work(factory) as session:
            build_city(session)
            for n in range(VOLUNTEERS):
                make_person(session, f"V-{n}", f"{COMMUNITY_A1}-B00{1 + n % 2}",
                            PersonKind.VOLUNTEER, skills=["first_aid"],
                            availability=Availability.ANYTIME)
            [task] = tasks.create_tasks(session, principal=SYSTEM, items=[TaskCreate(
                title="Carry water", area_code=COMMUNITY_A1)])
            callout = callouts.create_callout(
                session, principal=SYSTEM, task_id=task.id, data=CallOutCreate(
                    head_count=PLACES, invite=VOLUNTEERS, skill="first_aid",
                    at=datetime(2026, 11, 28, 2, 0, tzinfo=UTC)))
            invitations = [(row.id, row.person_id) for row in session.execute(
                select(CallOutInvitation).where(CallOutInvitation.callout_id == callout.id)
            ).scalars()]
        start = threading.Barrier(len(invitations))

        def accept(invitation: tuple[int, int]) -> str:
            invitation_id, person_id = invitation
            volunteer = Principal(username=f"p{person_id}", role=Role.VOLUNTEER,
                                  user_id=person_id, person_id=person_id)
            start.wait()
            try:
                with unit_of_work(factory) as session:
                    row = callouts.respond(session, principal=volunteer,
                                           invitation_id=invitation_id, accept=True)
                    return row.status.value
            except OperationalError:  # SQLite: gave up waiting for the write lock
                return "busy"

        with ThreadPoolExecutor(len(invitations)) as pool:
            outcomes = list(pool.map(accept, invitations))
        assert len(invitations) == VOLUNTEERS
        assert outcomes.count(InvitationStatus.ASSIGNED.value) == PLACES
        assert outcomes.count("busy") == 0
        with factory() as session:
            assert session.get_one(CallOut, callout.id).filled == PLACES
    finally:
        engine.dispose()
        drop()  # type: ignore[operator]
