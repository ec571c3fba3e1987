"""The exam seasons (考试季): the exams a viewer may follow, each season's stages in pipeline order, and
the season's work in the browser: paper review (审题), invigilation (监考) with its repair after an
absence, marking groups (题组) and live progress, and the 三率一分 results by school.

Who may do what (checked here on the server, for pages and JSON alike):
- the stages of a season: everyone who may follow the exam (`Scope.sees_exam`);
- the papers, the invigilation and marking plans: the exam's office — the bureau (every exam), a
  cluster office or a cluster's planner (their cluster's exams); a school never sees a paper;
- reviewing a paper and repairing the invigilation: the bureau and the cluster office of the exam;
- results: every school row the viewer may see (`Scope.sees_school`); a school user its own only,
  and 403 on another school's page.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from app.exam_season import season_status
from service.web import i18n_season  # noqa: F401  (the season pages' words join the table)
from service.web import reads, reads_season
from service.web.auth import Viewer, forbidden, not_found, page_lang, reader, signed_in_api
from service.web.i18n import translator
from service.web.pages import render
from service.web.routes.account import see_other
from service.web.routes.district import Reader

router = APIRouter()
api = APIRouter(prefix="/api/console", tags=["console"])

OFFICE_ROLES = ("bureau", "cluster", "planner")
ACTING_ROLES = ("bureau", "cluster")  # who reviews papers and repairs plans (a planner reads them)
REFRESH_SECONDS = 10
REPAIR_SECONDS = 20.0  # the solver's limit for a repair (as `xuequ invigilation repair`)
FLASH = "season_flash"
Decision = Literal["approve", "reject", "swap"]
DECISIONS: dict[str, Decision] = {"approve": "approve", "reject": "reject", "swap": "swap"}


def exam_or_refuse(url: str, viewer: Viewer, exam_id: str) -> reads.ExamRow:
    row = reads.exam(url, exam_id)
    if row is None:
        raise not_found() if viewer.scope.district_wide else forbidden()
    if not viewer.scope.sees_exam(row.cluster_id):
        raise forbidden()
    return row


def office_exam(url: str, viewer: Viewer, exam_id: str, roles: tuple[str, ...] = OFFICE_ROLES) -> reads.ExamRow:
    """The exam when the viewer works in its office (a district-wide exam: the bureau's); else 403."""
    row = exam_or_refuse(url, viewer, exam_id)
    if viewer.role not in roles or not viewer.scope.sees_cluster(row.cluster_id):
        raise forbidden()
    return row


def may_act(viewer: Viewer, exam: reads.ExamRow) -> bool:
    return viewer.role in ACTING_ROLES and viewer.scope.sees_cluster(exam.cluster_id)


def may_read_office(viewer: Viewer, exam: reads.ExamRow) -> bool:
    return viewer.role in OFFICE_ROLES and viewer.scope.sees_cluster(exam.cluster_id)


def season_page(request: Request, template: str, viewer: Viewer, exam: reads.ExamRow, **context):
    """A page of the season, with the links to the season's pages this viewer may open."""
    return render(request, template, viewer, exam=exam, office=may_read_office(viewer, exam),
                  reviews=may_act(viewer, exam), **context)


def subject_or_404(url: str, exam_id: str, subject: str) -> str:
    if subject not in reads_season.exam_subjects(url, exam_id):
        raise not_found()
    return subject


def refresh_seconds(request: Request) -> int:
    return int(getattr(request.app.state, "refresh_seconds", REFRESH_SECONDS))


def take_flash(request: Request) -> str | None:
    return request.session.pop(FLASH, None)


def put_flash(request: Request, text: str) -> None:
    request.session[FLASH] = text[:1500]  # the session is a cookie: keep it small


def visible_results(viewer: Viewer, rows: list[reads_season.SchoolResult]) -> list[reads_season.SchoolResult]:
    return [r for r in rows if viewer.scope.sees_school(r.school_id, r.cluster_id)]


def school_of_report(url: str, viewer: Viewer, school_id: str) -> reads.SchoolRow:
    row = reads.school(url, school_id)
    if row is None:
        raise not_found() if viewer.scope.district_wide else forbidden()
    if not viewer.scope.sees_school(row.school_id, row.cluster_id):
        raise forbidden()
    return row


# --- the seasons and their stages ---

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
    return season_page(request, "exams/season.html", viewer, row, status=status, next_label=next_label)


# --- paper review (审题) ---

@router.get("/exams/{exam_id}/papers")
def papers(request: Request, exam_id: str, viewer: Reader):
    url = request.app.state.url
    exam = office_exam(url, viewer, exam_id, ACTING_ROLES)
    return season_page(request, "exams/papers.html", viewer, exam,
                  papers=reads_season.papers(url, exam_id, page_lang(request, viewer)))


@router.get("/exams/{exam_id}/papers/{subject}")
def paper(request: Request, exam_id: str, subject: str, viewer: Reader):
    url = request.app.state.url
    exam = office_exam(url, viewer, exam_id, ACTING_ROLES)
    subject_or_404(url, exam_id, subject)
    lang = page_lang(request, viewer)
    return season_page(request, "exams/paper.html", viewer, exam, subject=subject,
                  subject_name=reads_season.subject_name(subject, lang),
                  paper=reads_season.paper(url, exam_id, subject, lang), flash=take_flash(request))


@router.post("/exams/{exam_id}/papers/{subject}/review")
async def review(request: Request, exam_id: str, subject: str, viewer: Reader):
    """Approve, reject with a comment, or swap the ticked questions: through `submit_review`, which hands
    the review to a paused `paper-approval` run waiting for this paper (with a Prefect API), or applies
    it here (`app.paper_setting.apply_review`). A swap the blueprint cannot absorb keeps the draft and
    its reason is shown."""
    url = request.app.state.url
    office_exam(url, viewer, exam_id, ACTING_ROLES)
    subject_or_404(url, exam_id, subject)
    form = await request.form()
    lang = page_lang(request, viewer)
    t = translator(lang)
    decision = DECISIONS.get(str(form.get("decision", "")))
    comment = str(form.get("comment", "")).strip()[:500]
    remove = tuple(dict.fromkeys(str(v) for v in form.getlist("remove")))
    here = f"/exams/{exam_id}/papers/{subject}"
    if decision is None:
        raise not_found()
    if decision == "swap" and not remove:
        put_flash(request, t("swap_needs_ticks"))
        return see_other(here)
    if decision == "reject" and not comment:
        put_flash(request, t("reject_needs_comment"))
        return see_other(here)
    current = reads_season.paper(url, exam_id, subject, lang)
    if current is None or not set(remove) <= {q.item_id for q in current.questions}:
        raise not_found()  # a question that is not on this paper: a stale or forged form
    summary = await run_in_threadpool(_submit_review, url, exam_id, subject, decision, viewer.name, comment,
                                      remove if decision == "swap" else (), lang)
    put_flash(request, summary)
    return see_other(here)


def _submit_review(url: str, exam_id: str, subject: str, decision: Decision, reviewer: str, comment: str,
                   remove: tuple[str, ...], lang: str) -> str:
    import flows  # noqa: F401  (Prefect's settings before Prefect is imported, as the command line does)
    from flows.question_setting import PaperReview, submit_review

    review = PaperReview(decision=decision, reviewer=reviewer, comment=comment, remove_items=list(remove))
    return submit_review(exam_id, subject, review, db_url=url, lang=lang)


@api.get("/exams/{exam_id}/papers/{subject}", summary="A subject's latest paper, question by question, with its "
         "blueprint coverage")
def paper_json(request: Request, exam_id: str, subject: str,
               viewer: Annotated[Viewer, Depends(signed_in_api)], lang: str = "zh") -> dict[str, Any]:
    url = request.app.state.url
    exam = office_exam(url, reader(viewer), exam_id, ACTING_ROLES)
    subject_or_404(url, exam_id, subject)
    view = reads_season.paper(url, exam_id, subject, "en" if lang == "en" else "zh")
    if view is None:
        return {"exam": asdict(exam), "paper": None}
    out = asdict(view) | {"created_at": view.created_at.isoformat()}
    out["coverage"] = [asdict(c) | {"short": c.short} for c in view.coverage]
    return {"exam": asdict(exam), "paper": out}


# --- invigilation (监考) ---

def logistics_out(request: Request, exam_id: str) -> str:
    """Where a repair writes the plan's files (invigilation.csv, notices, room sheets): the app's
    `out_dir` if set, else XUEQU_OUT (default `out`), under exam/<exam>/logistics as `xuequ demo` does."""
    base = getattr(request.app.state, "out_dir", None) or os.environ.get("XUEQU_OUT", "out")
    return str(Path(base) / "exam" / exam_id / "logistics")


@router.get("/exams/{exam_id}/invigilation")
def invigilation(request: Request, exam_id: str, viewer: Reader):
    url = request.app.state.url
    exam = office_exam(url, viewer, exam_id)
    return _invigilation_page(request, viewer, exam)


def _invigilation_page(request: Request, viewer: Viewer, exam: reads.ExamRow, **extra):
    url = request.app.state.url
    view = reads_season.invigilation(url, exam.exam_id, page_lang(request, viewer))
    return season_page(request, "exams/invigilation.html", viewer, exam, view=view, acts=may_act(viewer, exam),
                  **({"changes": None, "failure": None, "chosen": None} | extra))


@router.post("/exams/{exam_id}/invigilation/repair")
async def repair(request: Request, exam_id: str, viewer: Reader):
    """An absent teacher's duties to others, the rest kept (`app.exam_logistics.replan_invigilation`),
    and what changed, with names (`change_lines`)."""
    url = request.app.state.url
    exam = office_exam(url, viewer, exam_id, ACTING_ROLES)
    form = await request.form()
    teacher = str(form.get("teacher", ""))
    lang = page_lang(request, viewer)
    view = reads_season.invigilation(url, exam_id, lang)
    if view is None or teacher not in {t.teacher_id for t in view.by_teacher}:
        return _invigilation_page(request, viewer, exam, failure=[translator(lang)("unknown_teacher")])
    seconds = float(getattr(request.app.state, "repair_seconds", REPAIR_SECONDS))
    headline, lines, failed = await run_in_threadpool(_repair, url, exam_id, teacher, logistics_out(request, exam_id),
                                                      seconds, viewer.name, lang)
    if failed:
        return _invigilation_page(request, viewer, exam, failure=[headline, *lines], chosen=teacher)
    return _invigilation_page(request, viewer, exam, changes=(headline, lines), chosen=teacher)


def _repair(url: str, exam_id: str, teacher_id: str, out_dir: str, seconds: float, actor: str,
            lang: str) -> tuple[str, list[str], bool]:
    """(headline, lines, failed) of a repair, as `xuequ invigilation repair --absent T` says it."""
    from app.exam_logistics import change_lines, replan_invigilation
    from domain.labels import label

    t = translator(lang)
    result = replan_invigilation(exam_id, db_url=url, out_dir=out_dir, absent=[teacher_id], time_limit_s=seconds,
                                 actor=actor)
    if not result.version:
        status = label("plan_status", result.status, lang)
        return t("repair_failed", status=status), result.violations[:20], True
    return (t("repair_done", version=result.version, n=len(result.changes)),
            change_lines(result.changes, result.data, lang), False)


@api.get("/exams/{exam_id}/invigilation", summary="The current invigilation plan by site and session, with names")
def invigilation_json(request: Request, exam_id: str,
                      viewer: Annotated[Viewer, Depends(signed_in_api)], lang: str = "zh") -> dict[str, Any]:
    url = request.app.state.url
    exam = office_exam(url, reader(viewer), exam_id)
    view = reads_season.invigilation(url, exam_id, "en" if lang == "en" else "zh")
    if view is None:
        return {"exam": asdict(exam), "plan": None}
    return {"exam": asdict(exam), "plan": {"version": view.version, "status": view.status_label,
                                           "created_by": view.created_by, "created_at": view.created_at.isoformat()},
            "duties": [asdict(d) for s in view.by_site for d in s.duties],
            "teachers": [{"teacher_id": t.teacher_id, "name": t.name, "school": t.school,
                          "sessions": len(t.duties), "km": round(t.km, 1)} for t in view.by_teacher]}


# --- marking (阅卷) ---

@router.get("/exams/{exam_id}/marking")
def marking(request: Request, exam_id: str, viewer: Reader):
    url = request.app.state.url
    exam = office_exam(url, viewer, exam_id)
    lang = page_lang(request, viewer)
    return season_page(request, "exams/marking.html", viewer, exam,
                  groups=reads_season.marking_groups(url, exam_id, lang),
                  progress=reads_season.marking_progress(url, exam_id, lang), refresh=refresh_seconds(request),
                  now=dt.datetime.now().strftime("%H:%M:%S"))


@router.get("/exams/{exam_id}/marking/progress")
def marking_progress_fragment(request: Request, exam_id: str, viewer: Reader):
    """The progress table alone, for the page's script to swap in every few seconds."""
    url = request.app.state.url
    exam = office_exam(url, viewer, exam_id)
    return render(request, "exams/_progress.html", viewer, exam=exam,
                  progress=reads_season.marking_progress(url, exam_id, page_lang(request, viewer)),
                  refresh=refresh_seconds(request), now=dt.datetime.now().strftime("%H:%M:%S"))


@api.get("/exams/{exam_id}/marking/progress", summary="Live marking progress per item group")
def marking_progress_json(request: Request, exam_id: str,
                          viewer: Annotated[Viewer, Depends(signed_in_api)], lang: str = "zh") -> dict[str, Any]:
    url = request.app.state.url
    office_exam(url, reader(viewer), exam_id)
    return {"groups": [asdict(r) for r in reads_season.marking_progress(url, exam_id, "en" if lang == "en" else "zh")]}


# --- results (成绩分析: 三率一分) ---

@router.get("/exams/{exam_id}/report")
def report(request: Request, exam_id: str, viewer: Reader):
    url = request.app.state.url
    exam = exam_or_refuse(url, viewer, exam_id)
    if viewer.role == "school" and viewer.scope.school_id:
        return see_other(f"/exams/{exam_id}/report/schools/{viewer.scope.school_id}")
    rows = reads_season.school_results(url, exam_id, page_lang(request, viewer))
    return season_page(request, "exams/report.html", viewer, exam, school=None,
                  rows=None if rows is None else visible_results(viewer, rows))


@router.get("/exams/{exam_id}/report/schools/{school_id}")
def school_report(request: Request, exam_id: str, school_id: str, viewer: Reader):
    url = request.app.state.url
    exam = exam_or_refuse(url, viewer, exam_id)
    school = school_of_report(url, viewer, school_id)
    rows = reads_season.school_results(url, exam_id, page_lang(request, viewer))
    return season_page(request, "exams/report.html", viewer, exam, school=school,
                  rows=None if rows is None else [r for r in rows if r.school_id == school_id])


@api.get("/exams/{exam_id}/report", summary="三率一分 by school and subject: the rows the viewer may see")
def report_json(request: Request, exam_id: str,
                viewer: Annotated[Viewer, Depends(signed_in_api)], lang: str = "zh") -> dict[str, Any]:
    url = request.app.state.url
    exam = exam_or_refuse(url, reader(viewer), exam_id)
    rows = reads_season.school_results(url, exam_id, "en" if lang == "en" else "zh")
    return {"exam": asdict(exam), "rows": None if rows is None else [asdict(r) for r in visible_results(viewer, rows)]}


@api.get("/exams/{exam_id}/report/schools/{school_id}", summary="三率一分 of one school, subject by subject")
def school_report_json(request: Request, exam_id: str, school_id: str,
                       viewer: Annotated[Viewer, Depends(signed_in_api)], lang: str = "zh") -> dict[str, Any]:
    url = request.app.state.url
    exam = exam_or_refuse(url, reader(viewer), exam_id)
    school_of_report(url, viewer, school_id)
    rows = reads_season.school_results(url, exam_id, "en" if lang == "en" else "zh")
    return {"exam": asdict(exam), "school_id": school_id,
            "rows": None if rows is None else [asdict(r) for r in rows if r.school_id == school_id]}
