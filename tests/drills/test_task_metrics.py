"""Task metrics on a small case worked out by hand: who completed what, and how fast."""

from __future__ import annotations

from communitas.drills.metrics import (
    alert_latency,
    compute,
    task_metrics,
    task_shares,
    time_to_complete,
)
from communitas.drills.records import AlertRecord, DrillRecord, TaskRecord
from communitas.drills.report import render_html

# Three grid-worker tasks (two done), a volunteer's by call-out, one nobody took, one stood down.
TASKS = [
    TaskRecord(0, "activation", 2, "grid_worker", "assigned", accepted=10, done=40, verified=45),
    TaskRecord(0, "activation", 2, "grid_worker", "assigned", accepted=15, done=100),
    TaskRecord(0, "activation", 3, "grid_worker", "assigned", accepted=20),
    TaskRecord(30, "activation", 3, "volunteer", "callout", accepted=50, done=90, verified=95),
    TaskRecord(30, "activation", 3, None, "assigned"),
    TaskRecord(30, "activation", 3, "neighbourhood_committee", "assigned", closed=60),
]


def test_shares_count_completed_tasks_by_who_completed_them() -> None:
    assert task_shares(TASKS) == {"grid_worker": round(2 / 3, 6), "volunteer": round(1 / 3, 6)}
    assert task_shares([]) == {}


def test_time_to_completion_and_outcomes() -> None:
    summary = time_to_complete(TASKS)  # 40, 100 and 60 minutes
    assert (summary.count, summary.mean, summary.max, summary.missing) == (3, 66.6667, 100, 3)
    metrics = task_metrics(TASKS)
    assert (metrics["created"], metrics["done"], metrics["verified"]) == (6, 3, 2)
    assert (metrics["closed_undone"], metrics["never_taken"], metrics["via_callout"]) == (1, 1, 1)
    assert metrics["time_to_accept"]["count"] == 4
    assert metrics["by_actor_kind"]["grid_worker"]["done"] == 2
    assert metrics["by_actor_kind"]["nobody"] == {
        "tasks": 1, "done": 0, "time_to_complete": metrics["by_actor_kind"]["nobody"][
            "time_to_complete"]}


def test_the_report_shows_task_work() -> None:
    metrics = compute(DrillRecord(horizon=120, step=30, tasks=TASKS))
    html = render_html(metrics, title="Flood", seed=1)
    assert "Tasks by actor kind" in html and "grid_worker" in html and "66.7%" in html
    zh = render_html(metrics, title="Flood", seed=1, locale="zh_CN")
    assert "各类主体的任务" in zh


def test_alert_latency_runs_from_the_activation_request_to_its_first_alert() -> None:
    alerts = [AlertRecord("A", 0, 0, 2), AlertRecord("B", 30, 45, 1), AlertRecord("C", 60, None)]
    summary = alert_latency(alerts)
    assert (summary.count, summary.max, summary.missing) == (2, 15, 1)
    assert compute(DrillRecord(horizon=120, step=30, alerts=alerts))["alerts_sent"] == 3
