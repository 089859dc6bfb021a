"""The set-based insert helpers leave what the ORM's one-row-at-a-time flush leaves: the same
rows under the same ids, and objects the session holds as loaded and unchanged."""

from __future__ import annotations

import warnings
from datetime import timedelta
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from communitas.alerts import notice_service as notices
from communitas.alerts.models import Notice
from communitas.auth.permissions import SYSTEM
from communitas.db import insert_objects, insert_rows
from communitas.tasks import service as tasks
from communitas.tasks.models import CallOut
from communitas.tasks.schemas import TaskCreate
from tests.alerts.helpers import ISSUER, START, build_notice_world, notice_body
from tests.factories import COMMUNITY_A1, COMMUNITY_A2, STREET_A
from tests.sequences import each_way


def _new_notices(tag: str = "") -> list[Notice]:
    """Drafts as compose makes them, with a column left unset and one set to None
    (``source``: a flush gives both its default)."""
    made = []
    for n, changes in enumerate(({}, {"area_codes": [STREET_A, COMMUNITY_A2]},
                                 {"scope": "Restricted", "channels": ["in_app", "sms"]},
                                 {"expires_at": (START + timedelta(days=1)).isoformat()})):
        notice = notices.composed_notice(SYSTEM, notice_body(**changes), ISSUER,
                                         START + timedelta(seconds=n))
        notice.identifier = f"{ISSUER.unit_code}{tag}-{n}"
        made.append(notice)
    del made[0].__dict__["source"]
    made[1].source = None  # type: ignore[assignment]
    return made


def _rows(db: Session) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in db.execute(
        select(Notice.__table__).order_by(Notice.__table__.c.id))]


def test_insert_objects_leaves_what_a_flush_leaves(db: Session) -> None:
    build_notice_world(db)

    def state(session: Session, _since: int) -> dict[str, Any]:
        return {"rows": _rows(session)}

    def flushed() -> list[tuple[int, dict[str, Any]]]:
        made = _new_notices()
        db.add_all(made)
        db.flush()
        return [(n.id, _loaded(n)) for n in made]

    def inserted() -> list[tuple[int, dict[str, Any]]]:
        made = _new_notices()
        insert_objects(db, made)
        return [(n.id, _loaded(n)) for n in made]

    (one, one_state), (batch, batch_state) = each_way(db, (flushed, inserted), state)
    assert batch == one and batch_state == one_state
    assert len(one_state["rows"]) == 4
    assert one_state["rows"][0]["source"] == one_state["rows"][1]["source"] == "composed"


def test_insert_objects_refuses_what_it_would_not_insert_as_a_flush_does(db: Session) -> None:
    build_notice_world(db)
    with_id = _new_notices("i")
    with_id[2].id = 999_999
    try:
        insert_objects(db, with_id)
    except ValueError as refusal:
        assert "id" in str(refusal)
    else:
        raise AssertionError("an object with its id set was inserted under another id")
    assert _rows(db) == []


def _loaded(notice: Notice) -> dict[str, Any]:
    """Every column's value, asserting the object is persistent, unchanged and loaded."""
    state = inspect(notice)
    assert state.persistent and not state.modified and not state.expired_attributes
    return {c: getattr(notice, c) for c in (col.key for col in Notice.__table__.columns)}


def test_a_rollback_takes_the_inserted_objects_back_out_as_after_a_flush(db: Session
                                                                         ) -> None:
    build_notice_world(db)
    savepoint = db.begin_nested()
    kept = _new_notices()  # still referenced when rows go in again under their ids
    insert_objects(db, kept)
    savepoint.rollback()
    assert all(inspect(n).transient for n in kept)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "identity map already had an identity"
        again = _new_notices()
        insert_objects(db, again)
        db.add_all(_new_notices("f"))
        db.flush()
    assert [db.get_one(Notice, n.id) for n in again] == again


def test_insert_rows_gives_the_ids_in_the_rows_order(db: Session) -> None:
    build_notice_world(db)
    task = tasks.create_tasks(db, principal=SYSTEM, items=[
        TaskCreate(title="Sandbags", area_code=COMMUNITY_A1)])[0]
    rows = [{"task_id": task.id, "head_count": n, "filled": 0, "skill": None,
             "qualification": None, "max_km": None, "at": START, "created_by": "t",
             "created_at": START} for n in range(1, 1202)]  # more than one INSERT's worth
    ids = insert_rows(db, CallOut, rows)
    found = {i: n for i, n in db.execute(select(CallOut.id, CallOut.head_count))}
    assert [found[i] for i in ids] == [row["head_count"] for row in rows]
