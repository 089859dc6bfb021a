"""`communitas allocate` as an operator runs it: a problem file in, a plan file out."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from communitas.cli import app
from communitas.config import get_settings

runner = CliRunner()
DOC = Path(__file__).resolve().parents[2] / "docs" / "allocation.md"


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("COMMUNITAS_LOCALE", "en")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def example() -> dict[str, Any]:
    """The example problem of docs/allocation.md, so the documentation stays true."""
    block = re.search(r"```json problem\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert block, "docs/allocation.md lost its example problem"
    return dict(json.loads(block.group(1)))


def _run(tmp_path: Path, content: str, *args: str) -> tuple[Any, Path]:
    problem, out = tmp_path / "problem.json", tmp_path / "plan.json"
    problem.write_text(content, encoding="utf-8")
    return runner.invoke(app, ["allocate", str(problem), "--out", str(out), *args]), out


def test_solves_the_documented_example(tmp_path: Path) -> None:
    result, out = _run(tmp_path, json.dumps(example()))
    assert result.exit_code == 0, result.output
    plan = json.loads(out.read_text(encoding="utf-8"))
    assert plan["status"] == "optimal" and plan["method"] == "optimal"
    assert plan["shipments"] and set(plan["shipments"][0]) >= {
        "supply", "demand", "type", "quantity", "minutes"}
    assert all(set(row) == {"demand", "type", "quantity"} for row in plan["unmet"])
    assert plan["metrics"]["unmet_by_priority"]["1"] == 0
    assert "Weighted unmet demand" in result.output


def test_greedy_baseline_in_the_same_format(tmp_path: Path) -> None:
    result, out = _run(tmp_path, json.dumps(example()), "--method", "greedy")
    assert result.exit_code == 0, result.output
    greedy = json.loads(out.read_text(encoding="utf-8"))
    _optimal_result, optimal_out = _run(tmp_path, json.dumps(example()))
    optimal = json.loads(optimal_out.read_text(encoding="utf-8"))
    assert greedy["method"] == "greedy" and set(greedy) == set(optimal)
    assert (optimal["metrics"]["objective"]["weighted_unmet"]
            <= greedy["metrics"]["objective"]["weighted_unmet"])


def _edit(change: Callable[[dict[str, Any]], None]) -> str:
    doc = example()
    change(doc)
    return json.dumps(doc)


MALFORMED = {
    "bad JSON": ('{"resource_types": ["water_l"],', "(root)"),
    "unknown type in stock": (
        _edit(lambda d: d["supplies"][1]["stock"].update(petrol_l=5)),
        "supplies[1].stock.petrol_l"),
    "unknown type in needs": (
        _edit(lambda d: d["demands"][2]["needs"].update(petrol_l=5)),
        "demands[2].needs.petrol_l"),
    "negative quantity": (
        _edit(lambda d: d["demands"][0]["needs"].update(water_l=-300)),
        "demands[0].needs.water_l"),
    "priority 7": (_edit(lambda d: d["demands"][1].update(priority=7)), "demands[1].priority"),
    "missing needs": (_edit(lambda d: d["demands"][3].pop("needs")), "demands[3].needs"),
    "missing supply id": (_edit(lambda d: d["supplies"][0].pop("id")), "supplies[0].id"),
    "missing resource types": (_edit(lambda d: d.pop("resource_types")), "resource_types"),
    "missing reach": (_edit(lambda d: d.pop("reach")), "reach"),
    "not an object": ("[1, 2]", "(root)"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_problem_exits_2_naming_the_field_and_writes_nothing(
        tmp_path: Path, case: str) -> None:
    content, path = MALFORMED[case]
    result, out = _run(tmp_path, content)
    assert result.exit_code == 2, result.output
    assert "invalid_problem" in result.output
    assert f"  {path}: " in result.output
    assert not out.exists()


def test_problem_messages_in_chinese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMUNITAS_LOCALE", "zh_CN")
    get_settings.cache_clear()
    result, _out = _run(tmp_path, MALFORMED["priority 7"][0])
    assert result.exit_code == 2
    assert "demands[1].priority: 优先级" in result.output


def test_unknown_method_is_refused(tmp_path: Path) -> None:
    result, out = _run(tmp_path, json.dumps(example()), "--method", "fastest")
    assert result.exit_code == 2 and not out.exists()
