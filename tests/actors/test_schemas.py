"""Pure rules of the actor shapes: sectors, area kinds, phone and identity numbers."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from communitas.actors.kinds import SECTORS, OrganisationKind, PersonKind
from communitas.actors.schemas import (
    OrganisationCreate,
    PersonCreate,
    PersonPrivateRead,
    PersonRead,
    check_area_kind,
)
from communitas.areas.codes import AreaKind
from communitas.errors import ValidationFailed
from communitas.privacy import SENSITIVE_FIELDS


def _org(kind: OrganisationKind, sector: str | None) -> OrganisationCreate:
    return OrganisationCreate(code="ORG-1", kind=kind, sector=sector, name_zh="单位",
                              name_en="Unit", home_area_code="310115")


def test_public_read_has_no_sensitive_field_and_private_read_adds_exactly_them() -> None:
    assert not SENSITIVE_FIELDS & set(PersonRead.model_fields)
    assert set(PersonPrivateRead.model_fields) - set(PersonRead.model_fields) == SENSITIVE_FIELDS


@pytest.mark.parametrize("kind", list(OrganisationKind))
def test_sector_is_required_exactly_for_departments_and_market(kind: OrganisationKind) -> None:
    allowed = SECTORS.get(kind)
    if allowed is None:
        assert _org(kind, None).sector is None
        with pytest.raises(ValidationFailed) as refused:
            _org(kind, "health")
    else:
        assert _org(kind, sorted(allowed)[0]).kind is kind
        with pytest.raises(ValidationFailed) as refused:
            _org(kind, None)
    assert refused.value.code == "invalid_sector"


def test_a_market_organisation_cannot_take_a_government_sector() -> None:
    with pytest.raises(ValidationFailed) as refused:
        _org(OrganisationKind.MARKET_ORGANISATION, "health")
    assert refused.value.details["allowed"][0] == "delivery_platform"


@pytest.mark.parametrize(("kind", "area_kind", "ok"), [
    (PersonKind.RESIDENT, AreaKind.BUILDING, True),
    (PersonKind.RESIDENT, AreaKind.COMMUNITY, False),
    (PersonKind.VOLUNTEER, AreaKind.COMMUNITY, True),
    (PersonKind.VOLUNTEER, AreaKind.GRID, False),
    (PersonKind.GRID_WORKER, AreaKind.GRID, True),
    (PersonKind.CADRE, AreaKind.COMMUNITY, True),
    (PersonKind.PARTY_MEMBER, AreaKind.STREET, False),
])
def test_where_each_kind_of_person_lives(kind: PersonKind, area_kind: AreaKind, ok: bool) -> None:
    if ok:
        check_area_kind(kind, area_kind)
        return
    with pytest.raises(ValidationFailed) as refused:
        check_area_kind(kind, area_kind)
    assert refused.value.code == "wrong_area_kind"


def _person(**extra: str) -> PersonCreate:
    return PersonCreate.model_validate({"code": "P-1", "kind": "resident", "name_zh": "李",
                                        "area_code": "X-B001", **extra})


@pytest.mark.parametrize("value", ["3101151980010112", "31011519800101123Y", "A1011519800101123X"])
def test_identity_number_is_17_digits_and_a_check_character(value: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _person(id_number=value)
    assert refused.value.code == "invalid_id_number"
    assert value not in str(refused.value) and value not in str(refused.value.details)


def test_identity_number_check_character_is_upper_cased() -> None:
    assert _person(id_number="31011519800101123x").id_number == "31011519800101123X"


def test_phone_holds_digits_plus_and_dash_only() -> None:
    assert _person(phone="+86-138-1234-5678").phone == "+86-138-1234-5678"
    with pytest.raises(ValidationFailed) as refused:
        _person(phone="138 1234 5678")
    assert refused.value.code == "invalid_phone"


def test_shape_errors_stay_pydantic_errors() -> None:
    with pytest.raises(ValidationError):
        _person(code="lower-case")
    with pytest.raises(ValidationError):
        PersonCreate.model_validate({"code": "P-1", "kind": "resident", "name_zh": "李",
                                     "area_code": "X-B001", "skills": ["First Aid"]})
    with pytest.raises(ValidationError):
        _person(phone="1" * 40)
