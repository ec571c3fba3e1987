"""The cluster office's activity calendar (学区活动日历): plan a term, record what was held.

One use case per job, called alike by `xuequ calendar plan|held`, the term-schedule flow (after the
roster) and the demo:

    plan_activity_calendar: load the cluster (schools, teachers, the current rotation roster, its
        leaders' exchange weekdays, unavailability, joint-exam days, facilities and plans of use, the
        calendar so far) → the calendar policy in force → solve → check independently → store (a
        versioned plan and the current calendar; held and cancelled activities stay as recorded)
        → calendar.csv, facility_bookings.csv, .ics feeds, Excel notices, summary, explanations
    record_activity: an activity held (or cancelled), by whom and when
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from app.errors import UserError
from app.policies import ResolvedPolicy, resolve_in
from models.db import database_url, session_scope
from scheduling.calendar import (CalendarInput, CalendarPolicy, CalendarResult, Pin, Recorded,
                                 calendar_input_from_tables, plan_calendar)
from scheduling.calendar.validate import unexplained_violations, validate_calendar
from scheduling.calendar.writers import (activity_title, Names, summary_markdown, write_bookings_csv,
                                         write_calendar_csv, write_feeds, write_notices_xlsx)

CALENDAR_TABLES = ["clusters", "schools", "teachers", "class_teachers", "unavailability", "exam_sessions", "exams",
                   "distances", "facilities", "facility_requests"]
NUM_WORKERS = 2  # CP-SAT workers: the machines we run on have 2 cores


class UnknownCluster(UserError):
    def __init__(self, cluster_id: str, known: list[str]) -> None:
        super().__init__(f"unknown cluster {cluster_id!r}: the district has {', '.join(known) or 'none'}",
                         f"没有学区 {cluster_id!r}：本区县的学区为 {'、'.join(known) or '（无）'}")


class UnknownActivity(UserError):
    def __init__(self, activity_id: str) -> None:
        super().__init__(f"no activity {activity_id!r} in any calendar: check the id in calendar.csv",
                         f"日历中没有活动 {activity_id!r}：请核对 calendar.csv 中的活动编号")


@dataclass
class CalendarCase:
    scope: str
    cluster_id: str
    school_year: int
    term: int
    policy: ResolvedPolicy
    data: CalendarInput
    parent_id: int | None

    @property
    def rules(self) -> CalendarPolicy:
        return self.policy.policy


@dataclass
class CalendarPlanResult:
    scope: str
    status: str
    plan_id: int | None
    version: int | None
    activities: int
    bookings: int
    relaxed: bool
    violations: list[str]
    explanations: list[str]
    summary: str
    policy: str
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0


def calendar_scope(school_year: int, term: int, cluster_id: str) -> str:
    return f"{school_year}-{term}:{cluster_id}"


def term_roster(session, school_year: int, term: int, cluster_id: str) -> pd.DataFrame:
    """The cluster's current rotation roster (rotation.csv rows): postings and leaders' exchange weekdays."""
    from models.scenarios import current_plan

    plan = current_plan(session, "rotation", f"{school_year}-{term}:{cluster_id}")
    if plan is None:
        plan = current_plan(session, "rotation", f"{school_year}-Y:{cluster_id}")
    rows = [{"teacher_id": a.teacher_id, "to_school_id": a.to_school_id, "kind": a.kind, "start": a.start,
             "end": a.end, "weekday": a.weekday} for a in (plan.rotations if plan is not None else [])]
    return pd.DataFrame(rows, columns=["teacher_id", "to_school_id", "kind", "start", "end", "weekday"])


def term_postings(session, school_year: int, term: int, cluster_id: str) -> dict[str, str]:
    """Teacher → the school they teach at this term, for the teachers the cluster's roster posts (交流轮岗):
    for the term a posted teacher belongs to the host school, as the calendar planner counts them."""
    roster = term_roster(session, school_year, term, cluster_id)
    return {str(r.teacher_id): str(r.to_school_id) for r in roster.itertuples(index=False)
            if r.kind == "teacher" and r.to_school_id}


def _term_dates(session, school_year: int, term: int) -> tuple[dt.date | None, dt.date | None]:
    from models import Term

    row = session.get(Term, f"{school_year}-{term}")
    if row is None:
        return None, None
    return (dt.date.fromisoformat(row.start) if row.start else None,
            dt.date.fromisoformat(row.end) if row.end else None)


def _pins(pins: list[dict] | None) -> list[Pin]:
    out = []
    for p in pins or []:
        day = p.get("date")
        out.append(Pin(p["activity_id"], dt.date.fromisoformat(day) if isinstance(day, str) else day,
                       p.get("half"), p.get("host_school_id")))
    return out


def load_case(school_year: int, term: int, cluster_id: str, *, policy_file: str | None = None,
              url: str | None = None, pins: list[dict] | None = None, not_before: dt.date | None = None) -> CalendarCase:
    from sqlalchemy import select

    from models import Cluster
    from models.bundles import export_tables
    from models.calendar import recorded_activities
    from models.scenarios import current_plan

    scope = calendar_scope(school_year, term, cluster_id)
    with session_scope(url) as session:
        known = list(session.scalars(select(Cluster.cluster_id).order_by(Cluster.cluster_id)))
        if cluster_id not in known:
            raise UnknownCluster(cluster_id, known)
        tables = export_tables(session, CALENDAR_TABLES)
        policy = resolve_in(session, "calendar", cluster_id=cluster_id, school_year=school_year, term=term,
                            override=policy_file)
        roster = term_roster(session, school_year, term, cluster_id)
        start, end = _term_dates(session, school_year, term)
        recorded = [Recorded(r.activity_id, r.status, dt.date.fromisoformat(r.date), r.half, r.host_school_id,
                             tuple(r.teacher_ids or ()), r.facility_id or "", r.presenter_id or "")
                    for r in recorded_activities(session, cluster_id, school_year, term)]
        parent = current_plan(session, "calendar", scope)
        parent_id = parent.plan_id if parent is not None else None
    data = calendar_input_from_tables(tables, school_year, term, cluster_id, policy.policy, roster=roster,
                                      term_start=start, term_end=end, pins=_pins(pins), recorded=recorded,
                                      not_before=not_before)
    return CalendarCase(scope, cluster_id, school_year, term, policy, data, parent_id)


def check_calendar(case: CalendarCase, result: CalendarResult) -> list[str]:
    """The independent checker's findings that the calendar's own explanations do not name."""
    return [str(v) for v in unexplained_violations(result, validate_calendar(case.data, case.rules, result.plan))]


def _activity_rows(case: CalendarCase, result: CalendarResult) -> list[dict]:
    names = Names(case.data)
    return [{"activity_id": a.activity_id, "kind": a.kind, "rule": a.rule, "subject": a.subject, "band": a.band,
             "grade": a.grade, "date": a.date.isoformat(), "half": a.half, "start": a.start, "end": a.end,
             "host_school_id": a.host_school_id, "facility_id": a.facility_id or None,
             "teacher_ids": list(a.teacher_ids), "presenter_id": a.presenter_id or None, "travel_km": a.travel_km,
             "scope": a.scope, "quota_key": a.quota_key, "period": a.period,
             "title": activity_title(a, names, "zh"), "status": "planned"}
            for a in result.plan.activities if a.status == "planned"]


def _booking_rows(result: CalendarResult) -> list[dict]:
    return [{"request_id": b.request_id, "weekday": b.weekday, "school_id": b.school_id, "facility_id": b.facility_id,
             "facility_school_id": b.facility_school_id, "half": b.half, "start": b.start, "end": b.end,
             "dates": [d.isoformat() for d in b.dates], "km": b.km, "size": b.size} for b in result.plan.bookings]


def store_calendar(case: CalendarCase, result: CalendarResult, actor: str, url: str | None = None) -> tuple[int, int]:
    """A new plan version (audited, with the policy's text) and the scope's current calendar."""
    from sqlalchemy import func, select

    from models import Plan
    from models.calendar import replace_calendar

    with session_scope(url) as session:
        session.info["actor"] = actor
        version = (session.scalar(select(func.max(Plan.version)).where(Plan.kind == "calendar",
                                                                        Plan.scope == case.scope)) or 0) + 1
        plan = Plan(kind="calendar", scope=case.scope, version=version, school_year=case.school_year, term=case.term,
                    cluster_id=case.cluster_id, policy_set_id=case.policy.policy_set_id, status="draft",
                    policy_content=case.policy.text, created_by=actor, solver_status=result.status,
                    parent_plan_id=case.parent_id,
                    summary={"policy": case.policy.record(), "activities": len(result.plan.activities),
                             "bookings": len(result.plan.bookings), "required": result.required,
                             "unplaced": result.unplaced, "booking_short": result.booking_short,
                             "explained": [{"code": e.code, "scope": e.scope, "policy_key": e.policy_key,
                                            "zh": e.text("zh"), "en": e.text("en")} for e in result.explanations],
                             "stats": {k: v for k, v in result.stats.items() if isinstance(v, (int, float, str))}})
        session.add(plan)
        session.flush()
        replace_calendar(session, case.cluster_id, case.school_year, case.term, _activity_rows(case, result),
                         _booking_rows(result), plan.plan_id)
        return plan.plan_id, version


def export_calendar(case: CalendarCase, result: CalendarResult, out_dir: str | Path, lang: str = "zh",
                    stamp: dt.datetime | None = None) -> list[str]:
    """calendar.csv, facility_bookings.csv, ics/school/*.ics, ics/teacher/*.ics, calendar_notices.xlsx,
    calendar_summary.md and calendar_explanations.txt — always, a best-effort calendar included."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = [write_calendar_csv(result, case.data, out / "calendar.csv", lang),
             write_bookings_csv(result, out / "facility_bookings.csv"),
             write_notices_xlsx(result, case.data, out / "calendar_notices.xlsx", lang)]
    files += write_feeds(result, case.data, out / "ics", lang, stamp=stamp)
    summary = summary_markdown(result, case.data, case.rules, lang).rstrip() + f"\n\n{case.policy.describe(lang)}\n"
    (out / "calendar_summary.md").write_text(summary, encoding="utf-8")
    lines = result.messages(lang)
    (out / "calendar_explanations.txt").write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    files += [out / "calendar_summary.md", out / "calendar_explanations.txt"]
    return [str(f) for f in files]


def plan_activity_calendar(school_year: int, term: int, cluster_id: str, *, policy_file: str | None = None,
                           url: str | None = None, out_dir: str | Path = "out/calendar", lang: str = "zh",
                           time_limit_s: float = 20.0, pins: list[dict] | None = None,
                           not_before: dt.date | None = None, actor: str = "cluster-office") -> CalendarPlanResult:
    """The cluster's activity calendar for a term, stored and written (see the module's steps)."""
    import time

    started = time.perf_counter()
    url = database_url(url)
    case = load_case(school_year, term, cluster_id, policy_file=policy_file, url=url, pins=pins,
                     not_before=not_before)
    result = plan_calendar(case.data, case.rules, time_limit_s=time_limit_s, num_workers=NUM_WORKERS, lang=lang)
    violations = check_calendar(case, result)
    plan_id, version = store_calendar(case, result, actor, url)
    files = export_calendar(case, result, out_dir, lang)
    summary = (Path(out_dir) / "calendar_summary.md").read_text(encoding="utf-8")
    return CalendarPlanResult(case.scope, result.status, plan_id, version, len(result.plan.activities),
                              len(result.plan.bookings), result.relaxed, violations, result.messages(lang), summary,
                              case.policy.describe(lang), files, round(time.perf_counter() - started, 1))


@dataclass(frozen=True)
class RecordedActivity:
    activity_id: str
    title: str
    date: str
    status: str
    previous: str


def record_activity(activity_id: str, *, status: str = "held", actor: str = "cluster-office",
                    note: str | None = None, url: str | None = None) -> RecordedActivity:
    """Record an activity as held (or cancelled, or planned again); audited by who and when."""
    from models.audit import record
    from models.calendar import activity, record_status

    with session_scope(database_url(url)) as session:
        session.info["actor"] = actor
        row = activity(session, activity_id)
        if row is None:
            raise UnknownActivity(activity_id)
        previous = row.status
        record_status(session, activity_id, status, actor=actor, note=note)
        record(session, "update", "calendar_activity", activity_id, {"status": {"old": previous, "new": status}})
        return RecordedActivity(activity_id, row.title, row.date, status, previous)
