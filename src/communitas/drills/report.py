"""A drill's metrics written as JSON and as one self-contained HTML page with charts.

Charts are drawn with matplotlib's Agg backend and embedded as base64 PNG, so the report
opens offline and can be mailed as one file. Chart axes carry only symbols (t, Q, U, L) and
resource codes, so no CJK font is needed; the translated titles are in the HTML.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from jinja2 import Environment, select_autoescape

from communitas.i18n import _, translate

__all__ = ["render_comparison_html", "render_html", "write_report"]

_TEMPLATE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
th:first-child,td:first-child{text-align:left}img{max-width:100%}</style></head><body>
<h1>{{ title }}</h1>
<p>{{ labels.seed }}: {{ seed }} · {{ labels.horizon }}: {{ hours }} h</p>
<h2>{{ labels.headline }}</h2>
<table>{% for name, value in headline %}<tr><th>{{ name }}</th><td>{{ value }}</td></tr>
{% endfor %}</table>
{% for chart_title, png in charts %}<h2>{{ chart_title }}</h2>
<img alt="{{ chart_title }}" src="data:image/png;base64,{{ png }}">{% endfor %}
<h2>{{ labels.work }}</h2>
<table><tr><th></th><th>{{ labels.task_share }}</th><th>{{ labels.unit_share }}</th></tr>
{% for kind, tasks, units in work %}<tr><th>{{ kind }}</th><td>{{ tasks }}</td>
<td>{{ units }}</td></tr>{% endfor %}</table>
<h2>{{ labels.tasks }}</h2>
<table><tr><th></th><th>{{ labels.assigned }}</th><th>{{ labels.done }}</th>
<th>{{ labels.completion }}</th></tr>
{% for kind, count, done, median in task_rows %}<tr><th>{{ kind }}</th><td>{{ count }}</td>
<td>{{ done }}</td><td>{{ median }}</td></tr>{% endfor %}</table>
</body></html>
"""


