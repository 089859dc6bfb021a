"""``communitas assess`` and ``communitas drill run | validate``.

Registered in communitas/cli.py; the shared CLI helpers are imported when a command runs,
so this module and cli.py do not import each other at load time.
"""

from __future__ import annotations

import json
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from communitas.auth.permissions import SYSTEM
from communitas.config import get_settings
from communitas.errors import CommunitasError
from communitas.i18n import translate

__all__ = ["assess", "drill_app"]

drill_app = typer.Typer(help="Drills: scenarios played on a copy of the city.",
                        no_args_is_help=True)
console = Console()


def t(msgid: str, **params: object) -> str:
    return translate(msgid, get_settings().locale, **params)


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def assess(
    within: Annotated[str, typer.Argument(help="area code: every community under it")],
    out: Annotated[Path, typer.Option(help="GeoJSON map layer to write")] = Path(
        "assessment.geojson"),
    on: Annotated[str | None, typer.Option(help="count stock usable on this date")] = None,
    limit: Annotated[int, typer.Option(min=1, help="rows to print")] = 20,
) -> None:
    """Rank the communities under an area by resilience, least resilient first."""
    from communitas.cli import _use_case
    from communitas.drills.assessment import assess_communities, assessment_geojson

    with _use_case() as session:
        ranked = assess_communities(session, principal=SYSTEM, within=within,
                                    on=date.fromisoformat(on) if on else None)
    table = Table(title=t("Resilience assessment under {code}", code=within))
    table.add_column(t("Rank"), justify="right")
    table.add_column(t("Community"), no_wrap=True)
    table.add_column("", max_width=18, no_wrap=True, overflow="ellipsis")
    for header in (t("Risk"), t("Endowment"), t("Resilience"), t("Reserve shortfall"),
                   t("Uncovered needs"), t("Committee share"), t("Unstaffed roles")):
        table.add_column(header, justify="right")
    zh = get_settings().locale.startswith("zh")
    for i, a in enumerate(ranked[:limit], 1):
        table.add_row(str(i), a.code, a.name_zh if zh else a.name_en, _fmt(a.risk),
                      _fmt(a.endowment), _fmt(a.resilience), _fmt(a.reserve_shortfall),
                      str(len(a.uncovered_needs)), _fmt(a.committee_share),
                      str(len(a.unstaffed_roles)))
    console.print(table)
    out.write_text(json.dumps(assessment_geojson(ranked), ensure_ascii=False), encoding="utf-8")
    console.print(t("Wrote {count} communities to {file}", count=len(ranked), file=str(out)))


