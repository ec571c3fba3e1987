"""The cluster office's pages: the attainment ledger (督导台账) and a cluster's meetings and decisions.

The bureau sees every cluster side by side (and any one cluster in full); a cluster office (or a
cluster's planner) its own cluster; a school its own school's lines only. Meetings: the cluster's
office and the bureau, and the cluster's schools (the decisions name them as host or assisting)."""
from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.ledger import build_ledger, ledger_years, side_by_side
from app.meetings import cluster_meetings
from cluster_office.meetings import state_text
from domain.labels import label
from service.web import reads
from service.web.auth import Viewer, forbidden, not_found, reader, signed_in
from service.web.pages import page_lang, render

router = APIRouter()


def office_reader(viewer: Annotated[Viewer, Depends(signed_in)]) -> Viewer:
    return reader(viewer)


Reader = Annotated[Viewer, Depends(office_reader)]


@router.get("/office/ledger")
def ledger_page(request: Request, viewer: Reader, year: int | None = None, cluster: str | None = None):
    url = request.app.state.url
    lang = page_lang(request, viewer)
    scope = viewer.scope
    years = ledger_years(url)
    year = year if year is not None else (years[0] if years else None)
    if cluster is not None and not scope.sees_cluster(cluster):
        raise forbidden()
    if scope.role == "school":
        chosen = scope.cluster_id
    elif scope.district_wide:
        chosen = cluster
    else:
        chosen = scope.cluster_id
    if chosen is not None and reads.cluster_name(url, chosen) is None:
        raise not_found()
    result = build_ledger(year, chosen, url=url) if year is not None else None
    lines = list(result.lines) if result else []
    dossiers = list(result.dossiers) if result else []
    if scope.role == "school":  # a school: its own lines, and the exchange teachers it sends or hosts
        lines = [x for x in lines if x.school_id == scope.school_id]
        dossiers = [d for d in dossiers if scope.school_id in (d.home_school_id, *d.host_school_ids)]
    rows = side_by_side(result) if result and chosen is None else []
    return render(request, "office/ledger.html", viewer, year=year, years=years, ledger=result, lines=lines,
                  dossiers=dossiers, rows=rows, chosen=chosen,
                  clusters=sorted({x.cluster_id for x in result.lines}) if result else [],
                  rule_name=lambda code: label("ledger_rule", code, lang),
                  source_name=lambda code: label("ledger_source", code, lang), lang_detail=lang)


@router.get("/office/{cluster_id}/meetings")
def meetings_page(request: Request, cluster_id: str, viewer: Reader):
    url = request.app.state.url
    if not viewer.scope.sees_cluster_results(cluster_id):
        raise forbidden()
    name = reads.cluster_name(url, cluster_id)
    if name is None:
        raise not_found()
    lang = page_lang(request, viewer)
    views = cluster_meetings(cluster_id, url=url)
    schools = {s.school_id: s.name for s in reads.schools_of_cluster(url, cluster_id)}
    today = dt.date.today()  # an open decision past its deadline today needs a reason at the next meeting
    return render(request, "office/meetings.html", viewer, cluster_id=cluster_id, cluster_name=name, views=views,
                  today=today,
                  schools=schools, kind_name=lambda k: label("meeting_kind", k, lang),
                  meeting_state=lambda s: label("meeting_status", s, lang),
                  decision_state=lambda d, day: state_text(d, day, lang))
