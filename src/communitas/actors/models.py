"""Organisation and person tables. Sensitive personal fields live only on ``people``."""

from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from communitas.actors.kinds import OrganisationKind, PersonKind
from communitas.db import Base, value_enum


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(value_enum(OrganisationKind), index=True)
    sector: Mapped[str | None] = mapped_column(String(32), nullable=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    # The area the organisation is registered in; it decides who may manage it.
    home_area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    contact_name: Mapped[str] = mapped_column(String(64), default="")
    contact_phone: Mapped[str] = mapped_column(String(32), default="")
    contact_email: Mapped[str] = mapped_column(String(128), default="")
    address: Mapped[str] = mapped_column(String(255), default="")


class OrganisationArea(Base):
    """An area an organisation serves."""

    __tablename__ = "organisation_areas"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True, index=True)


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[PersonKind] = mapped_column(value_enum(PersonKind), index=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64), default="")
    # A building for residents and volunteers; a community for grid workers and cadres.
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    household_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), nullable=True, index=True
    )
    home_unit: Mapped[str | None] = mapped_column(String(128), nullable=True)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    availability: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Sensitive: read only with person.read_sensitive, never logged or exported.
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    id_number: Mapped[str | None] = mapped_column(String(32), nullable=True)
    health_conditions: Mapped[str | None] = mapped_column(Text, nullable=True)
    disability: Mapped[str | None] = mapped_column(String(128), nullable=True)


class Qualification(Base):
    __tablename__ = "qualifications"
    __table_args__ = (UniqueConstraint("person_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(128))
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)
