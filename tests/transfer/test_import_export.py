"""CSV and GeoJSON in and out: bad rows are named by file, line and field, and a rejected
file leaves nothing behind; exports never carry sensitive fields."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from unittest.mock import ANY

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.actors.models import Organisation, Person
from communitas.areas.models import Area
from communitas.auth.permissions import SYSTEM
from communitas.auth.roles import Role
from communitas.errors import ImportRejected
from communitas.events import Event
from communitas.resources.models import Holding
from communitas.transfer import service as transfer
from tests.actors.helpers import BUILDING_A1, ID_NUMBER, PHONE
from tests.factories import COMMUNITY_A1, STREET_A, STREET_B, build_city, login, make_user
from tests.resources.helpers import COMMITTEE_A1, build_world


def _rows(db: Session) -> tuple[int, ...]:
    return tuple(db.execute(select(func.count()).select_from(m)).scalar_one()
                 for m in (Area, Organisation, Person, Holding, Event))


def _write(path: Path, text: str) -> Path:
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path


AREAS_HEADER = "kind,code,parent_code,name_zh,name_en,population,hazards,lon,lat"


def test_good_area_file_is_imported(db: Session, tmp_path: Path) -> None:
    build_city(db)
    path = _write(tmp_path / "new.csv", f"""
{AREAS_HEADER}
community,310115001005,{STREET_A},五村,Fifth Village,3200,flood;typhoon,121.52,31.21
grid,310115001005-G01,310115001005,一网格,Grid 1,,,,
building,310115001005-B001,310115001005-G01,1号楼,Building 1,150,,121.521,31.211
""")
    assert transfer.import_file(db, principal=SYSTEM, kind="areas", path=path) == 3
    area = db.execute(select(Area).where(Area.code == "310115001005")).scalar_one()
    assert area.hazards == ["flood", "typhoon"]
    assert area.lon == pytest.approx(121.52)


def test_every_bad_field_is_reported_and_nothing_is_imported(db: Session,
                                                            tmp_path: Path) -> None:
    build_city(db)
    before = _rows(db)
    path = _write(tmp_path / "bad.csv", f"""
{AREAS_HEADER}
community,310115001005,{STREET_A},五村,Fifth Village,3200,,,
community,310115001006,{STREET_A},六村,Sixth Village,-7,,,
volcano,310115001007,{STREET_A},七村,Seventh Village,10,lava,,
""")
    with pytest.raises(ImportRejected) as caught:
        transfer.import_file(db, principal=SYSTEM, kind="areas", path=path)
    errors = caught.value.details["errors"]
    found = {(e["file"], e["line"], e["field"]) for e in errors}
    assert ("bad.csv", 3, "population") in found
    assert ("bad.csv", 4, "kind") in found
    assert ("bad.csv", 4, "hazards") in found
    assert _rows(db) == before


def test_a_refusal_deep_in_the_file_undoes_the_rows_before_it(db: Session,
                                                              tmp_path: Path) -> None:
    build_city(db)
    before = _rows(db)
    path = _write(tmp_path / "orphan.csv", f"""
{AREAS_HEADER}
community,310115001005,{STREET_A},五村,Fifth Village,3200,,,
community,310115001006,{STREET_A},六村,Sixth Village,3100,,,
community,310115009001,310115009000,孤村,Orphan Village,100,,,
""")
    with pytest.raises(ImportRejected) as caught:
        transfer.import_file(db, principal=SYSTEM, kind="areas", path=path)
    [error] = caught.value.details["errors"]
    assert (error["line"], error["field"], error["code"]) == (4, "parent_code", "unknown_area")
    assert _rows(db) == before


def test_duplicate_code_in_a_geojson_file_names_the_feature(db: Session,
                                                           tmp_path: Path) -> None:
    build_city(db)
    before = _rows(db)
    feature = {"type": "Feature", "geometry": None, "properties": {
        "kind": "community", "code": "310115001005", "parent_code": STREET_A,
        "name_zh": "五村", "name_en": "Fifth"}}
    path = tmp_path / "dupe.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection",
                                "features": [feature, feature]}), encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        transfer.import_file(db, principal=SYSTEM, kind="areas", path=path)
    [error] = caught.value.details["errors"]
    assert (error["line"], error["code"]) == (2, "duplicate_code")
    assert _rows(db) == before


def test_people_import_keeps_sensitive_fields_and_export_drops_them(db: Session,
                                                                   tmp_path: Path) -> None:
    build_city(db)
    path = _write(tmp_path / "people.csv", f"""