@drill_app.command("validate")
def drill_validate(path: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Check a scenario file against the schema; errors name the line and field."""
    from communitas.cli import _fail
    from communitas.drills.scenario import load_scenario

    try:
        scenario = load_scenario(path)
    except CommunitasError as exc:
        raise _fail(exc) from exc
    console.print(t("{file}: valid scenario, {hours} hours", file=str(path),
                    hours=scenario.minutes // 60))


@drill_app.command("run")
def drill_run(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="scenario YAML")],
    seed: Annotated[int, typer.Option(help="random seed: the same seed, the same numbers")] = 1,
    out: Annotated[Path, typer.Option(file_okay=False, help="directory for the report")] = Path(
        "drill-report"),
    demo: Annotated[bool, typer.Option(help="play on a fresh demo city instead of a copy of "
                                            "the configured database")] = False,
    city_seed: Annotated[int, typer.Option(help="seed of the demo city (with --demo)")] = 42,
    hours: Annotated[float | None, typer.Option(min=0.1, help="stop after this many "
                                                "hours")] = None,
) -> None:
    """Play a scenario on a private copy of the city and write metrics.json and report.html."""
    from rich.progress import Progress

    from communitas.cli import _fail
    from communitas.drills import sandbox
    from communitas.drills.metrics import compute
    from communitas.drills.report import write_report
    from communitas.drills.scenario import load_scenario
    from communitas.drills.simulator import Drill

    try:
        scenario = load_scenario(path)
        factory = (sandbox.demo_city(city_seed, scenario.city_scale) if demo
                   else sandbox.copy_of_database(get_settings().database_url))
        drill = Drill(scenario, factory, seed=seed,
                      until_minutes=hours * 60 if hours else None)
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task(t("Playing {name}", name=scenario.name.en), total=drill.horizon)
            record = drill.run(progress=lambda minute: bar.update(task, completed=minute))
    except CommunitasError as exc:
        raise _fail(exc) from exc
    metrics = compute(record)
    locale = get_settings().locale
    title = scenario.name.zh if locale.startswith("zh") else scenario.name.en
    json_path, html_path = write_report(metrics, out, title=title, seed=seed, locale=locale)
    console.print(t("Drill finished: {requests} requests, resilience loss {loss} %·h; "
                    "wrote {json} and {html}", requests=len(record.requests),
                    loss=metrics["resilience_loss_pct_hours"], json=str(json_path),
                    html=str(html_path)))


@drill_app.command("compare")
def drill_compare(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="scenario YAML")],
    variant: Annotated[list[str] | None, typer.Option(
        help="variant to play (repeat): baseline, no_market, no_volunteers, "
             "flat_reserves, norm_reserves, self_activating, by_hand")] = None,
    seeds: Annotated[int, typer.Option(min=1, help="seeds 1..N for each variant")] = 3,
    out: Annotated[Path, typer.Option(file_okay=False)] = Path("drill-comparison"),
    demo: Annotated[bool, typer.Option(help="play on a fresh demo city")] = False,
    city_seed: Annotated[int, typer.Option(help="seed of the demo city (with --demo)")] = 42,
    hours: Annotated[float | None, typer.Option(min=0.1)] = None,
) -> None:
    """Play a scenario under variants over several seeds; write comparison.json and .html."""
    from rich.progress import Progress

    from communitas.cli import _fail
    from communitas.drills import sandbox
    from communitas.drills.report import render_comparison_html
    from communitas.drills.scenario import load_scenario
    from communitas.drills.variants import VARIANTS
    from communitas.drills.whatif import run_variants

    chosen = variant or ["baseline", "no_market"]
    unknown = sorted(set(chosen) - set(VARIANTS))
    if unknown:
        raise typer.BadParameter(", ".join(unknown), param_hint="--variant")
    try:
        scenario = load_scenario(path)
        if demo:
            engine = sandbox.demo_city(city_seed, scenario.city_scale).kw["bind"]
            copy = partial(sandbox.copy_of_engine, engine)
        else:
            copy = partial(sandbox.copy_of_database, get_settings().database_url)
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task(t("Playing {name}", name=scenario.name.en),
                                total=len(chosen) * seeds)
            result = run_variants(scenario, copy, variants=chosen,
                                  seeds=list(range(1, seeds + 1)),
                                  until_minutes=hours * 60 if hours else None,
                                  progress=lambda _v, _s: bar.advance(task))
    except CommunitasError as exc:
        raise _fail(exc) from exc
    out.mkdir(parents=True, exist_ok=True)
    (out / "comparison.json").write_text(json.dumps(result, indent=1, sort_keys=True),
                                         encoding="utf-8")
    locale = get_settings().locale
    title = scenario.name.zh if locale.startswith("zh") else scenario.name.en
    (out / "comparison.html").write_text(render_comparison_html(result, title=title,
                                                                locale=locale),
                                         encoding="utf-8")
    console.print(t("Compared {count} variants over {seeds} seeds; wrote {file}",
                    count=len(chosen), seeds=seeds, file=str(out)))


@drill_app.command("sweep")
def drill_sweep(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="scenario YAML")],
    seeds: Annotated[int, typer.Option(min=1, help="seeds 1..N for each variant")] = 8,
    variant: Annotated[list[str] | None, typer.Option(
        help="variant to play (repeat): baseline, no_market, no_volunteers, "
             "flat_reserves, norm_reserves, self_activating, by_hand")] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="address of a running Dask scheduler; default: a local cluster")] = None,
    workers: Annotated[int, typer.Option(min=1, help="local cluster worker processes")] = 2,
    out: Annotated[Path, typer.Option(file_okay=False)] = Path("drill-sweep"),
    demo: Annotated[bool, typer.Option(help="play on a fresh demo city")] = False,
    city_seed: Annotated[int, typer.Option(help="seed of the demo city (with --demo)")] = 42,
    hours: Annotated[float | None, typer.Option(min=0.1)] = None,
) -> None:
    """Play seeds × variants in parallel on Dask; write sweep.json and comparison.html."""
    from rich.progress import Progress

    from communitas.cli import _fail
    from communitas.drills import sandbox
    from communitas.drills.report import render_comparison_html
    from communitas.drills.scenario import load_scenario
    from communitas.drills.sweep import city_image, jobs_for, run_sweep, sweep_result
    from communitas.drills.variants import VARIANTS

    chosen = variant or ["baseline"]
    unknown = sorted(set(chosen) - set(VARIANTS))
    if unknown:
        raise typer.BadParameter(", ".join(unknown), param_hint="--variant")
    try:
        scenario = load_scenario(path)
        factory = (sandbox.demo_city(city_seed, scenario.city_scale) if demo
                   else sandbox.copy_of_database(get_settings().database_url))
        jobs = jobs_for(chosen, list(range(1, seeds + 1)), hours * 60 if hours else None)
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task(t("Playing {name}", name=scenario.name.en), total=len(jobs))
            metrics = run_sweep(city_image(factory), scenario, jobs, scheduler=scheduler,
                                workers=workers, progress=lambda _job: bar.advance(task))
    except CommunitasError as exc:
        raise _fail(exc) from exc
    result = sweep_result(jobs, metrics)
    out.mkdir(parents=True, exist_ok=True)
    (out / "sweep.json").write_text(json.dumps(result, indent=1, sort_keys=True),
                                    encoding="utf-8")
    locale = get_settings().locale
    title = scenario.name.zh if locale.startswith("zh") else scenario.name.en
    (out / "comparison.html").write_text(render_comparison_html(result, title=title,
                                                                locale=locale),
                                         encoding="utf-8")
    console.print(t("Swept {count} drills; wrote {file}", count=len(jobs), file=str(out)))
