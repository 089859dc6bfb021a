"""The one check that a batch of new codes is unique, in itself and against the table."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from communitas.errors import Conflict
from communitas.i18n import _

CHUNK = 500  # keeps IN lists well inside every backend's parameter limit


def refuse_duplicate_codes(
    session: Session, column: InstrumentedAttribute[str], codes: list[str]
) -> None:
    """Conflict ``duplicate_code`` if a code repeats in the batch or already exists."""
    clashes = {c for c, n in Counter(codes).items() if n > 1}
    for start in range(0, len(codes), CHUNK):
        chunk = codes[start:start + CHUNK]
        clashes.update(session.execute(select(column).where(column.in_(chunk))).scalars())
    if clashes:
        ordered = sorted(clashes)
        raise Conflict(_("Duplicate code {value}"), code="duplicate_code", value=ordered[0],
                       details={"codes": ordered[:20]})
