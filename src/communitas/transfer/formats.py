"""Reading and writing CSV and GeoJSON as flat rows, each with its line or feature number."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from communitas.errors import ImportRejected
from communitas.i18n import _

FORMATS = ("csv", "geojson")


@dataclass(frozen=True)
class SourceRow:
    line: int  # CSV: the line in the file (header is line 1); GeoJSON: the feature's number
    fields: dict[str, Any]
    geometry: dict[str, Any] | None = None


def format_of(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "json":
        suffix = "geojson"
    if suffix not in FORMATS:
        raise ImportRejected(_("Unsupported file type {value}; use .csv or .geojson"),
                             code="unsupported_format", value=path.suffix,
                             details={"file": path.name})
    return suffix


def read_rows(path: Path) -> list[SourceRow]:
    if format_of(path) == "csv":
        return list(_read_csv(path))
    return list(_read_geojson(path))


def _read_csv(path: Path) -> Iterator[SourceRow]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            for record in reader:
                if None in record:
                    raise ImportRejected(
                        _("Line {line} of {file} has more values than the header"),
                        code="import_malformed", line=reader.line_num, file=path.name,
                        details={"file": path.name, "line": reader.line_num})
                if not any((v or "").strip() for v in record.values()):
                    continue
                yield SourceRow(reader.line_num,
                                {k.strip(): (v or "").strip() for k, v in record.items()})
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ImportRejected(_("{file} is not a readable UTF-8 CSV file"),
                             code="import_malformed", file=path.name,
                             details={"file": path.name, "reason": str(exc)}) from exc


def _read_geojson(path: Path) -> Iterator[SourceRow]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportRejected(_("{file} is not valid GeoJSON"), code="import_malformed",
                             file=path.name, details={"file": path.name,
                                                      "reason": str(exc)}) from exc
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ImportRejected(_("{file} is not valid GeoJSON"), code="import_malformed",
                             file=path.name,
                             details={"file": path.name, "reason": "not a FeatureCollection"})
    for number, feature in enumerate(document.get("features") or [], start=1):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(properties, dict):
            raise ImportRejected(_("{file} is not valid GeoJSON"), code="import_malformed",
                                 file=path.name, details={"file": path.name, "feature": number,
                                                          "reason": "feature without properties"})
        yield SourceRow(number, properties, feature.get("geometry"))


def write_rows(path: Path, columns: list[str], rows: Iterable[SourceRow]) -> int:
    """Write rows in the format of ``path``'s extension; returns how many were written."""
    count = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    if format_of(path) == "csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: _csv_value(row.fields.get(k)) for k in columns})
                count += 1
        return count
    features = []
    for row in rows:
        features.append({"type": "Feature", "geometry": row.geometry,
                         "properties": {k: row.fields.get(k) for k in columns}})
        count += 1
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False, indent=1), encoding="utf-8")
    return count


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)
