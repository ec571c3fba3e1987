"""The cluster office's pages: the attainment ledger (督导台账) and a cluster's meetings and decisions.

The bureau sees every cluster side by side (and any one cluster in full); a cluster office (or a
cluster's planner) its own cluster; a school its own school's lines only. Meetings: the cluster's
office and the bureau, and the cluster's schools (the decisions name them as host or assisting).

Meetings from the page, each through its `app.meetings` use case (who and when recorded there): the
office (the planning roles of `term_access.may_plan`) schedules a meeting, records decisions (a form
per decision, or the minutes' decisions.csv) and changes a decision's state; a school submits agenda
items for its own school (the office may too). A refusal is a message on the page, nothing written."""
from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.ledger import build_ledger, ledger_years, side_by_side
from app.errors import UserError
from app.meetings import (add_agenda_item, add_decision, cluster_meetings, new_meeting, record_minutes,
                          set_decision_state)
from bundle.problems import BundleError
from cluster_office.meetings import MEETING_KINDS, state_text
from domain.labels import label
from service.web import reads
from service.web.auth import Viewer, forbidden, not_found, reader, signed_in
from service.web.i18n import translator
from service.web.pages import page_lang, render
from service.web.routes.account import see_other
from service.web.routes.term_access import may_plan

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
    own = viewer.scope.school_id if viewer.scope.role == "school" else None
    return render(request, "office/meetings.html", viewer, cluster_id=cluster_id, cluster_name=name, views=views,
                  today=today, may_manage=may_plan(viewer, cluster_id), own_school=own,
                  flash=request.session.pop(MEETINGS_FLASH, None), kinds=MEETING_KINDS,
                  schools=schools, kind_name=lambda k: label("meeting_kind", k, lang),
                  meeting_state=lambda s: label("meeting_status", s, lang),
                  decision_state=lambda d, day: state_text(d, day, lang))


# --- meetings from the page ------------------------------------------------------------------------------

MEETINGS_FLASH = "meetings_flash"
MAX_MINUTES_BYTES = 1_000_000  # a decisions.csv is a few kilobytes


def _meetings_url(cluster_id: str, anchor: str = "") -> str:
    return f"/office/{cluster_id}/meetings" + (f"#{anchor}" if anchor else "")


def _office(request: Request, viewer: Viewer, cluster_id: str) -> None:
    """The office's actions (schedule, decide, change a state): the planning roles of the cluster."""
    if not may_plan(viewer, cluster_id):
        raise forbidden()
    if reads.cluster_name(request.app.state.url, cluster_id) is None:
        raise not_found()


def _meeting_of(request: Request, cluster_id: str, meeting_id: str) -> None:
    """A meeting of this cluster (another cluster's is no page here)."""
    if meeting_id not in {v.meeting.meeting_id for v in cluster_meetings(cluster_id, url=request.app.state.url)}:
        raise not_found()


def _done(request: Request, cluster_id: str, text: str, anchor: str = ""):
    request.session[MEETINGS_FLASH] = {"ok": True, "text": text}
    return see_other(_meetings_url(cluster_id, anchor))


def _refused(request: Request, cluster_id: str, text: str, *, form: str = "", values: dict | None = None,
             problems: list[str] | None = None, anchor: str = ""):
    """Back to the page with the message (what, what to do), the form's values kept; nothing was written."""
    request.session[MEETINGS_FLASH] = {"ok": False, "text": text, "form": form, "values": values or {},
                                       "problems": problems or []}
    return see_other(_meetings_url(cluster_id, anchor))


@router.post("/office/{cluster_id}/meetings/new")
def meeting_new(request: Request, cluster_id: str, viewer: Reader, kind: str = Form(""), date: str = Form(""),
                title: str = Form("")):
    _office(request, viewer, cluster_id)
    lang = page_lang(request, viewer)
    values = {"kind": kind, "date": date, "title": title}
    if not date.strip():
        return _refused(request, cluster_id, translator(lang)("meeting_date_needed"), form="new", values=values)
    try:
        made = new_meeting(cluster_id, kind, date.strip(), actor=viewer.name, title=title.strip(),
                           url=request.app.state.url)
    except UserError as refused:
        return _refused(request, cluster_id, refused.line(lang), form="new", values=values)
    return _done(request, cluster_id, translator(lang)("meeting_created", title=made.title),
                 f"meeting-{made.meeting_id}")


