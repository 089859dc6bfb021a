"""Import and export over HTTP: the same all-or-nothing rules as the command line."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from communitas.api.deps import CurrentPrincipal, SessionDep
from communitas.transfer import service

router = APIRouter(tags=["import and export"])

MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "geojson": "application/geo+json"}
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class ImportReport(BaseModel):
    kind: str
    file: str
    imported: int


@router.post("/api/import/{kind}", response_model=ImportReport)
def import_upload(kind: str, file: UploadFile, session: SessionDep,
                  principal: CurrentPrincipal) -> ImportReport:
    """Upload a .csv or .geojson file; a bad row rejects the whole file with every error."""
    name = Path(file.filename or "upload.csv").name
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(file.file.read(MAX_UPLOAD_BYTES + 1)[:MAX_UPLOAD_BYTES])
        count = service.import_file(session, principal=principal, kind=kind, path=path)
    session.commit()
    return ImportReport(kind=kind, file=name, imported=count)


@router.get("/api/export/{kind}")
def export_download(
    kind: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    format: Annotated[Literal["csv", "geojson"], Query()] = "csv",
    within: Annotated[str | None, Query(description="area code of a subtree")] = None,
) -> Response:
    """Download what the caller may see of ``kind``; sensitive fields are never included."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{kind}.{format}"
        service.export_file(session, principal=principal, kind=kind, path=path, within=within)
        body = path.read_bytes()
    return Response(body, media_type=MEDIA_TYPES[format], headers={
        "Content-Disposition": f'attachment; filename="{kind}.{format}"'})
