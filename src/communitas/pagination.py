"""Paging a SQLAlchemy select into a Page."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


def paginate(session: Session, query: Select[Any], *, page: int, page_size: int) -> tuple[
    list[Any], int
]:
    """Run ``query`` for one page; return (rows, total matching rows)."""
    total = session.execute(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.execute(query.limit(page_size).offset((page - 1) * page_size)).scalars().all()
    return list(rows), int(total.scalar_one())
