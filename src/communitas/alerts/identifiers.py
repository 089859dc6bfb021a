"""Warning identifiers in the GB/T 35965.1-2018 format: generate and check.

Our reading of the standard's normative annex A ("取值规则及说明", A.1.1–A.1.3; we worked from
a published copy of the annex, not from the official text), summarised in docs/cap.md::

    ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N          31 characters

    ZZZZZZDDDUUUXX  issuing-unit code (发布单位代码), 14 digits:
        ZZZZZZ  administrative division, GB/T 2260 (6 digits)
        DDD     organisation sector code, GB/T 4657 (3 digits)
        UUU     the unit's internal second-level code, default "000"
        XX      extension, default "00"
    YYYYMMDDhhmmss  when the warning was entered, Beijing time (UTC+08:00)
    N               sequence number for the same unit and second, one digit 0-9, from 0

Pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

__all__ = [
    "BEIJING", "GbtIdentifier", "identifier_problem", "issuing_unit_code", "make_identifier",
    "parse_identifier",
]

BEIJING = timezone(timedelta(hours=8), "CST")

_UNIT = r"(?P<region>[1-9]\d{5})(?P<sector>\d{3})(?P<internal>\d{3})(?P<extension>\d{2})"
_IDENTIFIER = re.compile(rf"(?P<unit>{_UNIT})_(?P<stamp>\d{{14}})_(?P<sequence>\d)")
_STAMP = "%Y%m%d%H%M%S"


@dataclass(frozen=True)
class GbtIdentifier:
    """The parts of a GB/T 35965.1 warning identifier."""

    unit_code: str
    region: str
    sector: str
    internal: str
    extension: str
    entered_at: datetime
    sequence: int

    def __str__(self) -> str:
        stamp = self.entered_at.astimezone(BEIJING).strftime(_STAMP)
        return f"{self.unit_code}_{stamp}_{self.sequence}"


def issuing_unit_code(region: str, sector: str, internal: str = "000",
                      extension: str = "00") -> str:
    """The 14-digit issuing-unit code from its four parts."""
    code = f"{region}{sector}{internal}{extension}"
    if re.fullmatch(_UNIT, code) is None or len(region) != 6 or len(sector) != 3:
        raise ValueError(f"not a GB/T 35965.1 issuing-unit code: {code!r}")
    return code


def make_identifier(*, unit_code: str, entered_at: datetime, sequence: int = 0) -> str:
    """A new identifier; ``entered_at`` must be timezone-aware and is written in Beijing time."""
    if re.fullmatch(_UNIT, unit_code) is None:
        raise ValueError(f"not a GB/T 35965.1 issuing-unit code: {unit_code!r}")
    if entered_at.tzinfo is None:
        raise ValueError("entered_at must carry a timezone")
    if not 0 <= sequence <= 9:
        raise ValueError("the sequence number is one digit, 0 to 9")
    stamp = entered_at.astimezone(BEIJING).strftime(_STAMP)
    return f"{unit_code}_{stamp}_{sequence}"


def parse_identifier(value: str) -> GbtIdentifier:
    """Split an identifier into its parts; raise ``ValueError`` saying what is wrong."""
    problem = identifier_problem(value)
    if problem is not None:
        raise ValueError(problem)
    match = _IDENTIFIER.fullmatch(value)
    assert match is not None  # identifier_problem checked it
    return GbtIdentifier(
        unit_code=match["unit"], region=match["region"], sector=match["sector"],
        internal=match["internal"], extension=match["extension"],
        entered_at=datetime.strptime(match["stamp"], _STAMP).replace(tzinfo=BEIJING),
        sequence=int(match["sequence"]),
    )


def identifier_problem(value: str) -> str | None:
    """None if ``value`` is a well-formed identifier, else an English reason."""
    match = _IDENTIFIER.fullmatch(value)
    if match is None:
        return ("expected ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N: a 14-digit issuing-unit code, "
                "the entry time in Beijing time and a one-digit sequence number")
    try:
        datetime.strptime(match["stamp"], _STAMP)
    except ValueError:
        return f"{match['stamp']} is not a real date and time"
    return None
