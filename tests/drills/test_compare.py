"""What-if comparison: intervals by hand, and variants played through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from communitas.cli import app
from communitas.drills.compare import compare_runs, confidence_interval
from tests.drills.test_drill_cli import database  # noqa: F401  (the CLI's database fixture)
from tests.drills.test_simulator import SCENARIO


def test_confidence_interval_by_hand() -> None:
    # mean 2, s = 1, t(0.975, 2) = 4.302653 → half-width 4.302653 / √3 = 2.484138
    ci = confidence_interval([1.0, 2.0, 3.0])
    assert ci["mean"] == 2 and ci["n"] == 3
    assert ci["low"] == pytest.approx(2 - 2.484138, abs=1e-5)
    assert ci["high"] == pytest.approx(2 + 2.484138, abs=1e-5)
    assert confidence_interval([5.0]) == {"n": 1, "mean": 5.0, "low": None, "high": None}


def test_compare_runs_reads_the_headlines() -> None:
    run = {"resilience_loss_pct_hours": 4.0, "first_response": {"median": 10.0},
           "time_to_fulfil": {"median": None, "missing": 2},
           "unmet_demand": {"x": [0, 3], "y": [1, 2]}, "deprivation": {"total": 1.5}}
    result = compare_runs({"baseline": [run, run]})["baseline"]
    assert result["unmet_units_at_end"]["mean"] == 5
    assert result["time_to_fulfil_median_min"]["n"] == 0
    assert result["resilience_loss_pct_hours"] == {"n": 2, "mean": 4.0, "low": 4.0,
                                                   "high": 4.0}


def test_drill_compare_plays_each_variant_on_its_own_copy(database: str,  # noqa: F811
                                                          tmp_path: Path) -> None:
    scenario = tmp_path / "test.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    out = tmp_path / "cmp"
    result = CliRunner().invoke(app, ["drill", "compare", str(scenario), "--seeds", "2",
                                      "--hours", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    assert data["variants"] == ["baseline", "no_market"] and data["seeds"] == [1, 2]
    assert len(data["runs"]["no_market"]) == 2
    # Only the market holds noodles: with it the noodle requests are met, without it not.
    assert all("market_organisation" in run["work_shares"] for run in data["runs"]["baseline"])
    for run in data["runs"]["no_market"]:
        assert "market_organisation" not in run["work_shares"]
        assert run["unmet_demand"]["food.instant_noodles"][-1] > 0
    assert "95%" in (out / "comparison.html").read_text(encoding="utf-8")
    refused = CliRunner().invoke(app, ["drill", "compare", str(scenario), "--variant", "nope"])
    assert refused.exit_code != 0
