"""Scenario files: every shipped one is valid and names real demo areas; bad ones are refused
with the line and the field."""

from __future__ import annotations

import pytest

from communitas.demo.generator import generate_city
from communitas.drills.scenario import (
    duration_minutes,
    load_scenario,
    parse_scenario_text,
    shipped_scenarios,
    unknown_areas,
)
from communitas.errors import ImportRejected

SHIPPED = {p.name: p for p in shipped_scenarios()}


def test_the_five_scenarios_ship() -> None:
    assert set(SHIPPED) == {"flood_72h_district.yaml", "lockdown_14d_city.yaml",
                            "high_rise_fire.yaml", "earthquake_m6.yaml", "typhoon.yaml"}


@pytest.fixture(scope="module")
def demo_codes() -> set[str]:
    # Codes are structural (street and community numbers), so the district-scale demo city
    # holds every code the shipped scenarios use, the city-wide lockdown's included.
    return {a.code for a in generate_city(seed=42).areas}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_scenario_is_valid_on_the_demo_city(name: str, demo_codes: set[str]) -> None:
    scenario = load_scenario(SHIPPED[name])
    assert scenario.minutes >= 24 * 60
    assert unknown_areas(scenario, demo_codes) == []


def test_durations() -> None:
    assert duration_minutes("90m") == 90
    assert duration_minutes("1d12h") == 36 * 60
    assert duration_minutes("0h") == 0
    with pytest.raises(ValueError):
        duration_minutes("3 days")


GOOD = SHIPPED["high_rise_fire.yaml"].read_text(encoding="utf-8")


def errors_of(text: str) -> list[dict[str, object]]:
    with pytest.raises(ImportRejected) as caught:
        parse_scenario_text(text, file="bad.yaml")
    errors = caught.value.details["errors"]
    assert all(e["file"] == "bad.yaml" for e in errors)
    return errors


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_wrong_service_time_names_its_line_and_field() -> None:
    bad = GOOD.replace("distribution: exponential, mean: 3", "distribution: weibull, mean: 3")
    [error] = errors_of(bad)
    assert error["field"] == "service_points.0.service_time.distribution"
    assert error["line"] == line_of(bad, "weibull")


def test_an_inject_with_a_bad_share_names_the_inject_field() -> None:
    bad = GOOD.replace("kind: stock_lost, areas: [\"310115001003-B005\"], share: 1.0",
                       "kind: stock_lost, areas: [\"310115001003-B005\"], share: 1.5")
    [error] = errors_of(bad)
    assert error["field"] == "injects.3.share"
    assert error["line"] == line_of(bad, "share: 1.5")


def test_cross_field_rules_are_located() -> None:
    bad = GOOD.replace("closes: 6h", "closes: 6h\n    opens: 7h") \
        .replace("{at: 1h, kind: stock_lost", "{at: 30h, kind: stock_lost")
    errors = errors_of(bad)
    fields = {e["field"]: e["line"] for e in errors}
    assert fields["injects.3.at"] == line_of(bad, "at: 30h")
    assert fields["service_points.0.closes"] == line_of(bad, "closes: 6h")


def test_unknown_keys_duplicates_and_bad_yaml_are_refused() -> None:
    [unknown] = errors_of(GOOD.replace("duration: 24h", "duration: 24h\nlength: 24h"))
    assert unknown["field"] == "length"
    [duplicate] = errors_of(GOOD.replace("step: 5m", "step: 5m\nstep: 10m"))
    assert duplicate["field"] == "step" and duplicate["message"] == "duplicate key"
    [syntax] = errors_of("name: [unclosed\n")
    assert syntax["line"] == 2 and "not valid YAML" in str(syntax["message"])


def test_a_lognormal_service_time_needs_median_and_sigma() -> None:
    bad = GOOD.replace("distribution: exponential, mean: 3", "distribution: lognormal, mean: 3")
    messages = {e["field"]: e["message"] for e in errors_of(bad)}
    assert set(messages) == {f"service_points.0.service_time.{f}"
                             for f in ("mean", "median", "sigma")}


def test_workforce_fields_are_checked_by_line_and_field() -> None:
    bad = GOOD.replace("response_delay_minutes: 20}",
                       "response_delay_minutes: 20, task_minutes: 0}")
    bad += "workforce: {task_minutes: 45, organisation_crews: 0}\n"
    fields = {e["field"]: e["line"] for e in errors_of(bad)}
    assert fields == {"volunteers.task_minutes": line_of(bad, "task_minutes: 0"),
                      "workforce.organisation_crews": line_of(bad, "organisation_crews: 0")}
    fine = parse_scenario_text(bad.replace("task_minutes: 0", "task_minutes: 25")
                               .replace("organisation_crews: 0", "organisation_crews: 3"),
                               file="good.yaml")
    assert fine.volunteers.task_minutes == 25 and fine.workforce.organisation_crews == 3
