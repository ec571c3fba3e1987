"""Term planning (学期排班): the stored rosters, one roster in full, and planning it again from the page.

Reading: a cluster office, a planner and the bureau read a cluster's roster in full — the table, per
school, quota attainment per school with the rule it comes from, the leaders' week, mentoring pairs,
subsidies, and a best-effort roster's explanations beside the numbers they explain. A school user reads
its cluster's roster as it concerns its school: the rows going out of it or coming to it, nothing else.

Planning (planner, the cluster office for its cluster, the bureau): the "plan" button and the per-row
pin / forbid forms run `app.term_planning.plan_rotation` in this process with a small time limit and
store the next version (audited, actor = the signed-in name); the page then shows what changed against
the version it revised. The policy form and the what-if pages are in `term_policy` and `term_whatif`.
"""
from __future__ import annotations

import tempfile
from dataclasses import replace

from fastapi import APIRouter, Form, Request

from app.term_planning import RosterView, plan_rotation, roster_attainment, roster_view, stored_roster_scopes
from domain.labels import label
from service.web import reads, reads_term
from service.web.auth import Viewer, forbidden, not_found, page_lang
from service.web.i18n import translator
from service.web.pages import render
from service.web.routes.account import see_other
from service.web.routes import term_policy, term_whatif
from service.web.routes.district import Reader
from service.web.routes.term_access import may_plan, planner_of, roster_url, time_limit

router = APIRouter()
router.include_router(term_policy.router)
router.include_router(term_whatif.router)

def roster_for(url: str, viewer: Viewer, cluster_id: str, school_year: int, term: int) -> RosterView | None:
    """The roster as this viewer may read it (403 when the cluster is not theirs)."""
    if not viewer.scope.sees_cluster_results(cluster_id):
        raise forbidden()
    if reads.cluster_name(url, cluster_id) is None:
        raise not_found()
    view = roster_view(school_year, term, cluster_id, url=url)
    if view is not None and viewer.scope.role == "school":
        own = viewer.scope.school_id
        # its own rows; the shortfalls speak of every school of the cluster, so they stay with the office
        view = replace(view, rows=tuple(r for r in view.rows if own in (r.from_school_id, r.to_school_id)),
                       shortfalls=())
    return view


def solver_words(view: RosterView | None, lang: str) -> str:
    """The solver's status in words; a roster stored with shortfalls is a best-effort one, whatever the
    solver said of the full policy (INFEASIBLE there means the policy, not this roster)."""
    if view is None:
        return ""
    status = label("solver_status", view.solver_status or "", lang)
    if view.shortfalls or view.solver_status == "INFEASIBLE":
        best_effort = translator(lang)("best_effort_status")
        if view.solver_status in ("OPTIMAL", "FEASIBLE"):  # how good the best effort is
            return best_effort + (f"（{status}）" if lang == "zh" else f" ({status})")
        return best_effort
    return status


@router.get("/term")
def rosters(request: Request, viewer: Reader):
    url = request.app.state.url
    names = {c.cluster_id: c.name for c in reads.clusters(url)}
    scopes = [(year, term, cluster, names.get(cluster, cluster)) for year, term, cluster in stored_roster_scopes(url)
              if cluster is not None and term is not None and viewer.scope.sees_cluster_results(cluster)]
    return render(request, "term/index.html", viewer, scopes=scopes)


@router.get("/term/{cluster_id}/{school_year}/{term}")
def roster(request: Request, cluster_id: str, school_year: int, term: int, viewer: Reader, month: str | None = None):
    url = request.app.state.url
    lang = page_lang(request, viewer)
    view = roster_for(url, viewer, cluster_id, school_year, term)
    own_school = (reads.school(url, viewer.scope.school_id)
                  if viewer.scope.role == "school" and viewer.scope.school_id else None)
    full = own_school is None  # the office's view: every school of the cluster
    schools = reads_term.cluster_schools(url, cluster_id)
    if own_school is not None:
        schools = [(s, n) for s, n in schools if s == own_school.school_id]
    months = reads_term.leader_months(view) if view else []
    month = month if month in months else (months[0] if months else None)
    previous = reads_term.previous_version(url, view) if view and full else None
    return render(
        request, "term/roster.html", viewer, view=view, cluster_id=cluster_id,
        cluster_name=reads.cluster_name(url, cluster_id), school_year=school_year, term=term, own_school=own_school,
        solver_status=solver_words(view, lang),
        total_subsidy=sum(r.subsidy_yuan_per_month for r in view.rows) if view else 0,
        per_school=[(name, [r for r in view.rows if r.from_school_id == sid],
                     [r for r in view.rows if r.to_school_id == sid]) for sid, name in schools] if view else [],
        attainment=roster_attainment(school_year, term, cluster_id, url=url, lang=lang) if view and full else None,
        months=months, month=month, week=reads_term.leader_week(view, month, schools) if view and month else [],
        mentoring=reads_term.mentoring_pairs(url, school_year, term, cluster_id) if view and full else [],
        previous=previous, changes=reads_term.roster_changes(previous, view) if previous and view else [],
        may_plan=may_plan(viewer, cluster_id), hosts=reads_term.cluster_schools(url, cluster_id),
        planned=request.session.pop("planned", None),
        posting_kind=lambda code: label("posting_kind", code, lang))


def _plan(request: Request, viewer: Viewer, cluster_id: str, school_year: int, term: int, *,
          pins: list[dict] | None = None, forbids: list[dict] | None = None, what: str = ""):
    """Plan the roster again (revising the current version) and go back to the roster page."""
    url = request.app.state.url
    planner_of(url, viewer, cluster_id)
    for decision in (pins or []) + (forbids or []):
        if not reads_term.teacher_in_cluster(url, decision["teacher_id"], cluster_id):
            raise forbidden()  # a teacher of another cluster is not this planner's to decide
        if decision.get("to_school_id") and decision["to_school_id"] not in dict(
                reads_term.cluster_schools(url, cluster_id)):
            raise forbidden()
    with tempfile.TemporaryDirectory(prefix="xuequ-web-plan-") as out:  # the files are the CLI's; the page reads the DB
        result = plan_rotation(school_year, term, cluster_id, url=url, out_dir=out, lang=page_lang(request, viewer),
                               time_limit_s=time_limit(request), pins=pins, forbids=forbids, actor=viewer.name)
    request.session["planned"] = {"version": result.version, "what": what, "violations": len(result.violations)}
    return see_other(roster_url(cluster_id, school_year, term))


@router.post("/term/{cluster_id}/{school_year}/{term}/plan")
def plan(request: Request, cluster_id: str, school_year: int, term: int, viewer: Reader):
    return _plan(request, viewer, cluster_id, school_year, term, what="plan")


@router.post("/term/{cluster_id}/{school_year}/{term}/forbid")
def forbid(request: Request, cluster_id: str, school_year: int, term: int, viewer: Reader,
           teacher_id: str = Form(...)):
    return _plan(request, viewer, cluster_id, school_year, term, forbids=[{"teacher_id": teacher_id}],
                 what="forbid")


@router.post("/term/{cluster_id}/{school_year}/{term}/pin")
def pin(request: Request, cluster_id: str, school_year: int, term: int, viewer: Reader,
        teacher_id: str = Form(...), to_school_id: str = Form(...)):
    return _plan(request, viewer, cluster_id, school_year, term,
                 pins=[{"teacher_id": teacher_id, "to_school_id": to_school_id}], what="pin")
