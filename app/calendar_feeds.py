"""Subscribable calendar feeds (日历订阅): a secret address per school and per teacher that a phone's
calendar polls, always answered from the calendar stored now.

`feed_link` gives the school's or teacher's address (made at first need, the same one after; `reissue`
replaces the token so an address that leaked stops working). `feed_by_token` answers
`GET /feeds/<token>.ics` with every stored term of the cluster as the owner takes part in it —
planned and held activities, cancelled ones as STATUS:CANCELLED so a phone removes them — written by
the planner's one iCalendar writer (`scheduling/calendar/ics.py`). No sign-in: the 32-character random
token (`secrets.token_urlsafe(24)`, 192 bits) is the credential.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from sqlalchemy import String, cast, select

from app.calendar_view import (activity_of, bookings_of, concerns_school, concerns_teacher, events_of, feed_stamp,
                               names_of, teacher_schools)
from app.activity_calendar import term_postings
from app.errors import UserError
from models.db import session_scope
from scheduling.calendar.ics import calendar_text
from scheduling.calendar.results import Activity

FEED_KINDS = ("school", "teacher")
BASE_URL_ENV = "XUEQU_WEB_BASE_URL"  # where people reach the console (feeds are addresses on it)
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class FeedLink:
    kind: str  # school, teacher
    owner_id: str
    owner_name: str
    cluster_id: str
    token: str

    @property
    def path(self) -> str:
        return f"/feeds/{self.token}.ics"

    def https(self, base_url: str) -> str:
        """The address as the console serves it (http:// or https://, as the base is)."""
        return base_url.rstrip("/") + self.path

    def webcal(self, base_url: str) -> str:
        """The same address as webcal://, which a phone opens as a subscription."""
        address = self.https(base_url)
        return "webcal://" + address.split("://", 1)[1] if "://" in address else address


def base_url(given: str | None = None) -> str:
    """The console's public address: given, else XUEQU_WEB_BASE_URL, else http://127.0.0.1:8000 (xuequ web's default)."""
    return (given or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")


def _owner(session, kind: str, owner_id: str) -> tuple[str, str]:  # noqa: ANN001
    """(name, cluster id) of the school or teacher; refused in words when there is none."""
    from models import School, Teacher

    if kind not in FEED_KINDS:
        raise UserError(f"a feed is a school's or a teacher's, not {kind!r}", f"订阅地址只属于学校或教师，不是 {kind!r}")
    if kind == "school":
        school = session.get(School, owner_id)
        if school is None:
            raise UserError(f"no school {owner_id!r}: check the id (xuequ export lists them)",
                            f"没有学校 {owner_id!r}：请核对学校编号")
        return school.name, school.cluster_id
    teacher = session.get(Teacher, owner_id)
    if teacher is None:
        raise UserError(f"no teacher {owner_id!r}: check the id (teachers.csv)", f"没有教师 {owner_id!r}：请核对教师编号")
    school = session.get(School, teacher.school_id)
    return teacher.name, school.cluster_id if school else ""


def feed_link(kind: str, owner_id: str, *, actor: str, reissue: bool = False, url: str | None = None) -> FeedLink:
    """The subscription address of a school or teacher: made at first need, then the same one;
    `reissue` gives a new token (the old address stops working). Issuing is audited (never the token)."""
    from models.audit import record
    from models.base import utcnow
    from models.calendar import CalendarFeed

    with session_scope(url) as session:
        session.info["actor"] = actor
        name, cluster_id = _owner(session, kind, owner_id)
        row = session.get(CalendarFeed, (kind, owner_id))
        if row is None or reissue:
            token = secrets.token_urlsafe(24)
            if row is None:
                row = CalendarFeed(owner_kind=kind, owner_id=owner_id, token=token, created_by=actor)
                session.add(row)
            else:
                row.token, row.created_by, row.created_at = token, actor, utcnow()
            record(session, "reissue" if reissue else "insert", "calendar_feed", f"{kind}:{owner_id}")
        return FeedLink(kind, owner_id, name, cluster_id, str(row.token))


def _like_escaped(text: str) -> str:
    """`text` matched literally by LIKE … ESCAPE '\\'."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class Feed:
    name: str  # the calendar's name (X-WR-CALNAME)
    text: str  # the iCalendar text, CRLF line ends


def feed_by_token(token: str, *, lang: str = "zh", url: str | None = None) -> Feed | None:
    """The calendar a token subscribes to, from what is stored now; None for an unknown (or reissued) token."""
    from models import Cluster
    from models.calendar import CalendarActivity, CalendarFeed, FacilityBooking

    if not token or len(token) > 64:
        return None
    with session_scope(url) as session:
        row = session.scalars(select(CalendarFeed).where(CalendarFeed.token == token)).first()
        if row is None or not secrets.compare_digest(row.token, token):
            return None
        kind, owner_id = row.owner_kind, row.owner_id
        try:
            owner_name, cluster_id = _owner(session, kind, owner_id)
        except UserError:  # the school or teacher left the district (a new bundle): no calendar any more
            return None
        cluster_names = dict(session.execute(select(Cluster.cluster_id, Cluster.name)).tuples().all())
        if kind == "school":
            # the school's own activities, and those its teachers attend: in each term, its teachers are the
            # ones teaching there that term (a posted teacher counts at the host school, as the planner does)
            stored = session.scalars(select(CalendarActivity).where(CalendarActivity.cluster_id == cluster_id)
                                     .order_by(CalendarActivity.date, CalendarActivity.start))
            in_term: dict[tuple[int, int], dict[str, str]] = {}
            mine: list[tuple[Activity, str]] = []
            for held in stored:
                key = (held.school_year, held.term)
                if key not in in_term:
                    in_term[key] = teacher_schools(session, cluster_id,
                                                   term_postings(session, held.school_year, held.term, cluster_id))
                activity = activity_of(held)
                if concerns_school(activity, owner_id, in_term[key]):
                    mine.append((activity, cluster_names.get(held.cluster_id) or held.cluster_id))
            bookings = [b for b in bookings_of(session, session.scalars(select(FacilityBooking).where(
                FacilityBooking.cluster_id == cluster_id))) if owner_id in (b.school_id, b.facility_school_id)]
        else:
            # every cluster's calendar: a teacher posted to another cluster's school takes part there. The rows
            # that name the teacher at all are found by the database (the id inside the teacher_ids text), then
            # checked here
            query = select(CalendarActivity).order_by(CalendarActivity.date, CalendarActivity.start)
            if owner_id.isascii() and '"' not in owner_id and "\\" not in owner_id:  # JSON writes it as it is
                named = f'%"{_like_escaped(owner_id)}"%'
                query = query.where((CalendarActivity.presenter_id == owner_id)
                                    | cast(CalendarActivity.teacher_ids, String).like(named, escape="\\"))
            candidates = session.scalars(query)
            mine = [(a, cluster_names.get(held.cluster_id) or held.cluster_id) for held in candidates
                    for a in [activity_of(held)] if concerns_teacher(a, owner_id)]
            bookings = [b for b in bookings_of(session, session.scalars(select(FacilityBooking)))
                        if b.teacher_id == owner_id]
        names = names_of(session, [a for a, _ in mine], bookings)
    cluster = cluster_names.get(cluster_id, cluster_id)
    name = f"{owner_name} · {cluster}活动日历" if lang == "zh" else f"{owner_name} · {cluster} activities"
    return Feed(name, calendar_text(events_of(mine, bookings, names, lang), name, feed_stamp()))
