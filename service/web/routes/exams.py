"""The exam seasons (考试季): the exams a viewer may follow, and each season's stages in pipeline order."""
from __future__ import annotations

from fastapi import APIRouter, Request

from app.exam_season import season_status
from service.web import reads
from service.web.auth import Viewer, forbidden, not_found, page_lang
from service.web.pages import render
from service.web.routes.district import Reader

router = APIRouter()


def exam_or_refuse(url: str, viewer: Viewer, exam_id: str) -> reads.ExamRow:
    row = reads.exam(url, exam_id)
    if row is None:
        raise not_found() if viewer.scope.district_wide else forbidden()
    if not viewer.scope.sees_exam(row.cluster_id):
        raise forbidden()
    return row


@router.get("/exams")
def exams(request: Request, viewer: Reader):
    visible = [e for e in reads.exams(request.app.state.url) if viewer.scope.sees_exam(e.cluster_id)]
    return render(request, "exams/index.html", viewer, exams=visible)


@router.get("/exams/{exam_id}/season")
def season(request: Request, exam_id: str, viewer: Reader):
    url = request.app.state.url
    row = exam_or_refuse(url, viewer, exam_id)
    status = season_status(exam_id, url=url, lang=page_lang(request, viewer))
    next_label = next((r.label for r in status.rows if r.stage == status.next_stage), None)
    return render(request, "exams/season.html", viewer, exam=row, status=status, next_label=next_label)
