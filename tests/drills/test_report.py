"""The drill report: JSON for machines, one self-contained HTML page for people."""

from __future__ import annotations

import json
from pathlib import Path

from communitas.drills.metrics import compute
from communitas.drills.records import Delivery, DrillRecord, RequestRecord, ServiceVisit
from communitas.drills.report import render_html, write_report

RECORD = DrillRecord(
    horizon=240, step=30,
    requests=[RequestRecord("A", "water.bottled", 10, 0, first_response=10,
                            deliveries=(Delivery(150, 10, "neighbourhood_committee"),)),
              RequestRecord("B", "medical.chronic_medication", 2, 60, vulnerable=True)],
    visits=[ServiceVisit("clinic", 25, 25, 40), ServiceVisit("clinic", 26, 40, None)])


def test_report_in_chinese_has_translated_headings_and_embedded_charts() -> None:
    html = render_html(compute(RECORD), title="洪涝演练", seed=3, locale="zh_CN")
    assert "功能曲线 Q(t)" in html and "韧性损失" in html and "洪涝演练" in html
    assert html.count("data:image/png;base64,") == 3
    assert "http" not in html  # nothing to fetch: it opens offline


def test_write_report_gives_json_and_html_and_repeats_byte_for_byte(tmp_path: Path) -> None:
    metrics = compute(RECORD)
    json_path, html_path = write_report(metrics, tmp_path / "a", title="Flood", seed=3)
    again = write_report(metrics, tmp_path / "b", title="Flood", seed=3)
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["resilience_loss_pct_hours"] == metrics["resilience_loss_pct_hours"] > 0
    assert data["service_points"]["clinic"]["max_queue_length"] == 1
    assert html_path.read_bytes() == again[1].read_bytes()
