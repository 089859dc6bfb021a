"""``communitas tasks list | sweep``: the task list and door-to-door sweeps, as the platform."""

from __future__ import annotations

from typing import Annotated

import typer

from communitas.i18n import _
from communitas.tasks.lifecycle import TaskStatus

tasks_app = typer.Typer(help="Tasks and door-to-door sweeps.", no_args_is_help=True)


@tasks_app.command("list")
def list_tasks(
    within: Annotated[str | None, typer.Option(help="code of the subtree root")] = None,
    status: Annotated[TaskStatus | None, typer.Option(help="only tasks in this status")] = None,
    source_kind: Annotated[str | None, typer.Option(help="activation, request …")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="how many to show")] = 50,
) -> None:
    """List tasks, most urgent first."""
    from rich.table import Table

    from communitas.auth.permissions import SYSTEM
    from communitas.cli import _use_case, console, t
    from communitas.tasks import service as tasks

    with _use_case() as session:
        page = tasks.list_tasks(session, principal=SYSTEM, within=within, status=status,
                                source_kind=source_kind, page_size=limit)
    table = Table(title=t("{shown} of {total} tasks", shown=len(page.items), total=page.total))
    for heading in (_("ID"), _("Priority"), _("Status"), _("Area"), _("Due"), _("Assignee"),
                    _("Title")):
        table.add_column(t(heading))
    for task in page.items:
        table.add_row(str(task.id), str(task.priority), t(STATUS_LABELS[task.status]),
                      task.area_code, task.due_at.isoformat(timespec="minutes")
                      if task.due_at else "", task.assignee.code if task.assignee else "",
                      task.title)
    console.print(table)


@tasks_app.command("sweep")
def sweep(
    area: Annotated[str, typer.Argument(help="a community or grid code")],
    title: Annotated[str, typer.Option(help="what each sweeper checks")],
    priority: Annotated[int, typer.Option(min=1, max=4)] = 2,
    hold_minutes: Annotated[int | None, typer.Option(
        min=1, max=24 * 60, help="default: COMMUNITAS_SWEEP_HOLD_MINUTES")] = None,
) -> None:
    """Split a community or grid into one sweep task per building."""
    from communitas.auth.permissions import SYSTEM
    from communitas.cli import _use_case, console, t
    from communitas.config import get_settings
    from communitas.tasks import sweeps
    from communitas.tasks.schemas import SweepCreate

    data = SweepCreate(area_code=area, title=title, priority=priority,
                       hold_minutes=hold_minutes)
    with _use_case() as session:
        created = sweeps.create_sweep(session, principal=SYSTEM, data=data,
                                      default_hold_minutes=get_settings().sweep_hold_minutes)
        read = sweeps.read_sweep(session, principal=SYSTEM, sweep_id=created.id)
    console.print(t("Sweep {id} of {area}: {count} buildings; a claim holds for {minutes} "
                    "minutes", id=read.id, area=read.area_code, count=len(read.buildings),
                    minutes=read.hold_minutes))


STATUS_LABELS: dict[TaskStatus, str] = {
    TaskStatus.OPEN: _("Open"), TaskStatus.ASSIGNED: _("Assigned"),
    TaskStatus.ACCEPTED: _("Accepted"), TaskStatus.IN_PROGRESS: _("In progress"),
    TaskStatus.DONE: _("Done"), TaskStatus.VERIFIED: _("Verified"),
    TaskStatus.CANNOT_COMPLETE: _("Cannot complete"),
}