code,kind,name_zh,name_en,area_code,household_code,skills,qualifications,phone,id_number,health_conditions
R-1,resident,王奶奶,Granny Wang,{BUILDING_A1},H-1,,,{PHONE},{ID_NUMBER},diabetes
V-1,volunteer,李志愿,Li,{BUILDING_A1},H-2,first_aid;driving,red_cross_first_aid@2027-06-30,,,
""")
    assert transfer.import_file(db, principal=SYSTEM, kind="people", path=path) == 2
    person = db.execute(select(Person).where(Person.code == "R-1")).scalar_one()
    assert (person.phone, person.health_conditions) == (PHONE, "diabetes")
    for name in ("out.csv", "out.geojson"):
        out = tmp_path / name
        assert transfer.export_file(db, principal=SYSTEM, kind="people", path=out,
                                    within=COMMUNITY_A1) == 2
        text = out.read_text(encoding="utf-8")
        assert PHONE not in text and ID_NUMBER not in text and "diabetes" not in text
        assert "red_cross_first_aid@2027-06-30" in text
    with (tmp_path / "out.csv").open(encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert not {"phone", "id_number", "health_conditions", "disability"} & set(header)


def test_area_export_round_trips_through_geojson(db: Session, tmp_path: Path) -> None:
    build_city(db)
    out = tmp_path / "street.geojson"
    count = transfer.export_file(db, principal=SYSTEM, kind="areas", path=out, within=STREET_A)
    document = json.loads(out.read_text(encoding="utf-8"))
    assert count == len(document["features"]) == 1 + 2 * 4
    community = next(f for f in document["features"]
                     if f["properties"]["code"] == COMMUNITY_A1)
    assert community["geometry"]["type"] == "Polygon"
    assert community["properties"]["parent_code"] == STREET_A


def test_holdings_file_with_a_negative_quantity(db: Session, tmp_path: Path) -> None:
    build_world(db)
    before = _rows(db)
    path = _write(tmp_path / "stock.csv", f"""
resource_type_code,organisation_code,area_code,quantity,expires_on
water.bottled,{COMMITTEE_A1},{COMMUNITY_A1},100,2027-01-01
water.bottled,{COMMITTEE_A1},{COMMUNITY_A1},-5,2027-01-01
""")
    with pytest.raises(ImportRejected) as caught:
        transfer.import_file(db, principal=SYSTEM, kind="holdings", path=path)
    [error] = caught.value.details["errors"]
    assert error["line"] == 3 and error["field"] in ("quantity", None)
    assert _rows(db) == before


def test_unknown_kind_and_format(db: Session, tmp_path: Path) -> None:
    path = _write(tmp_path / "x.csv", "a\n1")
    with pytest.raises(ImportRejected) as caught:
        transfer.import_file(db, principal=SYSTEM, kind="dragons", path=path)
    assert caught.value.code == "unknown_kind"
    with pytest.raises(ImportRejected) as caught:
        transfer.import_file(db, principal=SYSTEM, kind="areas", path=_write(tmp_path / "x.xls",
                                                                              "a"))
    assert caught.value.code == "unsupported_format"


def test_upload_and_download_through_the_api(db: Session, client: TestClient) -> None:
    build_city(db)
    make_user(db, "wang", Role.STREET_COMMANDER, area_code=STREET_A)
    make_user(db, "li", Role.STREET_DISPATCHER, area_code=STREET_A)
    headers = login(client, "wang")
    before = _rows(db)
    bad = f"{AREAS_HEADER}\ncommunity,310115001005,{STREET_A},五村,Five,-3,,,\n"
    response = client.post("/api/import/areas", headers=headers,
                           files={"file": ("bad.csv", bad.encode(), "text/csv")})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "import_rejected"
    assert error["details"]["errors"][0] == {"file": "bad.csv", "line": 2,
                                             "field": "population", "message": ANY}
    assert _rows(db) == before
    good = bad.replace("-3", "3000")
    response = client.post("/api/import/areas", headers=headers,
                           files={"file": ("good.csv", good.encode(), "text/csv")})
    assert response.json() == {"kind": "areas", "file": "good.csv", "imported": 1}
    download = client.get("/api/export/areas", headers=headers,
                          params={"within": STREET_A, "format": "geojson"})
    assert download.status_code == 200
    codes = {f["properties"]["code"] for f in download.json()["features"]}
    assert "310115001005" in codes and COMMUNITY_A1 in codes
    elsewhere = f"{AREAS_HEADER}\ncommunity,310115002005,{STREET_B},外村,Out,10,,,\n"
    response = client.post("/api/import/areas", headers=headers,
                           files={"file": ("other.csv", elsewhere.encode(), "text/csv")})
    assert response.json()["error"]["details"]["errors"][0]["code"] == "out_of_scope"
    refused = client.get("/api/export/people", headers=login(client, "li"))
    assert refused.json()["error"]["code"] == "forbidden"