@router.post("/office/{cluster_id}/meetings/{meeting_id}/agenda")
def meeting_agenda_item(request: Request, cluster_id: str, meeting_id: str, viewer: Reader, text: str = Form(""),
                        school_id: str = Form("")):
    """A school submits an item for its own school; the office for any school of the cluster (or none)."""
    if not viewer.scope.sees_cluster_results(cluster_id):
        raise forbidden()
    _meeting_of(request, cluster_id, meeting_id)
    lang = page_lang(request, viewer)
    if viewer.scope.role == "school":
        school = viewer.scope.school_id  # its own school, whatever the form says
    elif may_plan(viewer, cluster_id):
        school = school_id or None
    else:
        raise forbidden()
    try:
        add_agenda_item(meeting_id, text, actor=viewer.name, school_id=school, url=request.app.state.url)
    except UserError as refused:
        return _refused(request, cluster_id, refused.line(lang), form=f"agenda-{meeting_id}", values={"text": text},
                        anchor=f"meeting-{meeting_id}")
    return _done(request, cluster_id, translator(lang)("agenda_item_added"), f"meeting-{meeting_id}")


@router.post("/office/{cluster_id}/meetings/{meeting_id}/decision")
async def meeting_decision(request: Request, cluster_id: str, meeting_id: str, viewer: Reader):
    """One decision from the form: text, host school (主办), assisting schools (协助), deadline."""
    _office(request, viewer, cluster_id)
    _meeting_of(request, cluster_id, meeting_id)
    lang = page_lang(request, viewer)
    form = await request.form()
    text, host, due = (str(form.get(k) or "").strip() for k in ("text", "host_school_id", "due"))
    assisting = [str(v) for v in form.getlist("assisting_school_ids") if str(v)]
    values = {"text": text, "host_school_id": host, "due": due, "assisting_school_ids": assisting}
    try:
        made = await run_in_threadpool(add_decision, meeting_id, text, host, actor=viewer.name,
                                       assisting_school_ids=assisting, due=due, url=request.app.state.url)
    except UserError as refused:
        return _refused(request, cluster_id, refused.line(lang), form=f"decision-{meeting_id}", values=values,
                        anchor=f"meeting-{meeting_id}")
    return _done(request, cluster_id, translator(lang)("decision_added", text=made.text), f"meeting-{meeting_id}")


@router.post("/office/{cluster_id}/meetings/{meeting_id}/minutes")
async def meeting_minutes(request: Request, cluster_id: str, meeting_id: str, viewer: Reader):
    """The minutes' decisions.csv (cluster_office/FORMAT.md), as `xuequ meeting minutes`: all or nothing."""
    _office(request, viewer, cluster_id)
    _meeting_of(request, cluster_id, meeting_id)
    lang = page_lang(request, viewer)
    t = translator(lang)
    upload = (await request.form()).get("decisions")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _refused(request, cluster_id, t("minutes_choose_file"), anchor=f"meeting-{meeting_id}")
    body = await upload.read(MAX_MINUTES_BYTES + 1)
    if len(body) > MAX_MINUTES_BYTES:
        return _refused(request, cluster_id, t("minutes_too_large"), anchor=f"meeting-{meeting_id}")
    with tempfile.TemporaryDirectory(prefix="xuequ-minutes-") as folder:
        path = Path(folder) / "decisions.csv"  # problems name the file as the office knows it
        path.write_bytes(body)
        try:
            made = await run_in_threadpool(lambda: record_minutes(meeting_id, path, actor=viewer.name,
                                                                  url=request.app.state.url))
        except BundleError as error:
            return _refused(request, cluster_id, t("minutes_refused", n=len(error.problems)),
                            problems=[p.render(lang) for p in error.problems[:50]], anchor=f"meeting-{meeting_id}")
        except UserError as refused:
            return _refused(request, cluster_id, refused.line(lang), anchor=f"meeting-{meeting_id}")
    return _done(request, cluster_id, t("minutes_recorded", n=len(made)), f"meeting-{meeting_id}")


@router.post("/office/{cluster_id}/decisions/{decision_id}/state")
def decision_state(request: Request, cluster_id: str, decision_id: str, viewer: Reader, status: str = Form(""),
                   reason: str = Form("")):
    """done, or late with its reason (the use case's rules; its message when it refuses)."""
    _office(request, viewer, cluster_id)
    views = cluster_meetings(cluster_id, url=request.app.state.url)
    owner = next((v.meeting.meeting_id for v in views for d in v.decisions if d.decision_id == decision_id), None)
    if owner is None:
        raise not_found()
    lang = page_lang(request, viewer)
    try:
        changed = set_decision_state(decision_id, status, actor=viewer.name, reason=reason or None,
                                     url=request.app.state.url)
    except UserError as refused:
        return _refused(request, cluster_id, refused.line(lang), form=f"state-{decision_id}",
                        values={"reason": reason}, anchor=f"meeting-{owner}")
    return _done(request, cluster_id, translator(lang)("decision_state_changed", text=changed.text,
                                                         state=state_text(changed, dt.date.today(), lang)),
                 f"meeting-{owner}")
