"""Plain copies of table rows for the batch paths: read without ORM loading, changed in
place by the same rule code that changes ORM objects, written back with one executemany
UPDATE per set of changed columns (new rows go in by ``db.insert_rows``).

Thousands of ORM objects per drill round cost more to load, track and flush than the rules
cost to apply; the copies leave the same rows. ORM objects the session already holds for
rows written back are expired, so they read the new values. Shared by the batch paths of
tasks and dispatch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from communitas.db import IN_CHUNK

__all__ = ["RowCopy", "mapped_columns", "read_chosen", "read_copies", "update_rows",
           "write_back"]


class RowCopy:
    """One row's columns as attributes (every mapped column, or those a reader chose), with
    what they were when read (or last written back)."""

    id: int

    def __init__(self, keys: tuple[str, ...], values: dict[str, Any]) -> None:
        self.__dict__.update(values)
        self.keys, self.read_values = keys, values

    def __getattr__(self, name: str) -> Any:  # only for names not read: typed as Any
        raise AttributeError(name)

    def changes(self) -> dict[str, Any]:
        now = self.__dict__
        return {key: now[key] for key in self.keys if now[key] != self.read_values[key]}

    def written(self) -> None:
        self.read_values = {key: self.__dict__[key] for key in self.keys}


_MAPPED: dict[type[Any], tuple[tuple[str, ...], dict[str, Any]]] = {}


def mapped_columns(model: type[Any]) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The attribute keys of every mapped column (a copy's keys, in column order), and each
    key's table column."""
    if model not in _MAPPED:
        table = cast(Table, model.__table__)
        columns = {attr.key: table.c[attr.columns[0].key]
                   for attr in model.__mapper__.column_attrs}
        _MAPPED[model] = (tuple(columns), columns)
    return _MAPPED[model]


_READS: dict[tuple[type[Any], bool], Any] = {}  # (model, locked) → the read, built once


def read_copies(session: Session, model: type[Any], ids: Sequence[int], *, lock: bool = False
                ) -> dict[int, RowCopy]:
    """Rows of ``model`` by id, every mapped column, read in id order a chunk at a time
    (locked when asked, as ``db.rows_by_id``). Pending changes are flushed first, as an ORM
    query would."""
    table, (keys, by_key) = cast(Table, model.__table__), mapped_columns(model)
    if session.autoflush:
        session.flush()
    query = _READS.get((model, lock))
    if query is None:
        # the ids go as one expanding parameter: an IN list of literals has every value
        # coerced and the statement built again for each chunk
        query = select(*by_key.values()) \
            .where(table.c.id.in_(bindparam("ids", expanding=True))).order_by(table.c.id)
        if lock:
            query = query.with_for_update(of=table)
        _READS[(model, lock)] = query
    return {i: copy for i, (copy, _none) in
            _run(session, query, keys, sorted(set(ids)), RowCopy).items()}


def read_chosen(session: Session, query: Any, keys: tuple[str, ...], ids: Sequence[int], *,
                copy: type[RowCopy] = RowCopy) -> dict[int, tuple[RowCopy, tuple[Any, ...]]]:
    """:func:`read_copies` with a read its caller built once: ``keys``' columns (``id``
    among them), then any extra columns, of the rows whose ids are bound as the expanding
    parameter ``ids``, in id order. The copies (of class ``copy``) hold only those keys."""
    if session.autoflush:
        session.flush()
    return _run(session, query, keys, sorted(set(ids)), copy)


def _run(session: Session, query: Any, keys: tuple[str, ...], ordered: list[int],
         copy: type[RowCopy]) -> dict[int, tuple[RowCopy, tuple[Any, ...]]]:
    found: dict[int, tuple[RowCopy, tuple[Any, ...]]] = {}
    width = len(keys)
    for start in range(0, len(ordered), IN_CHUNK):
        for row in session.execute(query, {"ids": ordered[start:start + IN_CHUNK]}):
            made = copy(keys, dict(zip(keys, row, strict=False)))
            found[made.id] = (made, tuple(row[width:]))
    return found


_UPDATES: dict[tuple[type[Any], tuple[str, ...]], Any] = {}


def _update(model: type[Any], keys: tuple[str, ...]) -> Any:
    """The UPDATE of ``keys`` by row id, built once per model and set of columns (a batch
    of a few rows costs less to run than to build the statement)."""
    if (model, keys) not in _UPDATES:
        table, columns = cast(Table, model.__table__), mapped_columns(model)[1]
        _UPDATES[(model, keys)] = update(table).where(table.c.id == bindparam("row_id")) \
            .values({columns[k]: bindparam(f"new_{k}", type_=columns[k].type) for k in keys})
    return _UPDATES[(model, keys)]


def update_rows(session: Session, model: type[Any],
                changes: Iterable[tuple[int, dict[str, Any]]]) -> None:
    """Write ``changes`` (row id, {attribute key: new value}) with one executemany UPDATE
    per set of changed columns: the one write of every batch path, whether its rows are
    copies (:func:`write_back`) or ORM objects it then marks written itself."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row_id, values in changes:
        if values:
            groups.setdefault(tuple(sorted(values)), []).append(
                {"row_id": row_id, **{f"new_{k}": v for k, v in values.items()}})
    for keys, params in groups.items():
        session.connection().execute(_update(model, keys), params)


def write_back(session: Session, model: type[Any], copies: Sequence[RowCopy]) -> None:
    """The changes of ``copies`` (a row may appear more than once), one executemany UPDATE
    per set of changed columns; held ORM objects of these rows are expired."""
    latest: dict[int, dict[str, Any]] = {}
    for copy in copies:
        latest.setdefault(copy.id, {}).update(copy.changes())
    update_rows(session, model, latest.items())
    for copy in copies:
        copy.written()
    for row_id in latest:
        held = session.identity_map.get((model, (row_id,), None))  # the identity key
        if held is not None:
            session.expire(held)
