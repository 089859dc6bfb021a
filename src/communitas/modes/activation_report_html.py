"""The after-action report as one HTML page: bilingual headings, matplotlib charts (Agg
backend, PNG embedded as base64), no external assets."""

from __future__ import annotations

import base64
import io
from datetime import datetime
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from jinja2 import Environment

from communitas.i18n import _, translate

__all__ = ["render_html"]

HEADINGS = {
    "title": _("After-action report: activation {id}"),
    "summary": _("Summary"), "timeline": _("Timeline"), "latency": _("Switch latency"),
    "roles": _("Roles filled and when"), "tasks": _("Tasks on time and late"),
    "requests": _("Requests by status and time to fulfil"),
    "resources": _("Resources used"), "work": _("Who did the work, by kind of actor"),
    "ratings": _("Residents' ratings"), "area": _("Area"), "hazard": _("Hazard"),
    "level": _("Level"), "status": _("Status"), "plan": _("Plan version"),
    "requested": _("Switch requested"), "ready": _("Everything in place"),
    "latency_ms": _("Latency (ms)"), "role": _("Role"), "slot": _("For area"),
    "holder": _("Holder"), "assigned": _("Assigned at"), "unstaffed": _("unstaffed"),
    "count": _("Count"), "minutes": _("Median minutes to fulfil"), "mean": _("Mean score"),
    "none": _("None recorded"), "events": _("Events per minute"), "at": _("At"),
    "action": _("Action"), "actor": _("Actor kind"), "subject": _("Subject"),
}
TASK_LABELS = {"on_time": _("on time"), "late": _("late"), "overdue": _("overdue"),
               "open": _("open"), "closed_undone": _("closed undone")}

_PAGE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ h.title }}</title>
<style>body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px}
img{max-width:100%}</style></head><body>
<h1>{{ h.title }}</h1>
<h2>{{ h.summary }}</h2>
<table>
<tr><th>{{ h.area }}</th><td>{{ area }}</td></tr>
<tr><th>{{ h.hazard }}</th><td>{{ a.hazard }}</td></tr>
<tr><th>{{ h.level }}</th><td>{{ a.level }}</td></tr>
<tr><th>{{ h.plan }}</th><td>{{ a.plan_level }} v{{ a.plan_version }}</td></tr>
<tr><th>{{ h.status }}</th><td>{{ a.status }}</td></tr></table>
<h2>{{ h.latency }}</h2>
<table><tr><th>{{ h.requested }}</th><td>{{ r.latency.requested_at }}</td></tr>
<tr><th>{{ h.ready }}</th><td>{{ r.latency.ready_at }}</td></tr>
<tr><th>{{ h.latency_ms }}</th><td>{{ r.latency.latency_ms }}</td></tr></table>
<h2>{{ h.roles }}</h2>
<table><tr><th>{{ h.role }}</th><th>{{ h.slot }}</th><th>{{ h.holder }}</th>
<th>{{ h.assigned }}</th></tr>
{% for x in r.roles["items"] %}<tr><td>{{ x.title_zh if lang == "zh_CN" else x.title_en }}</td>
<td>{{ x.slot_code }}</td><td>{{ x.holder_code or h.unstaffed }}</td>
<td>{{ x.assigned_at or "" }}</td></tr>{% endfor %}</table>
<h2>{{ h.tasks }}</h2>{% if charts.tasks %}<img src="data:image/png;base64,{{ charts.tasks }}"
 alt="{{ h.tasks }}">{% endif %}
<table>{% for k, label in task_labels.items() %}<tr><th>{{ label }}</th>
<td>{{ r.tasks[k] }}</td></tr>{% endfor %}</table>
<h2>{{ h.requests }}</h2>{% if charts.requests %}<img
 src="data:image/png;base64,{{ charts.requests }}" alt="{{ h.requests }}">{% endif %}
<table>{% for k, v in r.requests.by_status.items() %}<tr><th>{{ k }}</th><td>{{ v }}</td>
</tr>{% endfor %}<tr><th>{{ h.minutes }}</th>
<td>{{ r.requests.median_minutes_to_fulfil if r.requests.median_minutes_to_fulfil is not none
 else h.none }}</td></tr></table>
<h2>{{ h.resources }}</h2>{% if r.requests.resources_used %}<table>
{% for k, v in r.requests.resources_used.items() %}<tr><th>{{ k }}</th><td>{{ v }}</td></tr>
{% endfor %}</table>{% else %}<p>{{ h.none }}</p>{% endif %}
<h2>{{ h.work }}</h2>{% if charts.work %}<img src="data:image/png;base64,{{ charts.work }}"
 alt="{{ h.work }}">{% endif %}
<table>{% for k, v in r.work_by_actor_kind.items() %}<tr><th>{{ k }}</th><td>{{ v }}</td>
</tr>{% endfor %}</table>
<h2>{{ h.ratings }}</h2><p>{{ h.count }}: {{ r.requests.ratings.count }};
 {{ h.mean }}: {{ r.requests.ratings.mean if r.requests.ratings.mean is not none
 else h.none }}</p>
<h2>{{ h.timeline }}</h2>{% if charts.timeline %}<img
 src="data:image/png;base64,{{ charts.timeline }}" alt="{{ h.timeline }}">{% endif %}
<table><tr><th>{{ h.at }}</th><th>{{ h.action }}</th><th>{{ h.actor }}</th>
<th>{{ h.subject }}</th></tr>{% for e in r.timeline[:500] %}<tr><td>{{ e.at }}</td>
<td>{{ e.action }}</td><td>{{ e.actor_kind }}</td><td>{{ e.subject }}</td></tr>
{% endfor %}</table></body></html>
"""


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _bars(values: dict[str, int], title: str) -> str | None:
    if not any(values.values()):
        return None
    figure, axes = plt.subplots(figsize=(6, 2.6))
    axes.bar(list(values), list(values.values()), color="#5b8fa8")
    axes.set_title(title)
    axes.tick_params(axis="x", labelrotation=20)
    return _png(figure)


def _timeline(report: dict[str, Any], title: str) -> str | None:
    times = [datetime.fromisoformat(e["at"]) for e in report["timeline"]]
    if not times:
        return None
    start = min(times)
    minutes = [(t - start).total_seconds() / 60 for t in times]
    figure, axes = plt.subplots(figsize=(6, 2.6))
    axes.hist(minutes, bins=max(1, min(60, int(max(minutes)) + 1)), color="#d9822b")
    axes.set_title(title)
    axes.set_xlabel("min")
    return _png(figure)


def render_html(report: dict[str, Any], *, lang: str = "en") -> str:
    """The page in ``lang`` (``en`` or ``zh_CN``); chart titles are English (fonts)."""
    h = {k: translate(v, lang) for k, v in HEADINGS.items()}
    h["title"] = translate(HEADINGS["title"], lang, id=report["activation"]["id"])
    labels = {k: translate(v, lang) for k, v in TASK_LABELS.items()}
    charts = {
        "tasks": _bars({k: report["tasks"][k] for k in TASK_LABELS}, "Tasks"),
        "requests": _bars(report["requests"]["by_status"], "Requests by status"),
        "work": _bars(report["work_by_actor_kind"], "Work by actor kind"),
        "timeline": _timeline(report, "Events per minute"),
    }
    area = report["area"]
    name = area["name_zh"] if lang.startswith("zh") else area["name_en"]
    return Environment(autoescape=True).from_string(_PAGE).render(
        lang=lang, h=h, r=report, a=report["activation"], area=f"{name} ({area['code']})",
        charts=charts, task_labels=labels)