_COMPARISON = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>body{font-family:sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
th:first-child{text-align:left}</style></head><body>
<h1>{{ title }}</h1><p>{{ seeds_label }}: {{ seeds }} · {{ note }}</p>
<table><tr><th></th>{% for v in variants %}<th>{{ v }}</th>{% endfor %}</tr>
{% for name, cells in rows %}<tr><th>{{ name }}</th>{% for c in cells %}<td>{{ c }}</td>
{% endfor %}</tr>{% endfor %}</table></body></html>
"""


def _interval(cell: dict[str, Any]) -> str:
    if cell["mean"] is None:
        return "—"
    if cell["low"] is None:
        return f"{cell['mean']:,.1f}"
    return f"{cell['mean']:,.1f} [{cell['low']:,.1f}, {cell['high']:,.1f}]"


def render_comparison_html(result: dict[str, Any], *, title: str, locale: str = "en") -> str:
    """Variants side by side: mean [95 % interval] of each headline figure."""
    comparison, variants = result["comparison"], result["variants"]
    names = list(next(iter(comparison.values()))) if comparison else []
    env = Environment(autoescape=select_autoescape(default=True))
    return env.from_string(_COMPARISON).render(
        lang="zh-CN" if locale.startswith("zh") else "en", title=title,
        seeds_label=translate(_("Seeds"), locale), seeds=", ".join(map(str, result["seeds"])),
        note=translate(_("mean [95% confidence interval]"), locale), variants=variants,
        rows=[(name, [_interval(comparison[v][name]) for v in variants]) for name in names])


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight",
                   metadata={"Software": None})  # no version stamp: same data, same bytes
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _hours(metrics: dict[str, Any]) -> list[float]:
    return [t / 60 for t in metrics["times"]]


def _functionality_chart(metrics: dict[str, Any]) -> str:
    figure, axes = plt.subplots(figsize=(8, 3))
    axes.plot(_hours(metrics), metrics["functionality"], color="#1f77b4")
    axes.fill_between(_hours(metrics), metrics["functionality"], 100, alpha=0.2, color="#d62728")
    axes.set_ylim(0, 105)
    axes.set_xlabel("t (h)")
    axes.set_ylabel("Q(t) %")
    return _png(figure)


def _unmet_chart(metrics: dict[str, Any]) -> str:
    figure, axes = plt.subplots(figsize=(8, 3))
    for code, series in metrics["unmet_demand"].items():
        axes.plot(_hours(metrics), series, label=code)
    axes.set_xlabel("t (h)")
    axes.set_ylabel("U(t)")
    if metrics["unmet_demand"]:
        axes.legend(fontsize="small")
    return _png(figure)


def _queue_chart(metrics: dict[str, Any]) -> str:
    figure, axes = plt.subplots(figsize=(8, 3))
    for name, point in metrics["service_points"].items():
        axes.step(_hours(metrics), point["queue_length"], where="post", label=name)
    axes.set_xlabel("t (h)")
    axes.set_ylabel("L(t)")
    if metrics["service_points"]:
        axes.legend(fontsize="small")
    return _png(figure)


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:,.1f}" if isinstance(value, float) else str(value)


def render_html(metrics: dict[str, Any], *, title: str, seed: int, locale: str = "en") -> str:
    """The report as one HTML page (English or Chinese labels)."""
    def t(msgid: str) -> str:
        return translate(msgid, locale)

    tasks = metrics.get("tasks", {})
    headline = [
        (t("Time to first response, median (min)"), metrics["first_response"]["median"]),
        (t("Time to fulfil, median (min)"), metrics["time_to_fulfil"]["median"]),
        (t("Requests not fulfilled by the end"), metrics["time_to_fulfil"]["missing"]),
        (t("Resilience loss (%·h)"), metrics["resilience_loss_pct_hours"]),
        (t("Recovery time (h)"), None if metrics["recovery_minutes"] is None
         else metrics["recovery_minutes"] / 60),
        (t("Deprivation cost of vulnerable residents"), metrics["deprivation"]["total"]),
        (t("Mode switch latency, median (min)"), metrics["mode_switch_latency"]["median"]),
        (t("Tasks issued"), tasks.get("created")),
        (t("Tasks completed"), tasks.get("done")),
        (t("Time to task completion, median (min)"),
         tasks.get("time_to_complete", {}).get("median")),
        (t("Tasks nobody took"), tasks.get("never_taken")),
        (t("Activation to first alert, median (min)"),
         metrics.get("alert_latency", {}).get("median")),
    ]
    charts = [(t("Functionality Q(t)"), _functionality_chart(metrics)),
              (t("Unmet demand by resource type"), _unmet_chart(metrics)),
              (t("Queues at service points"), _queue_chart(metrics))]
    env = Environment(autoescape=select_autoescape(default=True))
    return env.from_string(_TEMPLATE).render(
        lang="zh-CN" if locale.startswith("zh") else "en", title=title, seed=seed,
        hours=_fmt(metrics["horizon_minutes"] / 60), charts=charts,
        headline=[(name, _fmt(value)) for name, value in headline],
        work=_work_rows(metrics), task_rows=[
            (kind, row["tasks"], row["done"], _fmt(row["time_to_complete"]["median"]))
            for kind, row in tasks.get("by_actor_kind", {}).items()],
        labels={"seed": t("Seed"), "horizon": t("Duration"), "headline": t("Headline figures"),
                "work": t("Share of work by actor kind"),
                "task_share": t("Tasks completed"), "unit_share": t("Units delivered"),
                "tasks": t("Tasks by actor kind"), "assigned": t("Tasks"),
                "done": t("Completed"),
                "completion": t("Time to task completion, median (min)")})


def _work_rows(metrics: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Per actor kind: its share of completed tasks and of delivered units."""
    tasks, units = metrics.get("task_shares", {}), metrics["work_shares"]
    return [(kind, f"{tasks[kind]:.1%}" if kind in tasks else "—",
             f"{units[kind]:.1%}" if kind in units else "—")
            for kind in sorted(set(tasks) | set(units))]


def write_report(metrics: dict[str, Any], out: Path, *, title: str, seed: int,
                 locale: str = "en") -> tuple[Path, Path]:
    """Write metrics.json and report.html into ``out``; returns both paths."""
    out.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out / "metrics.json", out / "report.html"
    json_path.write_text(json.dumps(metrics, indent=1, sort_keys=True, ensure_ascii=False),
                         encoding="utf-8")
    html_path.write_text(render_html(metrics, title=title, seed=seed, locale=locale),
                         encoding="utf-8")
    return json_path, html_path
