"""The tasks board, a task's page, sweeps and call-outs, as the people who use them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.tasks.models import CallOut, Sweep, Task, TaskNote
from tests.factories import COMMUNITY_A1, COMMUNITY_B1
from tests.web.helpers import Visitor, field_error, text_of
from tests.web.work_helpers import add_workers, cheap_hashing, new_task


@pytest.fixture(autouse=True)
def _quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap_hashing(monkeypatch)


@pytest.fixture
def workers(world: Session) -> Session:
    add_workers(world)
    return world


def _status(db: Session, task_id: int) -> str:
    db.expire_all()
    return db.get_one(Task, task_id).status.value


def test_the_board_shows_tasks_in_scope_by_status(
        workers: Session, visitor: Callable[..., Visitor]) -> None:
    mine = new_task(workers, "Check the pumps")
    new_task(workers, "Count sandbags in B1", area=COMMUNITY_B1)
    committee = visitor(language="en")
    committee.sign_in("juwei")
    board = committee.get("/tasks")
    assert board.status_code == 200
    assert "Check the pumps" in text_of(board) and "sandbags" not in text_of(board)
    assert f'data-task="{mine}"' in board.text
    only_done = committee.get("/tasks?status=done")
    assert "Check the pumps" not in text_of(only_done)
    other = visitor(language="en")
    other.sign_in("juweiB")
    assert "sandbags" in text_of(other.get("/tasks"))
    assert "Check the pumps" not in text_of(other.get("/tasks"))
    assert other.get(f"/tasks/{mine}").status_code == 403
    commander = visitor()
    commander.sign_in("quzhang")
    layer = commander.get("/map/status.json?layers=tasks").json()["layers"]["tasks"]
    assert layer == {COMMUNITY_A1: 1.0, COMMUNITY_B1: 1.0}


def test_assign_then_the_assignee_works_the_task(
        workers: Session, visitor: Callable[..., Visitor]) -> None:
    task_id = new_task(workers)
    committee = visitor(language="en")
    committee.sign_in("juwei")
    refused = committee.post(f"/tasks/{task_id}/transition",
                             {"action": "assign", "assignee": "NOBODY"})
    assert refused.status_code == 404
    assert field_error(refused, "assignee")
    assert _status(workers, task_id) == "open"
    empty = committee.post(f"/tasks/{task_id}/transition", {"action": "assign", "assignee": ""})
    assert empty.status_code == 422 and field_error(empty, "assignee")
    done = committee.post(f"/tasks/{task_id}/transition",
                          {"action": "assign", "assignee": "GW-1"})
    assert done.status_code == 303 and _status(workers, task_id) == "assigned"

    worker = visitor(language="en")
    worker.sign_in("gw1")
    assert "Check the pumps" in text_of(worker.get("/tasks/mine"))
    assert worker.post(f"/tasks/{task_id}/transition", {"action": "accept"}).status_code == 303
    assert worker.post(f"/tasks/{task_id}/checklist/1", {"done": "1"}).status_code == 303
    page = worker.get(f"/tasks/{task_id}")
    assert 'data-position="1" data-done="yes"' in page.text
    blank = worker.post(f"/tasks/{task_id}/notes", {"note": ""})
    assert blank.status_code == 422 and field_error(blank, "note") == "This field is required"
    assert workers.execute(select(func.count()).select_from(TaskNote)).scalar_one() == 0
    worker.post(f"/tasks/{task_id}/notes", {"note": "Pump 2 is flooded"})
    assert "Pump 2 is flooded" in text_of(worker.get(f"/tasks/{task_id}"))
    no_reason = worker.post(f"/tasks/{task_id}/transition",
                            {"action": "cannot_complete", "reason": ""})
    assert no_reason.status_code == 422
    assert field_error(no_reason, "reason") == "Say why the task cannot be completed"
    assert _status(workers, task_id) == "accepted"
    worker.post(f"/tasks/{task_id}/transition",
                {"action": "cannot_complete", "reason": "The basement is flooded"})
    assert _status(workers, task_id) == "cannot_complete"
    assert "The basement is flooded" in text_of(committee.get(f"/tasks/{task_id}"))


def test_a_sweep_is_claimed_submitted_and_verified_by_a_second_person(
        workers: Session, visitor: Callable[..., Visitor]) -> None:
    committee = visitor(language="en")
    committee.sign_in("juwei")
    bad = committee.post("/sweeps", {"area": "", "title": "", "hold_minutes": "x"})
    assert bad.status_code == 422
    assert field_error(bad, "area") and field_error(bad, "title")
    assert field_error(bad, "hold_minutes") == "Enter a whole number"
    assert workers.execute(select(func.count()).select_from(Sweep)).scalar_one() == 0
    made = committee.post("/sweeps", {"area": COMMUNITY_A1, "title": "Door to door",
                                      "hold_minutes": "30", "checklist": "Knock\nAsk"})
    assert made.status_code == 303
    sweep_path = made.headers["location"]
    grid = committee.get(sweep_path)
    buildings = workers.execute(select(Task.id).where(Task.sweep_id.is_not(None))
                                .order_by(Task.id)).scalars().all()
    assert len(buildings) == 2 and f"{COMMUNITY_A1}-B001" in text_of(grid)

    worker = visitor(language="en")
    worker.sign_in("gw1")
    first = buildings[0]
    assert worker.post(f"{sweep_path}/buildings/{first}/claim").status_code == 303
    held = worker.get(sweep_path)
    assert "GW-1" in text_of(held) and "Swept" in text_of(held)
    volunteer = visitor(language="en")
    volunteer.sign_in("v1")
    taken = volunteer.post(f"{sweep_path}/buildings/{first}/claim")
    assert taken.status_code == 409 and field_error(taken, f"building-{first}")
    second = buildings[1]
    worker.post(f"{sweep_path}/buildings/{second}/claim")
    assert worker.post(f"{sweep_path}/buildings/{second}/release").status_code == 303
    assert _status(workers, second) == "open"
    worker.post(f"{sweep_path}/buildings/{first}/submit")
    own = worker.post(f"{sweep_path}/buildings/{first}/verify", {"accept": "1"})
    assert own.status_code == 403 and field_error(own, f"building-{first}")
    assert _status(workers, first) == "done"
    assert volunteer.post(f"{sweep_path}/buildings/{first}/verify",
                          {"accept": "1"}).status_code == 303
    assert _status(workers, first) == "verified"


def test_a_call_out_invites_and_the_volunteer_answers(
        workers: Session, visitor: Callable[..., Visitor]) -> None:
    task_id = new_task(workers, "First aid post")
    committee = visitor(language="en")
    committee.sign_in("juwei")
    bad = committee.post(f"/tasks/{task_id}/callouts", {"head_count": "3", "invite": "1"})
    assert bad.status_code == 422
    assert field_error(bad, "invite") == "Invite at least as many volunteers as places"
    assert workers.execute(select(func.count()).select_from(CallOut)).scalar_one() == 0
    sent = committee.post(f"/tasks/{task_id}/callouts",
                          {"head_count": "1", "invite": "2", "skill": "first_aid"})
    assert sent.status_code == 303
    assert "V-1" in text_of(committee.get(f"/tasks/{task_id}"))

    volunteer = visitor(language="en")
    assert volunteer.sign_in("v1").headers["location"] == "/tasks/mine"  # their home
    mine = volunteer.get("/tasks/mine")
    assert "Invited, no answer yet" in text_of(mine)
    invitation = mine.text.split('data-invitation="')[1].split('"')[0]
    assert volunteer.post(f"/invitations/{invitation}/respond",
                          {"accept": "1"}).status_code == 303
    placed = volunteer.get("/tasks/mine")
    assert "Accepted, placed" in text_of(placed) and "First aid post" in text_of(placed)
    wrong = volunteer.post(f"/invitations/{invitation}/hours", {"hours": "30"})
    assert wrong.status_code == 422 and field_error(wrong, f"hours-{invitation}")
    volunteer.post(f"/invitations/{invitation}/hours", {"hours": "2.5"})
    assert "2.5 hours" in text_of(committee.get(f"/tasks/{task_id}"))


def test_a_new_task_from_the_board(workers: Session, visitor: Callable[..., Visitor]) -> None:
    committee = visitor(language="en")
    committee.sign_in("juwei")
    bad = committee.post("/tasks", {"title": "", "area": "", "priority": "9",
                                    "due_at": "soon"})
    assert bad.status_code == 422
    assert field_error(bad, "title") == "This field is required"
    assert field_error(bad, "priority") and field_error(bad, "due_at")
    outside = committee.post("/tasks", {"title": "Sandbags", "area": COMMUNITY_B1,
                                        "priority": "2"})
    assert outside.status_code == 403 and field_error(outside, "area")
    assert workers.execute(select(func.count()).select_from(Task)).scalar_one() == 0
    made = committee.post("/tasks", {"title": "Sandbags", "area": COMMUNITY_A1,
                                     "priority": "2", "due_at": "2030-01-01T18:00",
                                     "checklist": "Fill\nStack"})
    assert made.status_code == 303
    page = text_of(committee.get(made.headers["location"]))
    assert "Sandbags" in page and "2030-01-01 18:00" in page and "Stack" in page
