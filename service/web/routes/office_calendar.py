"""The cluster's activity calendar in the console (学区活动日历) and the subscribable feeds (日历订阅).

`/office/{cluster}/calendar?year=&term=`: the term's calendar by month and week, names not ids; the
plan's version, solver status and every shortfall in the planner's words with its policy key. The
planning roles (planner, the cluster office, the bureau; `term_access.may_plan`) plan the term
(`app.activity_calendar.plan_activity_calendar`, as `xuequ calendar plan`) and record an activity held
or cancelled (`record_activity`, as `xuequ calendar held`). Downloads: calendar.csv, the Excel notices,
a school's or a teacher's .ics. A school user reads its cluster's calendar as it concerns its school,
and its own school's and teachers' feeds only.

`/feeds/{token}.ics` needs no sign-in: the secret token is the credential (`app.calendar_feeds`).
"""
from __future__ import annotations

import os
import tempfile
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from app.activity_calendar import plan_activity_calendar, record_activity
from app.calendar_feeds import BASE_URL_ENV, FeedLink, feed_by_token, feed_link
from app.calendar_view import (StoredCalendar, by_month_and_week, calendar_csv_bytes, calendar_terms, default_term,
                               notices_xlsx_bytes, only_school, school_ics, stored_calendar, teacher_ics)
from app.errors import UserError
from domain.labels import label
from scheduling.calendar.words import when
from scheduling.calendar.writers import activity_title
from service.web import reads
from service.web.auth import Viewer, forbidden, not_found, page_lang, reader, signed_in
from service.web.i18n import translator
from service.web.pages import render
from service.web.routes.account import see_other
from service.web.routes.term_access import may_plan, planner_of

router = APIRouter()
feeds = APIRouter()  # no sign-in: the token is the credential

PLAN_TIME_LIMIT_S = 10.0  # in-process while the person waits; tests lower it via app.state.calendar_time_limit_s
FLASH = "calendar_flash"


def office_reader(viewer: Annotated[Viewer, Depends(signed_in)]) -> Viewer:
    return reader(viewer)


Reader = Annotated[Viewer, Depends(office_reader)]


def calendar_url(cluster_id: str, year: int, term: int, **extra: str) -> str:
    query = urlencode({"year": year, "term": term} | {k: v for k, v in extra.items() if v})
    return f"/office/{quote(cluster_id)}/calendar?{query}"


def _cluster(url: str, viewer: Viewer, cluster_id: str) -> str:
    if not viewer.scope.sees_cluster_results(cluster_id):
        raise forbidden()
    name = reads.cluster_name(url, cluster_id)
    if name is None:
        raise not_found()
    return name


def _term(url: str, cluster_id: str, year: int | None, term: int | None) -> tuple[int, int]:
    """The term asked for, else the latest with a stored calendar, else the one today falls in."""
    if year is not None and term in (1, 2):
        return year, int(term)
    stored = calendar_terms(cluster_id, url=url)
    return stored[0] if stored else default_term()


def _own_school(viewer: Viewer) -> str | None:
    return viewer.scope.school_id if viewer.scope.role == "school" else None


def _visible(url: str, viewer: Viewer, cluster_id: str, year: int, term: int) -> StoredCalendar:
    stored = stored_calendar(cluster_id, year, term, url=url)
    own = _own_school(viewer)
    return only_school(stored, own) if own else stored


def _may_feed(viewer: Viewer, cluster_id: str, school_id: str) -> bool:
    """A school's feed (or its teachers'): the school itself, or whoever reads the whole cluster."""
    own = _own_school(viewer)
    return school_id == own if own else viewer.scope.sees_cluster(cluster_id)


@router.get("/office/calendar")
def calendar_start(request: Request, viewer: Reader):
    """The menu's entry: one's own cluster's calendar, or (district-wide) the list of clusters."""
    url = request.app.state.url
    if viewer.scope.cluster_id and not viewer.scope.district_wide:
        return see_other(f"/office/{viewer.scope.cluster_id}/calendar")
    clusters = [c for c in reads.clusters(url) if viewer.scope.sees_cluster_results(c.cluster_id)]
    return render(request, "office/calendar_index.html", viewer, clusters=clusters)


