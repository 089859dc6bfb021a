"""The pure measures: on time against late, response times, and the inaction rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from communitas.supervision.measures import inaction, last_task_progress, task_record
from communitas.tasks.lifecycle import TaskStatus
from communitas.tasks.records import TaskTimes

T0 = datetime(2026, 7, 1, 0, 0, tzinfo=UTC)
H = timedelta(hours=1)


def _task(n: int, status: TaskStatus, *, due: timedelta | None = None,
          accepted: timedelta | None = None, started: timedelta | None = None,
          done: timedelta | None = None) -> TaskTimes:
    return TaskTimes(task_id=n, person_id=1, status=status, due_at=T0 + due if due else None,
                     assigned_at=T0, accepted_at=T0 + accepted if accepted else None,
                     started_at=T0 + started if started else None,
                     done_at=T0 + done if done else None, closed_at=None)


def test_on_time_late_overdue_and_response_times() -> None:
    tasks = [
        _task(1, TaskStatus.DONE, due=4 * H, accepted=timedelta(minutes=10), done=3 * H),
        _task(2, TaskStatus.VERIFIED, due=2 * H, accepted=timedelta(minutes=30), done=5 * H),
        _task(3, TaskStatus.IN_PROGRESS, due=1 * H, started=timedelta(minutes=50)),
        _task(4, TaskStatus.ASSIGNED, due=48 * H),  # not due yet, not taken up
        _task(5, TaskStatus.DONE, done=2 * H),  # no due time: on time
        _task(6, TaskStatus.CANNOT_COMPLETE, due=1 * H),  # given up with a reason: not overdue
    ]
    record = task_record(tasks, now=T0 + 6 * H)
    assert (record.assigned, record.done, record.done_on_time, record.done_late) == (6, 3, 2, 1)
    assert record.overdue_open == 1  # task 3
    assert record.responded == 4  # 10, 30, 50 minutes and task 5 done after 120
    assert record.response_minutes_median == 40.0
    assert record.response_minutes_mean == 52.5
    assert last_task_progress(tasks) == T0 + 5 * H


def test_a_task_done_exactly_at_its_deadline_is_on_time() -> None:
    record = task_record([_task(1, TaskStatus.DONE, due=2 * H, done=2 * H)], now=T0 + 3 * H)
    assert (record.done_on_time, record.done_late) == (1, 0)
    empty = task_record([], now=T0)
    assert (empty.assigned, empty.response_minutes_median) == (0, None)


def test_inaction_counts_from_the_latest_of_emergency_assignment_and_action() -> None:
    emergency = T0 + 2 * H
    quiet = inaction(emergency_since=emergency, assigned_since=T0, last_action=T0 + H,
                     now=T0 + 5 * H, hours=4)
    assert (quiet.flagged, quiet.idle_since, quiet.idle_hours) == (False, emergency, 3.0)
    idle = inaction(emergency_since=emergency, assigned_since=T0, last_action=T0 + H,
                    now=T0 + 6 * H, hours=4)
    assert idle.flagged and idle.idle_hours == 4.0
    acted = inaction(emergency_since=emergency, assigned_since=T0, last_action=T0 + 5 * H,
                     now=T0 + 8 * H, hours=4)
    assert not acted.flagged and acted.idle_since == T0 + 5 * H
    late_start = inaction(emergency_since=emergency, assigned_since=T0 + 7 * H,
                          last_action=None, now=T0 + 8 * H, hours=4)
    assert not late_start.flagged and late_start.idle_hours == 1.0
