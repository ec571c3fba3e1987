"""Term planning (学期排班), read-only in this slice: the stored rosters, and one roster as a table.

A school user reads its cluster's roster as it concerns its school: the rows going out of it or
coming to it.
"""
from __future__ import annotations

from fastapi import APIRouter, Request

from app.term_planning import RosterView, roster_view, stored_roster_scopes
from domain.labels import label
from service.web import reads
from service.web.auth import Viewer, forbidden, not_found, page_lang
from service.web.i18n import translator
from service.web.pages import render
from service.web.routes.district import Reader

router = APIRouter()


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
        view = RosterView(**{**view.__dict__, "rows": tuple(r for r in view.rows
                                                             if own in (r.from_school_id, r.to_school_id)),
                             "shortfalls": ()})
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
def roster(request: Request, cluster_id: str, school_year: int, term: int, viewer: Reader):
    url = request.app.state.url
    view = roster_for(url, viewer, cluster_id, school_year, term)
    own_school = (reads.school(url, viewer.scope.school_id)
                  if viewer.scope.role == "school" and viewer.scope.school_id else None)
    return render(request, "term/roster.html", viewer, view=view, cluster_id=cluster_id,
                  cluster_name=reads.cluster_name(url, cluster_id), school_year=school_year, term=term,
                  own_school=own_school, solver_status=solver_words(view, page_lang(request, viewer)),
                  total_subsidy=sum(r.subsidy_yuan_per_month for r in view.rows) if view else 0)
