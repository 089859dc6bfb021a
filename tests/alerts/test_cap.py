"""The CAP 1.2 codec: bilingual alerts in, round trips out, broken files refused by element."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from communitas.alerts.cap import (
    Alert,
    Area,
    Circle,
    Info,
    NamedValue,
    Reference,
    build_cap,
    cancel_of,
    parse_cap,
    read_cap,
    update_of,
)
from communitas.alerts.identifiers import (
    BEIJING,
    identifier_problem,
    issuing_unit_code,
    make_identifier,
    parse_identifier,
)
from communitas.errors import ValidationFailed

SAMPLES = Path(__file__).parent / "samples"
UNIT = "31011541600000"
ORIGINAL = f"{UNIT}_20240720080000_0"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def refusal(xml: bytes, **kwargs: bool) -> list[dict[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        parse_cap(xml, **kwargs)
    assert caught.value.code == "invalid_cap"
    details: list[dict[str, str]] = caught.value.details
    return details


@pytest.mark.parametrize("name,status", [("red_rainstorm_exercise.xml", "Exercise"),
                                         ("red_rainstorm_actual.xml", "Actual")])
def test_bilingual_red_rainstorm_alert_is_read(name: str, status: str) -> None:
    alert = parse_cap(sample(name))
    assert (alert.identifier, alert.msg_type, alert.status) == (ORIGINAL, "Alert", status)
    assert alert.sent == datetime(2024, 7, 20, 0, 0, tzinfo=UTC)
    assert [info.language for info in alert.infos] == ["zh-CN", "en"]
    zh, en = alert.infos
    assert zh.headline == "暴雨红色预警信号" and en.headline == "Red rainstorm warning"
    assert zh.severity == en.severity == "Extreme"
    polygon = zh.areas[0].polygons[0]
    assert len(polygon) == 5 and polygon[0] == polygon[-1] == (31.195, 121.495)
    assert zh.areas[0].circles == (Circle(lat=31.25, lon=121.6, radius_km=1.0),)


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("red_rainstorm_*.xml")))
def test_build_then_parse_gives_the_same_alert(name: str) -> None:
    alert = parse_cap(sample(name))
    xml = build_cap(alert)
    assert parse_cap(xml) == alert
    assert build_cap(parse_cap(xml)) == xml


def test_update_and_cancel_samples_reference_the_original() -> None:
    update = parse_cap(sample("red_rainstorm_update.xml"))
    cancel = parse_cap(sample("red_rainstorm_cancel.xml"))
    assert update.msg_type == "Update" and cancel.msg_type == "Cancel"
    assert [r.identifier for r in update.references] == [ORIGINAL]
    assert [r.identifier for r in cancel.references] == [ORIGINAL, update.identifier]
    assert update.references[0].sent == parse_cap(sample("red_rainstorm_actual.xml")).sent


def test_update_of_and_cancel_of_carry_the_reference_chain() -> None:
    alert = parse_cap(sample("red_rainstorm_actual.xml"))
    later = alert.sent + timedelta(hours=2)
    update = update_of(alert, identifier=make_identifier(unit_code=UNIT, entered_at=later),
                       sent=later)
    cancel = cancel_of(update, identifier=make_identifier(unit_code=UNIT, entered_at=later,
                                                          sequence=1), sent=later)
    assert update.msg_type == "Update" and cancel.msg_type == "Cancel"
    assert update.references == (Reference(sender=UNIT, identifier=ORIGINAL, sent=alert.sent),)
    assert [r.identifier for r in cancel.references] == [ORIGINAL, update.identifier]
    assert cancel.infos == alert.infos and cancel.status == alert.status
    for message in (update, cancel):
        assert parse_cap(build_cap(message)) == message


def test_a_built_alert_is_bilingual_with_one_info_per_language() -> None:
    sent = datetime(2024, 7, 20, 8, 0, tzinfo=BEIJING)
    area = Area(area_desc="一街道 First Street",
                polygons=(((31.2, 121.5), (31.2, 121.51), (31.21, 121.51), (31.2, 121.5)),),
                geocodes=(NamedValue(value_name="GB/T 2260", value="310115"),))
    common = {"categories": ("Met",), "urgency": "Immediate", "severity": "Severe",
              "certainty": "Likely", "expires": sent + timedelta(hours=6), "areas": (area,)}
    alert = Alert(identifier=make_identifier(unit_code=UNIT, entered_at=sent), sender=UNIT,
                  sent=sent, status="Test", msg_type="Alert", scope="Public", infos=(
                      Info.model_validate({**common, "language": "zh-CN", "event": "暴雨"}),
                      Info.model_validate({**common, "language": "en", "event": "Rainstorm"})))
    xml = build_cap(alert)
    assert b"<language>zh-CN</language>" in xml and b"<language>en</language>" in xml
    assert b"<sent>2024-07-20T08:00:00+08:00</sent>" in xml
    assert parse_cap(xml) == alert


def test_utc_is_written_minus_zero() -> None:
    alert = parse_cap(sample("red_rainstorm_actual.xml"))
    utc = alert.model_copy(update={"sent": alert.sent.astimezone(UTC)})
    assert b"<sent>2024-07-20T00:00:00-00:00</sent>" in build_cap(utc)


def test_build_refuses_an_alert_that_breaks_the_rules() -> None:
    alert = parse_cap(sample("red_rainstorm_actual.xml"))
    open_ring = alert.infos[0].areas[0].model_copy(
        update={"polygons": (((31.2, 121.5), (31.2, 121.51), (31.21, 121.51)),)})
    info = alert.infos[0].model_copy(update={"areas": (open_ring,)})
    with pytest.raises(ValidationFailed) as caught:
        build_cap(alert.model_copy(update={"infos": (info,), "msg_type": "Update"}))
    elements = [d["element"] for d in caught.value.details]
    assert elements == ["alert/references", "alert/info[0]/area[0]/polygon[0]",
                        "alert/info[0]/area[0]/polygon[0]"]


@pytest.mark.parametrize("name,element,words", [
    ("broken_unclosed_polygon.xml", "alert/info[0]/area[0]/polygon[0]", "closed"),
    ("broken_update_without_references.xml", "alert/references", "references"),
    ("broken_bad_status.xml", "alert/status", "Rehearsal"),
    ("broken_missing_identifier.xml", "alert/identifier", "identifier"),
    ("broken_wrong_namespace.xml", "alert", "cap:1.1"),
])
def test_broken_samples_are_refused_with_the_element_named(name: str, element: str,
                                                           words: str) -> None:
    details = refusal(sample(name))
    assert [d["element"] for d in details] == [element]
    assert words in details[0]["message"]
    assert details[0]["message_zh"]


@pytest.mark.parametrize("old,new,element,words", [
    ("31.195,121.495 31.195,121.515 31.215,121.515 31.215,121.495 31.195,121.495",
     "31.195,121.495 31.195,121.515 31.195,121.495", "alert/info[0]/area[0]/polygon[0]",
     "at least 4"),
    ("31.195,121.495 31.195,121.515", "91.5,121.495 31.195,181.0", "alert/info[0]/area[0]/"
     "polygon[0]", "outside"),
    ("<circle>31.25,121.6 1.0</circle>", "<circle>31.25,121.6</circle>",
     "alert/info[0]/area[0]/circle[0]", "lat,lon radius"),
    ("<circle>31.25,121.6 1.0</circle>", "<circle>31.25,121.6 -2</circle>",
     "alert/info[0]/area[0]/circle[0]", "non-negative"),
    ("<sent>2024-07-20T08:00:00+08:00</sent>", "<sent>2024-07-20T08:00:00,08:00</sent>",
     "alert/sent", "not a valid value"),
    ("<expires>2024-07-20T20:00:00+08:00</expires>", "<expires>2024-07-20T07:00:00+08:00"
     "</expires>", "alert/info[0]/expires", "later than"),
    ("<msgType>Alert</msgType>", "<msgType>Cancel</msgType>", "alert/references", "Cancel"),
    (ORIGINAL, "not-a-gbt-identifier", "alert/identifier", "GB/T 35965.1"),
    (f"{ORIGINAL}<", "has space<", "alert/identifier", "spaces"),
])
def test_rules_beyond_the_schema_name_the_element(old: str, new: str, element: str,
                                                  words: str) -> None:
    text = sample("red_rainstorm_actual.xml").decode()
    assert old in text
    details = refusal(text.replace(old, new, 1).encode())
    assert element in [d["element"] for d in details], details
    assert any(words in d["message"] for d in details if d["element"] == element), details


def test_references_must_be_triples() -> None:
    text = sample("red_rainstorm_update.xml").decode()
    details = refusal(text.replace(f"{UNIT},{ORIGINAL},2024-07-20T08:00:00+08:00",
                                   f"{UNIT},{ORIGINAL}").encode())
    assert [d["element"] for d in details] == ["alert/references"]


def test_a_foreign_identifier_is_only_a_warning_for_plain_cap() -> None:
    xml = sample("red_rainstorm_actual.xml").replace(ORIGINAL.encode(), b"NWS-1234")
    reading = read_cap(xml, gbt_identifier=False)
    assert [(w.element, w.severity) for w in reading.warnings] == [("alert/identifier",
                                                                     "warning")]


def test_an_alert_without_info_is_a_warning_not_an_error() -> None:
    text = sample("red_rainstorm_actual.xml").decode()
    bare = text[:text.index("  <info>")] + "</alert>\n"
    reading = read_cap(bare.encode())
    assert [w.element for w in reading.warnings] == ["alert/info"]
    assert reading.alert.infos == ()


def test_gbt_identifier_round_trip_and_parts() -> None:
    entered = datetime(2024, 7, 20, 0, 0, 5, tzinfo=UTC)
    unit = issuing_unit_code("310115", "416")
    identifier = make_identifier(unit_code=unit, entered_at=entered, sequence=3)
    assert identifier == "31011541600000_20240720080005_3" and len(identifier) == 31
    parts = parse_identifier(identifier)
    assert (parts.region, parts.sector, parts.internal, parts.extension, parts.sequence) == (
        "310115", "416", "000", "00", 3)
    assert parts.entered_at == entered and str(parts) == identifier


@pytest.mark.parametrize("value", [
    "3101154160000_20240720080005_3",      # 13-digit unit code
    "31011541600000_20240720080005_10",    # two-digit sequence
    "31011541600000_20241320080005_0",     # month 13
    "01011541600000_20240720080005_0",     # division codes do not start with 0
    "31011541600000-20240720080005-0",
])
def test_malformed_gbt_identifiers_are_named(value: str) -> None:
    assert identifier_problem(value) is not None
    with pytest.raises(ValueError):
        parse_identifier(value)


def test_make_identifier_refuses_what_it_cannot_write() -> None:
    with pytest.raises(ValueError):
        make_identifier(unit_code=UNIT, entered_at=datetime(2024, 7, 20), sequence=0)
    with pytest.raises(ValueError):
        make_identifier(unit_code=UNIT, entered_at=datetime.now(BEIJING), sequence=10)
    with pytest.raises(ValueError):
        issuing_unit_code("31011", "416")


def test_parsing_from_many_threads_keeps_each_verdict_apart() -> None:
    good, bad = sample("red_rainstorm_actual.xml"), sample("broken_bad_status.xml")

    def verdict(xml: bytes) -> str:
        try:
            return parse_cap(xml).identifier
        except ValidationFailed as exc:
            return ",".join(d["element"] for d in exc.details)

    with ThreadPoolExecutor(max_workers=8) as pool:
        verdicts = list(pool.map(verdict, [good, bad] * 40))
    assert verdicts == [ORIGINAL, "alert/status"] * 40


coordinates = st.tuples(st.floats(-90, 90, allow_nan=False), st.floats(-180, 180,
                                                                       allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(points=st.lists(coordinates, min_size=3, max_size=8),
       circle=st.tuples(coordinates, st.floats(0, 20_000, allow_nan=False)))
def test_any_polygon_and_circle_survive_a_round_trip(
        points: list[tuple[float, float]],
        circle: tuple[tuple[float, float], float]) -> None:
    alert = parse_cap(sample("red_rainstorm_actual.xml"))
    (lat, lon), radius = circle
    area = Area(area_desc="x", polygons=((*points, points[0]),),
                circles=(Circle(lat=lat, lon=lon, radius_km=radius),))
    info = alert.infos[0].model_copy(update={"areas": (area,)})
    changed = alert.model_copy(update={"infos": (info,)})
    assert parse_cap(build_cap(changed)) == changed
