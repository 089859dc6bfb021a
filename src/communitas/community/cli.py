"""``communitas mutual-aid start-checks`` and ``communitas metrics participation``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from communitas.i18n import _

mutual_aid_app = typer.Typer(help="Mutual aid between neighbours.", no_args_is_help=True)
metrics_app = typer.Typer(help="Participation metrics.", no_args_is_help=True)


@mutual_aid_app.command("start-checks")
def start_checks(
    area: Annotated[str, typer.Argument(help="a community, grid or building code")],
    source_id: Annotated[str | None, typer.Option(
        help="origin of this run; default: the area and today's date")] = None,
) -> None:
    """Issue check-on-your-neighbour tasks to the active pairs of an area (once per origin)."""
    from communitas.cli import _use_case, console, t
    from communitas.community import checks

    with _use_case() as session:
        result = checks.start_checks(session, area_code=area, source_kind="manual",
                                     source_id=source_id or checks.manual_source_id(area))
    console.print(t("Neighbour checks for {area} ({source}): {created} tasks created, "
                    "{already} pairs already had one", area=area, source=result.source_id,
                    created=result.created, already=result.already))


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


@metrics_app.command("participation")
def participation(
    area: Annotated[str, typer.Argument(help="the area code")],
    since: Annotated[datetime | None, typer.Option(help="start (UTC unless an offset)")] = None,
    until: Annotated[datetime | None, typer.Option(help="end, exclusive")] = None,
) -> None:
    """Who did the work in an area: tasks by actor kind, volunteers, call-outs, requests."""
    from rich.table import Table

    from communitas.auth.permissions import SYSTEM
    from communitas.cli import _use_case, console, t
    from communitas.community.participation import participation as metrics

    with _use_case() as session:
        read = metrics(session, principal=SYSTEM, area_code=area, since=_utc(since),
                       until=_utc(until))
    table = Table(title=t("Tasks done in {area}: {count}", area=area, count=read.tasks_done))
    for heading in (_("Actor kind"), _("Tasks done"), _("Share")):
        table.add_column(t(heading))
    for row in read.by_actor_kind:
        table.add_row(f"{row.label_zh} / {row.label_en}", str(row.tasks_done),
                      _percent(row.share))
    console.print(table)
    summary = Table(show_header=False)
    for label, value in (
        (_("Volunteers per 1,000 residents"), "—" if read.volunteers_per_1000 is None
         else f"{read.volunteers_per_1000:.2f} ({read.volunteers}/{read.residents})"),
        (_("Call-out acceptance rate"), _percent(read.callout_acceptance_rate)),
        (_("Requests answered by non-government holders"),
         f"{_percent(read.non_government_share)} "
         f"({read.requests_answered_by_non_government}/{read.requests_answered})"),
        (_("Active mutual-aid pairs"), str(read.aid_pairs_active)),
        (_("Offers and needs matched"), str(read.aid_matches_accepted)),
    ):
        summary.add_row(t(label), value)
    console.print(summary)
    if read.overloaded:
        console.print(t("One overloaded actor: {kind} did {share} of the tasks (above {limit})",
                        kind=read.largest_actor_kind, share=_percent(read.largest_share),
                        limit=_percent(read.overload_threshold)))
