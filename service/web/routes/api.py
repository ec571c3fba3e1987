"""JSON for programs, under the same access rules as the pages, and the API docs page served locally.

FastAPI's own /docs loads Swagger UI from a CDN, blank without internet: the console switches it
off and lists the endpoints of its OpenAPI schema (and the marker API's) on a page of its own.
"""
from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from app.exam_season import season_status
from service.web import reads
from service.web.auth import Viewer, reader, signed_in_api, viewer_or_none
from service.web.pages import render
from service.web.routes.district import school_or_refuse
from service.web.routes.exams import exam_or_refuse
from service.web.routes.term import roster_for

router = APIRouter(prefix="/api/console", tags=["console"])
pages = APIRouter()


def api_reader(viewer: Annotated[Viewer, Depends(signed_in_api)]) -> Viewer:
    return reader(viewer)


ApiReader = Annotated[Viewer, Depends(api_reader)]


@router.get("/me", summary="Who is signed in, and what they may see")
def me(viewer: Annotated[Viewer, Depends(signed_in_api)]) -> dict[str, Any]:
    return {"name": viewer.name, "role": viewer.role, "cluster_id": viewer.scope.cluster_id,
            "school_id": viewer.scope.school_id, "district_wide": viewer.scope.district_wide}


@router.get("/schools/{school_id}", summary="A school and its teachers")
def school(request: Request, school_id: str, viewer: ApiReader) -> dict[str, Any]:
    url = request.app.state.url
    row = school_or_refuse(url, viewer, school_id)
    found, total = reads.teachers(url, [row.school_id])
    return {"school": asdict(row), "teachers": [asdict(t) for t in found], "teachers_total": total}


@router.get("/exams/{exam_id}/season", summary="An exam season's stages in pipeline order")
def season(request: Request, exam_id: str, viewer: ApiReader, lang: str = "zh") -> dict[str, Any]:
    url = request.app.state.url
    exam = exam_or_refuse(url, viewer, exam_id)
    status = season_status(exam_id, url=url, lang="en" if lang == "en" else "zh")
    return {"exam": asdict(exam), "next_stage": status.next_stage,
            "stages": [{"stage": r.stage, "label": r.label, "status": r.status, "status_label": r.status_label,
                        "updated": r.updated.isoformat() if r.updated else None, "message": r.message}
                       for r in status.rows]}


@router.get("/term/{cluster_id}/{school_year}/{term}", summary="The current rotation roster of a cluster and term")
def roster(request: Request, cluster_id: str, school_year: int, term: int, viewer: ApiReader) -> dict[str, Any]:
    view = roster_for(request.app.state.url, viewer, cluster_id, school_year, term)
    if view is None:
        return {"roster": None}
    return {"roster": {k: v for k, v in asdict(view).items() if k != "rows"} | {"created_at": view.created_at.isoformat()},
            "rows": [asdict(r) for r in view.rows]}


def endpoints(schema: dict[str, Any], prefix: str = "") -> list[dict[str, str]]:
    rows = []
    for path, methods in sorted(schema.get("paths", {}).items()):
        for method, operation in methods.items():
            rows.append({"method": method.upper(), "path": prefix + path,
                         "summary": operation.get("summary") or operation.get("description", "").split("\n")[0]})
    return rows


@pages.get("/docs", include_in_schema=False)
def docs(request: Request):
    """The API docs, rendered here from the OpenAPI schemas: nothing loaded from another host."""
    console = [e for e in endpoints(request.app.openapi()) if e["path"].startswith("/api/")]
    marker_app = getattr(request.app.state, "marker_api", None)
    marker = endpoints(marker_app.openapi(), "/api/marking") if marker_app is not None else []
    return render(request, "docs.html", viewer_or_none(request), console=console, marker=marker)


@pages.get("/api/marking/docs", include_in_schema=False)
@pages.get("/api/marking/redoc", include_in_schema=False)
def marker_docs(request: Request):
    """The mounted marker API's own /docs and /redoc would load Swagger UI or ReDoc from a CDN; this page
    replaces both."""
    return docs(request)
