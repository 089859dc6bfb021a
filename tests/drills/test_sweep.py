"""Sweeps on Dask give the numbers the same drills give one by one."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from communitas.cli import app
from communitas.drills.sandbox import prepared
from communitas.drills.scenario import parse_scenario_text
from communitas.drills.sweep import city_image, jobs_for, run_sweep, sweep_result
from tests.drills.test_drill_cli import database  # noqa: F401  (the CLI's database fixture)
from tests.drills.test_simulator import SCENARIO, _world


def test_a_sweep_on_a_local_cluster_equals_the_drills_one_by_one() -> None:
    scenario = parse_scenario_text(SCENARIO, file="test.yaml")
    image = city_image(prepared(_world))
    jobs = jobs_for(["baseline", "no_market"], [1, 2], 120.0)
    alone = run_sweep(image, scenario, jobs, parallel=False)
    swept = run_sweep(image, scenario, jobs, workers=2)
    assert json.dumps(swept, sort_keys=True) == json.dumps(alone, sort_keys=True)
    assert alone[0] != alone[1]  # two seeds, two drills
    result = sweep_result(jobs, swept)
    assert result["seeds"] == [1, 2] and result["variants"] == ["baseline", "no_market"]
    assert all("market_organisation" not in run["work_shares"]
               for run in result["runs"]["no_market"])


def test_drill_sweep_cli_writes_the_comparison(database: str,  # noqa: F811
                                               tmp_path: Path) -> None:
    scenario = tmp_path / "test.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    out = tmp_path / "sweep"
    result = CliRunner().invoke(app, ["drill", "sweep", str(scenario), "--seeds", "2",
                                      "--variant", "baseline", "--variant", "no_market",
                                      "--hours", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Swept 4 drills" in result.output
    data = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    assert data["seeds"] == [1, 2] and len(data["runs"]["no_market"]) == 2
    assert "95%" in (out / "comparison.html").read_text(encoding="utf-8")
