"""Area kinds and their codes (GB/T 2260 and the 12-digit statistical division codes).

Pure rules, no I/O. City and district carry 6-digit GB/T 2260 codes; street and community
carry 12-digit division codes (``PPCCDD`` county + ``TTT`` township + ``VVV`` community);
grids and buildings carry local codes under their community.
"""

from __future__ import annotations

import re
from enum import StrEnum

from communitas.errors import InvalidDivisionCode, WrongParentKind


class AreaKind(StrEnum):
    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"
    BUILDING = "building"


PARENT_KIND: dict[AreaKind, AreaKind | None] = {
    AreaKind.CITY: None,
    AreaKind.DISTRICT: AreaKind.CITY,
    AreaKind.STREET: AreaKind.DISTRICT,
    AreaKind.COMMUNITY: AreaKind.STREET,
    AreaKind.GRID: AreaKind.COMMUNITY,
    AreaKind.BUILDING: AreaKind.GRID,
}

_PATTERNS: dict[AreaKind, re.Pattern[str]] = {
    AreaKind.CITY: re.compile(r"[1-9]\d{3}00"),
    AreaKind.DISTRICT: re.compile(r"[1-9]\d{3}(?!00)\d{2}"),
    AreaKind.STREET: re.compile(r"[1-9]\d{5}(?!000)\d{3}000"),
    AreaKind.COMMUNITY: re.compile(r"[1-9]\d{5}(?!000)\d{3}(?!000)\d{3}"),
    AreaKind.GRID: re.compile(r"(\d{12})-G\d{2,3}"),
    AreaKind.BUILDING: re.compile(r"(\d{12})-B\d{3,4}"),
}


def community_code_of(kind: AreaKind, code: str) -> str | None:
    """The community code a community, grid or building code belongs to."""
    if kind is AreaKind.COMMUNITY:
        return code
    if kind in (AreaKind.GRID, AreaKind.BUILDING):
        return code.split("-", 1)[0]
    return None


def validate_code(kind: AreaKind, code: str, parent_kind: AreaKind | None,
                  parent_code: str | None) -> None:
    """Raise if ``code`` is malformed for ``kind`` or does not fit under its parent."""
    if _PATTERNS[kind].fullmatch(code) is None:
        raise InvalidDivisionCode(value=code, details={"kind": kind.value, "code": code})
    expected_parent = PARENT_KIND[kind]
    if expected_parent is None:
        if parent_kind is not None:
            raise WrongParentKind(kind=kind.value, parent_kind=parent_kind.value)
        return
    if parent_kind is None or parent_code is None:
        raise WrongParentKind(kind=kind.value, parent_kind="none")
    if parent_kind is not expected_parent:
        raise WrongParentKind(
            kind=kind.value,
            parent_kind=parent_kind.value,
            details={"expected": expected_parent.value, "given": parent_kind.value},
        )
    prefix = {
        AreaKind.DISTRICT: parent_code[:4],
        AreaKind.STREET: parent_code[:6],
        AreaKind.COMMUNITY: parent_code[:9],
        AreaKind.GRID: parent_code,
        AreaKind.BUILDING: community_code_of(AreaKind.GRID, parent_code) or "",
    }[kind]
    if not code.startswith(prefix):
        raise InvalidDivisionCode(
            value=code,
            details={"code": code, "expected_prefix": prefix, "parent": parent_code},
        )
