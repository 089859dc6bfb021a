"""Organisation and people routes: thin wrappers over actors.service.

A person is returned as ``PersonPrivateRead`` (with phone, identity number, health and
disability) or ``PersonRead`` (without those keys), as the service decides per reader.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status

from communitas.actors import service
from communitas.actors.kinds import OrganisationKind, PersonKind
from communitas.actors.schemas import (
    SKILL_PATTERN,
    ExpiringQualification,
    OrganisationCreate,
    OrganisationRead,
    OrganisationUpdate,
    PersonCreate,
    PersonPrivateRead,
    PersonRead,
    PersonUpdate,
    QualificationRead,
)
from communitas.api.deps import CurrentPrincipal, PageDep, SessionDep
from communitas.schemas import Page

router = APIRouter(tags=["actors"])

AnyPersonRead = PersonPrivateRead | PersonRead
Within = Annotated[str | None, Query(max_length=32, description="code of the subtree root")]
Search = Annotated[str | None, Query(max_length=64, description="name or code prefix")]


@router.get("/api/organisations", response_model=Page[OrganisationRead])
def list_organisations(
    session: SessionDep, principal: CurrentPrincipal, paging: PageDep, within: Within = None,
    kind: OrganisationKind | None = None,
    sector: Annotated[str | None, Query(max_length=32)] = None, q: Search = None,
) -> Page[OrganisationRead]:
    """Organisations registered in, or serving, any area of ``within``."""
    return service.list_organisations(
        session, principal=principal, within=within, kind=kind, sector=sector, q=q,
        page=paging.page, page_size=paging.page_size)


@router.post("/api/organisations", response_model=OrganisationRead,
             status_code=status.HTTP_201_CREATED)
def create_organisation(
    body: OrganisationCreate, session: SessionDep, principal: CurrentPrincipal
) -> OrganisationRead:
    orgs = service.create_organisations(session, principal=principal, items=[body])
    session.commit()
    return service.organisation_reads(session, orgs)[0]


@router.get("/api/organisations/{code}", response_model=OrganisationRead)
def read_organisation(code: str, session: SessionDep, principal: CurrentPrincipal
                      ) -> OrganisationRead:
    return service.read_organisation(session, principal=principal, code=code)


@router.patch("/api/organisations/{code}", response_model=OrganisationRead)
def update_organisation(
    code: str, body: OrganisationUpdate, session: SessionDep, principal: CurrentPrincipal
) -> OrganisationRead:
    org = service.update_organisation(session, principal=principal, code=code, data=body)
    session.commit()
    return service.organisation_reads(session, [org])[0]


@router.get("/api/people", response_model=Page[AnyPersonRead])
def list_people(
    session: SessionDep, principal: CurrentPrincipal, paging: PageDep, within: Within = None,
    kind: PersonKind | None = None,
    skill: Annotated[str | None, Query(pattern=SKILL_PATTERN)] = None,
    available: bool | None = None, q: Search = None,
) -> Page[PersonRead]:
    """People in the caller's area scope only."""
    return service.list_people(
        session, principal=principal, within=within, kind=kind, skill=skill,
        available=available, q=q, page=paging.page, page_size=paging.page_size)


@router.post("/api/people", response_model=AnyPersonRead, status_code=status.HTTP_201_CREATED)
def create_person(body: PersonCreate, session: SessionDep, principal: CurrentPrincipal
                  ) -> PersonRead:
    [person] = service.create_people(session, principal=principal, items=[body])
    session.commit()
    return service.read_person(session, principal=principal, code=person.code)


@router.get("/api/people/{code}", response_model=AnyPersonRead)
def read_person(code: str, session: SessionDep, principal: CurrentPrincipal) -> PersonRead:
    return service.read_person(session, principal=principal, code=code)


@router.patch("/api/people/{code}", response_model=AnyPersonRead)
def update_person(
    code: str, body: PersonUpdate, session: SessionDep, principal: CurrentPrincipal
) -> PersonRead:
    person = service.update_person(session, principal=principal, code=code, data=body)
    session.commit()
    return service.read_person(session, principal=principal, code=person.code)


@router.get("/api/people/{code}/qualifications", response_model=list[QualificationRead])
def person_qualifications(code: str, session: SessionDep, principal: CurrentPrincipal
                          ) -> list[QualificationRead]:
    return service.person_qualifications(session, principal=principal, code=code)


@router.get("/api/qualifications/expiring", response_model=Page[ExpiringQualification])
def expiring_qualifications(
    session: SessionDep, principal: CurrentPrincipal, paging: PageDep,
    before: Annotated[date, Query(description="list qualifications expiring before this day")],
    within: Within = None,
) -> Page[ExpiringQualification]:
    return service.expiring_qualifications(
        session, principal=principal, within=within, before=before, page=paging.page,
        page_size=paging.page_size)
