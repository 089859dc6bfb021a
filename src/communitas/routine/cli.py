"""``communitas routine run | status``: the normal-time routine, as the platform."""

from __future__ import annotations

from typing import Annotated

import typer

from communitas.i18n import _

routine_app = typer.Typer(help="Normal-time routine: top-ups, rotation, reminders, drills.",
                          no_args_is_help=True)

JOB_LABELS: dict[str, str] = {
    "topup": _("Reserve top-ups"), "rotation": _("Stock rotation"),
    "qualification": _("Qualification reminders"), "drill_reminder": _("Drill reminders"),
}


@routine_app.command("run")
def run(
    job: Annotated[list[str] | None, typer.Option(
        help="topup, rotation, qualification, drill_reminder (default: all)")] = None,
) -> None:
    """Run the daily jobs now, each in its own transaction; a second run issues nothing."""
    from rich.table import Table

    from communitas.auth.permissions import SYSTEM
    from communitas.cli import _use_case, console, err_console, t
    from communitas.config import get_settings
    from communitas.routine import jobs, service

    names = job or list(service.JOBS)
    unknown = sorted(set(names) - set(service.JOBS))
    if unknown:
        err_console.print(t("Unknown job {name}", name=", ".join(unknown)))
        raise typer.Exit(2)
    policy = jobs.RoutinePolicy.from_settings(get_settings())
    table = Table(title=t("Routine run"))
    table.add_column(t("Job"))
    table.add_column(t("Issued"), justify="right")
    for name in names:
        with _use_case() as session:
            issued = service.run_job(session, principal=SYSTEM, job=name, policy=policy)
        table.add_row(t(JOB_LABELS[name]), str(len(issued)))
    console.print(table)


@routine_app.command("status")
def status(area: Annotated[str, typer.Argument(help="code of an area")]) -> None:
    """What the routine issued, the coming drills, and communities nobody is sent down to."""
    from rich.table import Table

    from communitas.auth.permissions import SYSTEM
    from communitas.cli import _use_case, console, t
    from communitas.resources.lookups import CHINA_TZ
    from communitas.routine import service

    with _use_case() as session:
        read = service.routine_status(session, principal=SYSTEM, within=area)
    table = Table(title=t("Routine of {area} on {date}", area=read.area_code,
                          date=read.on.isoformat()))
    for heading in (_("Job"), _("This month"), _("Total"), _("Last issued")):
        table.add_column(t(heading))
    for job in read.jobs:
        table.add_row(t(JOB_LABELS[job.job]), str(job.issued_this_month), str(job.issued_total),
                      job.last_issued_at.isoformat(timespec="minutes")
                      if job.last_issued_at else "")
    console.print(table)
    for drill in read.upcoming_drills:
        console.print(t("Drill {id} in {area} on {date}: {title}", id=drill.id,
                        area=drill.area_code, title=drill.title,
                        date=drill.scheduled_at.astimezone(CHINA_TZ)
                        .isoformat(timespec="minutes")))
    console.print(t("{missing} of {total} communities have nobody sent down",
                    missing=len(read.communities_without_sent_down_cadres),
                    total=read.communities))