@router.get("/office/{cluster_id}/calendar")
def calendar_page(request: Request, cluster_id: str, viewer: Reader, year: int | None = None,
                  term: int | None = None, teacher: str | None = None):
    url = request.app.state.url
    lang = page_lang(request, viewer)
    name = _cluster(url, viewer, cluster_id)
    year, term = _term(url, cluster_id, year, term)
    stored = _visible(url, viewer, cluster_id, year, term)
    own = _own_school(viewer)
    schools = [(s.school_id, s.name) for s in reads.schools_of_cluster(url, cluster_id)
               if own is None or s.school_id == own]
    teachers = sorted(((t.teacher_id, t.name, t.school_id) for t in stored.data.teachers
                       if own is None or t.school_id == own), key=lambda t: (t[2], t[1]))
    base = os.environ.get(BASE_URL_ENV) or str(request.base_url)  # where phones reach this console
    school_feeds: list[FeedLink] = [feed_link("school", sid, actor=viewer.name, url=url) for sid, _ in schools]
    teacher_feed = None
    if teacher:
        if teacher not in {t[0] for t in teachers}:
            raise forbidden()  # another school's (or cluster's) teacher is not this reader's to subscribe
        teacher_feed = feed_link("teacher", teacher, actor=viewer.name, url=url)
    names = stored.names
    return render(
        request, "office/calendar.html", viewer, cluster_id=cluster_id, cluster_name=name, year=year, term=term,
        terms=sorted(set(calendar_terms(cluster_id, url=url)) | {(year, term)}, reverse=True), stored=stored,
        months=by_month_and_week(stored.plan.activities), own_school=reads.school(url, own) if own else None,
        may_plan=may_plan(viewer, cluster_id), schools=schools, teachers=teachers, chosen_teacher=teacher,
        teacher_school={tid: sid for tid, _, sid in teachers},
        plan_seconds=f'{float(getattr(request.app.state, "calendar_time_limit_s", PLAN_TIME_LIMIT_S)):g}',
        school_feeds=school_feeds, teacher_feed=teacher_feed, base=base, flash=request.session.pop(FLASH, None),
        made=stored.planned_by_rule(), rules=sorted(set(stored.required) | set(stored.planned_by_rule())),
        solver_status=label("solver_status", stored.solver_status, lang) if stored.solver_status else "",
        title=lambda a: activity_title(a, names, lang), when=lambda a: when(a.date, a.half, lang),
        school=names.school, person=names.teacher, facility=lambda fid: names.facilities.get(fid, ""),
        kind_name=lambda k: label("activity_kind", k, lang), rule_name=lambda r: label("activity_rule", r, lang),
        status_name=lambda s: label("activity_status", s, lang), half_name=lambda h: label("half_day", h, lang),
        facility_kind=lambda k: label("facility_kind", k, lang))


@router.post("/office/{cluster_id}/calendar/plan")
def calendar_plan(request: Request, cluster_id: str, viewer: Reader, year: int = Form(...), term: int = Form(...)):
    """排出本学期活动: the same use case as `xuequ calendar plan`; always a plan, best effort with its reasons."""
    url = request.app.state.url
    planner_of(url, viewer, cluster_id)
    lang = page_lang(request, viewer)
    t = translator(lang)
    if term not in (1, 2) or not 2000 <= year <= 2100:
        request.session[FLASH] = {"ok": False, "text": t("cal_bad_term")}
        return see_other(f"/office/{cluster_id}/calendar")
    limit = float(getattr(request.app.state, "calendar_time_limit_s", PLAN_TIME_LIMIT_S))
    try:
        with tempfile.TemporaryDirectory(prefix="xuequ-web-calendar-") as out:  # the page reads the database
            result = plan_activity_calendar(year, term, cluster_id, url=url, out_dir=out, lang=lang,
                                            time_limit_s=limit, actor=viewer.name)
    except UserError as refused:
        request.session[FLASH] = {"ok": False, "text": refused.line(lang)}
    else:
        text = t("cal_planned", version=result.version, n=result.activities, bookings=result.bookings,
                 status=label("solver_status", result.status, lang))
        if result.relaxed:
            text += t("cal_planned_relaxed", n=len(result.explanations))
        if result.violations:
            text += t("cal_planned_violations", n=len(result.violations))
        request.session[FLASH] = {"ok": True, "text": text}
    return see_other(calendar_url(cluster_id, year, term))


@router.post("/office/{cluster_id}/calendar/record")
def calendar_record(request: Request, cluster_id: str, viewer: Reader, activity_id: str = Form(...),
                    status: str = Form(...), year: int = Form(...), term: int = Form(...)):
    """记为已举行 / 取消 / 恢复为计划: `record_activity`, as `xuequ calendar held`."""
    url = request.app.state.url
    planner_of(url, viewer, cluster_id)
    lang = page_lang(request, viewer)
    t = translator(lang)
    ours = {a.activity_id for a in stored_calendar(cluster_id, year, term, url=url).plan.activities}
    if activity_id not in ours:
        request.session[FLASH] = {"ok": False, "text": t("cal_no_activity", id=activity_id)}
    elif status not in ("held", "cancelled", "planned"):
        request.session[FLASH] = {"ok": False, "text": t("cal_bad_status")}
    else:
        try:
            done = record_activity(activity_id, status=status, actor=viewer.name, url=url)
        except UserError as refused:
            request.session[FLASH] = {"ok": False, "text": refused.line(lang)}
        else:
            request.session[FLASH] = {"ok": True, "text": t(
                "cal_recorded", title=done.title, before=label("activity_status", done.previous, lang),
                after=label("activity_status", done.status, lang))}
    return see_other(calendar_url(cluster_id, year, term) + f"#a-{activity_id}")


