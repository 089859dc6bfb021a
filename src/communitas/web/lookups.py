"""Reference data the pages show by name: resource types and areas, in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.resources import service as resources
from communitas.resources.models import ResourceKind

__all__ = ["AreaChoice", "TypeName", "area_choices", "local_name", "requestable_types",
           "type_names"]


@dataclass(frozen=True)
class TypeName:
    code: str
    name_zh: str
    name_en: str
    unit: str
    kind: str

    def name(self, locale: str) -> str:
        return self.name_zh if locale == "zh_CN" else self.name_en


@dataclass(frozen=True)
class AreaChoice:
    code: str
    kind: str
    name_zh: str
    name_en: str
    parent_name_zh: str
    parent_name_en: str
    path: str

    def name(self, locale: str) -> str:
        return self.name_zh if locale == "zh_CN" else self.name_en

    def parent_name(self, locale: str) -> str:
        return self.parent_name_zh if locale == "zh_CN" else self.parent_name_en


def local_name(obj: object, locale: str) -> str:
    """``name_zh`` or ``name_en`` of any row that has both."""
    return str(getattr(obj, "name_zh" if locale == "zh_CN" else "name_en", ""))


def type_names(session: Session) -> dict[str, TypeName]:
    rows = session.execute(resources.list_resource_types(session)).scalars()
    return {t.code: TypeName(t.code, t.name_zh, t.name_en, t.unit, t.kind.value) for t in rows}


def requestable_types(session: Session) -> list[TypeName]:
    """Types a resident may ask for on the public form (supplies and equipment)."""
    return [t for t in type_names(session).values()
            if t.kind in (ResourceKind.SUPPLY, ResourceKind.EQUIPMENT)]


def area_choices(session: Session, *, kinds: tuple[AreaKind, ...],
                 within: str | None = None) -> list[AreaChoice]:
    """Areas of ``kinds`` (in a subtree), each with its parent's name, in path order."""
    parents: dict[int, tuple[str, str]] = {}
    rows = []
    for kind in kinds:
        rows += list(session.execute(areas.list_areas(session, within=within, kind=kind))
                     .scalars())
    wanted = {a.parent_id for a in rows if a.parent_id is not None}
    for parent_id in sorted(wanted):
        parent = areas.get_area_by_id(session, area_id=parent_id)
        parents[parent_id] = (parent.name_zh, parent.name_en)
    rows.sort(key=lambda a: a.path)
    return [AreaChoice(a.code, a.kind.value, a.name_zh, a.name_en,
                       *parents.get(a.parent_id or 0, ("", "")), path=a.path) for a in rows]
