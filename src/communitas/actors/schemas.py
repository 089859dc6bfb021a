"""Organisation and person shapes, and the pure rules they obey.

Read models never carry sensitive personal fields; :class:`PersonPrivateRead` adds them for
the roles allowed to see them. Rules with their own stable error code (sector, phone,
identity number, area kind) raise :class:`ValidationFailed` from inside the validators:
Pydantic lets any other exception through untouched, so it reaches the API envelope with
that code. Plain shape errors stay ``validation_error``. No error ever echoes a sensitive
value back.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from communitas.actors.kinds import (
    PERSON_AREA_KINDS,
    SECTORS,
    Availability,
    OrganisationKind,
    PersonKind,
)
from communitas.areas.codes import AreaKind
from communitas.errors import ValidationFailed
from communitas.i18n import _
from communitas.schemas import ReadModel, StrictModel

CODE_PATTERN = r"^[A-Z0-9][A-Z0-9\-]{1,31}$"
SKILL_PATTERN = r"^[a-z][a-z0-9_]{1,47}$"
EMAIL_PATTERN = r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$"
_PHONE = re.compile(r"[0-9+\-]{3,32}")
_ID_NUMBER = re.compile(r"\d{17}[\dX]")

__all__ = [
    "CODE_PATTERN", "ExpiringQualification", "OrganisationCreate", "OrganisationRead",
    "OrganisationUpdate", "PersonCreate", "PersonPrivateRead", "PersonRead", "PersonUpdate",
    "QualificationIn", "QualificationRead", "check_area_kind", "check_sector",
]


def check_sector(kind: OrganisationKind, sector: str | None) -> None:
    """Government departments and market organisations need a sector of their kind; no
    other kind has one."""
    allowed = SECTORS.get(kind)
    if allowed is None and sector is not None:
        raise ValidationFailed(_("A {kind} has no sector"), code="invalid_sector",
                               kind=kind.value, details={"field": "sector", "allowed": []})
    if allowed is not None and sector not in allowed:
        raise ValidationFailed(
            _("A {kind} needs a sector, one of: {allowed}"), code="invalid_sector",
            kind=kind.value, allowed=", ".join(sorted(allowed)),
            details={"field": "sector", "allowed": sorted(allowed)},
        )


def check_area_kind(kind: PersonKind, area_kind: AreaKind) -> None:
    """Residents live in buildings; workers and cadres serve a community or below."""
    allowed = PERSON_AREA_KINDS[kind]
    if area_kind not in allowed:
        names = sorted(a.value for a in allowed)
        raise ValidationFailed(
            _("A {kind} cannot be placed on a {area_kind}; use one of: {allowed}"),
            code="wrong_area_kind", kind=kind.value, area_kind=area_kind.value,
            allowed=", ".join(names), details={"field": "area_code", "allowed": names},
        )


def _check_phone(value: str) -> str:
    if value and _PHONE.fullmatch(value) is None:
        raise ValidationFailed(_("A phone number may hold only digits, + and -"),
                               code="invalid_phone", details={"field": "phone"})
    return value


def _check_id_number(value: str) -> str:
    value = value.upper()
    if _ID_NUMBER.fullmatch(value) is None:
        raise ValidationFailed(
            _("An identity number has 18 characters: 17 digits, then a digit or X"),
            code="invalid_id_number", details={"field": "id_number"},
        )
    return value


def _unique_sorted(values: list[str]) -> list[str]:
    return sorted(set(values))


def _unique_names(values: list[QualificationIn]) -> list[QualificationIn]:
    names = [q.name for q in values]
    if len(names) != len(set(names)):
        raise ValueError("qualification names must be unique")
    return values


Code = Annotated[str, Field(pattern=CODE_PATTERN)]
AreaCode = Annotated[str, Field(min_length=4, max_length=32)]
AreaCodes = Annotated[list[AreaCode], AfterValidator(_unique_sorted), Field(max_length=2000)]
Phone = Annotated[str, Field(max_length=32), AfterValidator(_check_phone)]
IdNumber = Annotated[str, AfterValidator(_check_id_number)]
Skill = Annotated[str, Field(pattern=SKILL_PATTERN)]
Skills = Annotated[list[Skill], AfterValidator(_unique_sorted), Field(max_length=32)]
NameZh = Annotated[str, Field(min_length=1, max_length=64)]
NameEn = Annotated[str, Field(max_length=64)]
OrgName = Annotated[str, Field(min_length=1, max_length=128)]
Email = Annotated[str, Field(max_length=128, pattern=EMAIL_PATTERN)]


class QualificationIn(StrictModel):
    name: str = Field(min_length=1, max_length=128)
    expires_on: date | None = None


Qualifications = Annotated[
    list[QualificationIn], AfterValidator(_unique_names), Field(max_length=50)
]


class QualificationRead(ReadModel):
    name: str
    expires_on: date | None


class ExpiringQualification(ReadModel):
    person_code: str
    person_kind: PersonKind
    person_name_zh: str
    area_code: str
    name: str
    expires_on: date


class OrganisationCreate(StrictModel):
    code: Code
    kind: OrganisationKind
    sector: str | None = None
    name_zh: OrgName
    name_en: OrgName
    home_area_code: AreaCode
    served_area_codes: AreaCodes = Field(default_factory=list)
    contact_name: str = Field(default="", max_length=64)
    contact_phone: Phone = ""
    contact_email: Email = ""
    address: str = Field(default="", max_length=255)

    @model_validator(mode="after")
    def _sector_fits_kind(self) -> OrganisationCreate:
        check_sector(self.kind, self.sector)
        return self


class OrganisationUpdate(StrictModel):
    """Partial update; ``null`` clears a contact field. Code and kind never change."""

    sector: str | None = None
    name_zh: OrgName | None = None
    name_en: OrgName | None = None
    home_area_code: AreaCode | None = None
    served_area_codes: AreaCodes | None = None
    contact_name: str | None = Field(default=None, max_length=64)
    contact_phone: Phone | None = None
    contact_email: Email | None = None
    address: str | None = Field(default=None, max_length=255)


class OrganisationRead(ReadModel):
    code: str
    kind: OrganisationKind
    sector: str | None
    name_zh: str
    name_en: str
    home_area_code: str
    served_area_codes: list[str]
    contact_name: str
    contact_phone: str
    contact_email: str
    address: str


class PersonCreate(StrictModel):
    code: Code
    kind: PersonKind
    name_zh: NameZh
    name_en: NameEn = ""
    area_code: AreaCode
    household_code: str | None = Field(default=None, max_length=32)
    organisation_code: str | None = Field(default=None, max_length=32)
    home_unit: str | None = Field(default=None, max_length=128)
    skills: Skills = Field(default_factory=list)
    availability: Availability | None = None
    qualifications: Qualifications = Field(default_factory=list)
    phone: Phone | None = None
    id_number: IdNumber | None = None
    health_conditions: str | None = Field(default=None, max_length=2000)
    disability: str | None = Field(default=None, max_length=128)


class PersonUpdate(StrictModel):
    """Partial update; ``qualifications`` and ``skills``, when given, replace the old set."""

    kind: PersonKind | None = None
    name_zh: NameZh | None = None
    name_en: NameEn | None = None
    area_code: AreaCode | None = None
    household_code: str | None = Field(default=None, max_length=32)
    organisation_code: str | None = Field(default=None, max_length=32)
    home_unit: str | None = Field(default=None, max_length=128)
    skills: Skills | None = None
    availability: Availability | None = None
    qualifications: Qualifications | None = None
    phone: Phone | None = None
    id_number: IdNumber | None = None
    health_conditions: str | None = Field(default=None, max_length=2000)
    disability: str | None = Field(default=None, max_length=128)


class PersonRead(ReadModel):
    """What anyone allowed to see a person sees: no phone, identity, health or disability."""

    code: str
    kind: PersonKind
    name_zh: str
    name_en: str
    area_code: str
    household_code: str | None
    organisation_code: str | None
    home_unit: str | None
    skills: list[str]
    availability: Availability | None
    qualifications: list[QualificationRead]


class PersonPrivateRead(PersonRead):
    """A person with sensitive fields, for the person themself and their carers in scope.

    The fields have no defaults, so a public read can never be taken for a private one.
    """

    phone: str | None
    id_number: str | None
    health_conditions: str | None
    disability: str | None
