"""``communitas activations list | show`` and ``communitas report activation ID``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from communitas.i18n import _
from communitas.modes.activation_models import ActivationStatus

activations_app = typer.Typer(help="Plan activations.", no_args_is_help=True)
report_app = typer.Typer(help="Reports.", no_args_is_help=True)


@activations_app.command("list")
def list_activations(
    within: Annotated[str | None, typer.Option(help="code of the subtree root")] = None,
    status: Annotated[ActivationStatus | None, typer.Option(help="only this status")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="how many to show")] = 50,
) -> None:
    """List activations, newest first, with their switch-to-ready latency."""
    from rich.table import Table

    from communitas.auth.permissions import SYSTEM
    from communitas.cli import _use_case, console, t
    from communitas.modes import activation_reads

    with _use_case() as session:
        page = activation_reads.list_activations(session, principal=SYSTEM, within=within,
                                                   status=status, page_size=limit)
    table = Table(title=t("{shown} of {total} activations", shown=len(page.items),
                          total=page.total))
    for heading in (_("ID"), _("Area"), _("Hazard"), _("Level"), _("Status"),
                    _("Latency (ms)"), _("Tasks"), _("Requests"), _("Alerts")):
        table.add_column(t(heading))
    for row in page.items:
        table.add_row(str(row.id), row.area_code, row.hazard, row.level.value,
                      row.status.value, "" if row.latency_ms is None else str(row.latency_ms),
                      str(row.counts.get("tasks", 0)), str(row.counts.get("requests", 0)),
                      str(row.counts.get("alerts", 0)))
    console.print(table)


@activations_app.command("show")
def show_activation(activation_id: int) -> None:
    """One activation as JSON: roles, and the tasks, requests and alerts it issued."""
    from communitas.auth.permissions import SYSTEM
    from communitas.cli import _use_case, console
    from communitas.modes import activation_reads

    with _use_case() as session:
        detail = activation_reads.get_activation(session, principal=SYSTEM,
                                                   activation_id=activation_id)
    console.print_json(detail.model_dump_json())


@report_app.command("activation")
def report_activation(
    activation_id: int,
    out: Annotated[Path, typer.Option(help="directory for the HTML and JSON files")]
    = Path("."),
    lang: Annotated[str, typer.Option(help="en or zh_CN")] = "en",
) -> None:
    """Write the after-action report of an activation as HTML (with charts) and JSON."""
    from communitas.auth.permissions import SYSTEM
    from communitas.cli import _use_case, console, t
    from communitas.modes.activation_report import build_report
    from communitas.modes.activation_report_html import render_html

    with _use_case() as session:
        report = build_report(session, principal=SYSTEM, activation_id=activation_id)
    out.mkdir(parents=True, exist_ok=True)
    html_path = out / f"activation-{activation_id}.html"
    json_path = out / f"activation-{activation_id}.json"
    html_path.write_text(render_html(report, lang=lang), encoding="utf-8")
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    console.print(t("Report written: {html} and {json}", html=str(html_path),
                    json=str(json_path)))