@router.post("/office/{cluster_id}/calendar/feed")
def calendar_feed_reissue(request: Request, cluster_id: str, viewer: Reader, kind: str = Form(...),
                          owner_id: str = Form(...), year: int = Form(...), term: int = Form(...)):
    """A new subscription address for a school or teacher (the old one stops working)."""
    url = request.app.state.url
    _cluster(url, viewer, cluster_id)
    lang = page_lang(request, viewer)
    school_id = owner_id if kind == "school" else reads.teacher_school(url, owner_id)
    if school_id is None or reads.school(url, school_id) is None or not _school_in(url, school_id, cluster_id) \
            or not _may_feed(viewer, cluster_id, school_id):
        raise forbidden()
    link = feed_link(kind, owner_id, actor=viewer.name, reissue=True, url=url)
    request.session[FLASH] = {"ok": True, "text": translator(lang)("cal_feed_reissued", name=link.owner_name)}
    return see_other(calendar_url(cluster_id, year, term, teacher=owner_id if kind == "teacher" else ""))


def _school_in(url: str, school_id: str, cluster_id: str) -> bool:
    return any(s.school_id == school_id for s in reads.schools_of_cluster(url, cluster_id))


# --- downloads -------------------------------------------------------------------------------------------

def _download(body: bytes, filename: str, media: str) -> Response:
    return Response(body, media_type=media, headers={"content-disposition": f'attachment; filename="{filename}"'})


@router.get("/office/{cluster_id}/calendar/calendar.csv")
def download_csv(request: Request, cluster_id: str, viewer: Reader, year: int, term: int):
    url = request.app.state.url
    _cluster(url, viewer, cluster_id)
    stored = _visible(url, viewer, cluster_id, year, term)
    return _download(calendar_csv_bytes(stored, page_lang(request, viewer)),
                     f"calendar_{cluster_id}_{year}-{term}.csv", "text/csv; charset=utf-8")


@router.get("/office/{cluster_id}/calendar/notices.xlsx")
def download_notices(request: Request, cluster_id: str, viewer: Reader, year: int, term: int):
    url = request.app.state.url
    _cluster(url, viewer, cluster_id)
    stored = _visible(url, viewer, cluster_id, year, term)
    return _download(notices_xlsx_bytes(stored, page_lang(request, viewer)),
                     f"calendar_notices_{cluster_id}_{year}-{term}.xlsx",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@router.get("/office/{cluster_id}/calendar/school/{school_id}.ics")
def download_school_ics(request: Request, cluster_id: str, school_id: str, viewer: Reader, year: int, term: int):
    url = request.app.state.url
    _cluster(url, viewer, cluster_id)
    if not _school_in(url, school_id, cluster_id):
        raise not_found()
    if not _may_feed(viewer, cluster_id, school_id):
        raise forbidden()
    text = school_ics(stored_calendar(cluster_id, year, term, url=url), school_id, page_lang(request, viewer))
    return _download(text.encode("utf-8"), f"{school_id}_{year}-{term}.ics", "text/calendar; charset=utf-8")


@router.get("/office/{cluster_id}/calendar/teacher/{teacher_id}.ics")
def download_teacher_ics(request: Request, cluster_id: str, teacher_id: str, viewer: Reader, year: int, term: int):
    url = request.app.state.url
    _cluster(url, viewer, cluster_id)
    school_id = reads.teacher_school(url, teacher_id)
    if school_id is None or not _school_in(url, school_id, cluster_id):
        raise not_found()
    if not _may_feed(viewer, cluster_id, school_id):
        raise forbidden()
    text = teacher_ics(stored_calendar(cluster_id, year, term, url=url), teacher_id, page_lang(request, viewer))
    return _download(text.encode("utf-8"), f"{teacher_id}_{year}-{term}.ics", "text/calendar; charset=utf-8")


@feeds.get("/feeds/{token}.ics")
@feeds.head("/feeds/{token}.ics", include_in_schema=False)  # some calendar apps check with HEAD first
def feed(request: Request, token: str):
    """A subscribed phone's calendar: no sign-in, the token is the credential; always the stored calendar now."""
    lang = "en" if request.query_params.get("lang") == "en" else "zh"
    found = feed_by_token(token, lang=lang, url=request.app.state.url)
    if found is None:
        return Response("no such calendar feed (the address may have been replaced)\n", status_code=404,
                        media_type="text/plain; charset=utf-8")
    return Response(found.text.encode("utf-8"), media_type="text/calendar; charset=utf-8",
                    headers={"cache-control": "no-cache", "content-disposition": 'inline; filename="calendar.ics"'})
