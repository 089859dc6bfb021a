"""``communitas supervision street CODE``: the street supervisor's view, as the platform."""

from __future__ import annotations

from typing import Annotated

import typer

from communitas.i18n import _

supervision_app = typer.Typer(help="Sent-down cadres and party members: results by street.",
                              no_args_is_help=True)


@supervision_app.command("street")
def street(code: Annotated[str, typer.Argument(help="a street code")]) -> None:
    """Each community's mode, its sent-down people, their results and inaction flags."""
    from rich.table import Table

    from communitas.auth.permissions import SYSTEM
    from communitas.cli import _use_case, console, t
    from communitas.config import get_settings
    from communitas.supervision import record

    with _use_case() as session:
        view = record.street_supervision(
            session, principal=SYSTEM, code=code,
            inaction_hours=get_settings().supervision_inaction_hours)
    table = Table(title=t("Supervision of street {code}", code=view.street_code))
    for heading in (_("Community"), _("Mode"), _("Person"), _("Role"), _("Tasks done"),
                    _("On time"), _("Median response (min)"), _("Requests closed"),
                    _("Rating"), _("Inaction")):
        table.add_column(t(heading))
    for community in view.communities:
        if not community.records:
            table.add_row(community.community_code, community.mode, t("nobody sent down"),
                          *[""] * 7)
        for r in community.records:
            flag = ""
            if r.inaction is not None and r.inaction.flagged:
                flag = t("idle {hours} h", hours=r.inaction.idle_hours)
            table.add_row(
                community.community_code, community.mode, r.assignment.person_code,
                r.assignment.role.value, f"{r.tasks_done}/{r.tasks_assigned}",
                str(r.tasks_done_on_time),
                "" if r.response_minutes_median is None else str(r.response_minutes_median),
                str(r.requests_closed_in_community),
                "" if r.rating_mean is None else f"{r.rating_mean} ({r.ratings})", flag)
    console.print(table)
    console.print(t("{count} flagged for inaction (no action for {hours} h in an emergency)",
                    count=view.flagged, hours=view.inaction_hours))
