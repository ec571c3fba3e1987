"""The calendar's files: calendar.csv (FORMATS.md, v2), facility_bookings.csv, an iCalendar feed per
school and per teacher (RFC 5545, `ics.py`), the Excel notices (`bundle/xlsx.py`) and the summary.

Every CSV cell and Excel cell passes `bundle.cells` (formula-safe); people read names, not ids.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from bundle.cells import safe_frame
from bundle.xlsx import Sheet, write_workbook
from domain.geo import SchoolDistances
from domain.labels import label

from .ics import Event, write_calendar
from .inputs import CalendarInput
from .policy import CalendarPolicy
from .results import Activity, Booking, CalendarPlan, CalendarResult
from .words import group_name, title, when

CALENDAR_COLUMNS = ("cluster_id", "activity_id", "kind", "subject", "grade", "date", "start", "end", "host_school_id",
                    "teacher_ids", "title")
EXTRA_COLUMNS = ("rule", "band", "half", "facility_id", "presenter_id", "status", "travel_km", "scope", "quota_key")
BOOKING_COLUMNS = ("request_id", "school_id", "kind", "facility_id", "facility_school_id", "weekday", "half", "start",
                   "end", "first_date", "last_date", "sessions", "km", "size", "subject", "grade", "class_id",
                   "teacher_id")


class Names:
    """Schools, teachers and facilities by name."""

    def __init__(self, data: CalendarInput):
        self.schools = {s.school_id: s.name for s in data.schools}
        self.teachers = {t.teacher_id: t.name for t in data.teachers}
        self.teacher_school = {t.teacher_id: t.school_id for t in data.teachers}
        self.facilities = {f.facility_id: f.name for f in data.facilities}

    @classmethod
    def of(cls, schools: Mapping[str, str], teachers: Mapping[str, str], teacher_school: Mapping[str, str],
           facilities: Mapping[str, str]) -> Names:
        """Names read from the database rather than a planning input (the console's stored calendars)."""
        names = cls.__new__(cls)
        names.schools, names.teachers = dict(schools), dict(teachers)
        names.teacher_school, names.facilities = dict(teacher_school), dict(facilities)
        return names

    def school(self, school_id: str) -> str:
        return self.schools.get(school_id, school_id)

    def teacher(self, teacher_id: str) -> str:
        return self.teachers.get(teacher_id, teacher_id)

    def place(self, a: Activity) -> str:
        room = self.facilities.get(a.facility_id, "")
        return self.school(a.host_school_id) + (f" {room}" if room else "")


def activity_title(a: Activity, names: Names, lang: str = "zh") -> str:
    partner = ""
    if a.rule == "same_grade_prep" and ">" in a.scope:
        giver, taker = a.scope.split(":", 1)[1].split(">")
        partner = f"{names.school(giver)}—{names.school(taker)}"
    return title(a.rule, a.subject, a.band, a.grade, a.period, host=names.school(a.host_school_id),
                 presenter=names.teacher(a.presenter_id), partner=partner, lang=lang)


def calendar_frame(plan: CalendarPlan | CalendarResult, data: CalendarInput, lang: str = "zh") -> pd.DataFrame:
    """calendar.csv: the contract's columns, then ours (FORMAT.md)."""
    plan = plan.plan if isinstance(plan, CalendarResult) else plan
    names = Names(data)
    rows = [{"cluster_id": plan.cluster_id, "activity_id": a.activity_id, "kind": a.kind, "subject": a.subject,
             "grade": a.grade if a.grade is not None else "", "date": a.date.isoformat(), "start": a.start,
             "end": a.end, "host_school_id": a.host_school_id, "teacher_ids": ";".join(a.teacher_ids),
             "title": activity_title(a, names, lang), "rule": a.rule, "band": a.band, "half": a.half,
             "facility_id": a.facility_id, "presenter_id": a.presenter_id, "status": a.status,
             "travel_km": a.travel_km, "scope": a.scope, "quota_key": a.quota_key} for a in plan.activities]
    return pd.DataFrame(rows, columns=[*CALENDAR_COLUMNS, *EXTRA_COLUMNS])


def bookings_frame(plan: CalendarPlan | CalendarResult) -> pd.DataFrame:
    plan = plan.plan if isinstance(plan, CalendarResult) else plan
    rows = [{"request_id": b.request_id, "school_id": b.school_id, "kind": b.kind, "facility_id": b.facility_id,
             "facility_school_id": b.facility_school_id, "weekday": b.weekday, "half": b.half, "start": b.start,
             "end": b.end, "first_date": b.dates[0].isoformat() if b.dates else "",
             "last_date": b.dates[-1].isoformat() if b.dates else "", "sessions": len(b.dates), "km": b.km,
             "size": b.size, "subject": b.subject, "grade": b.grade if b.grade is not None else "",
             "class_id": b.class_id, "teacher_id": b.teacher_id} for b in plan.bookings]
    return pd.DataFrame(rows, columns=list(BOOKING_COLUMNS))


def write_calendar_csv(plan: CalendarPlan | CalendarResult, data: CalendarInput, path: str | Path,
                       lang: str = "zh") -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    safe_frame(calendar_frame(plan, data, lang)).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def write_bookings_csv(plan: CalendarPlan | CalendarResult, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    safe_frame(bookings_frame(plan)).to_csv(path, index=False, encoding="utf-8-sig")
    return path


# --- iCalendar feeds ----------------------------------------------------------------------------------

def activity_event(a: Activity, names: Names, cluster_name: str, lang: str) -> Event:
    start = dt.datetime.combine(a.date, dt.time.fromisoformat(a.start))
    end = dt.datetime.combine(a.date, dt.time.fromisoformat(a.end))
    people = "、".join(names.teacher(t) for t in a.teacher_ids) if lang == "zh" else \
        ", ".join(names.teacher(t) for t in a.teacher_ids)
    kind = label("activity_kind", a.kind, lang)
    if lang == "zh":
        description = (f"{cluster_name} · {kind}\n承办：{names.place(a)}\n"
                       + (f"主讲：{names.teacher(a.presenter_id)}\n" if a.presenter_id else "")
                       + f"参加（{len(a.teacher_ids)} 人）：{people}")
    else:
        description = (f"{cluster_name} · {kind}\nHost: {names.place(a)}\n"
                       + (f"Presenter: {names.teacher(a.presenter_id)}\n" if a.presenter_id else "")
                       + f"Taking part ({len(a.teacher_ids)}): {people}")
    return Event(f"{a.activity_id}@xuequ", start, end, activity_title(a, names, lang), names.place(a), description,
                 "CANCELLED" if a.status == "cancelled" else "CONFIRMED", label("activity_kind", a.kind, lang))


def booking_events(b: Booking, names: Names, lang: str) -> list[Event]:
    kind = label("facility_kind", b.kind, lang)
    place = f"{names.school(b.facility_school_id)} {names.facilities.get(b.facility_id, b.facility_id)}"
    who = names.school(b.school_id)
    summary = (f"{who}使用{kind}（{b.request_id}）" if lang == "zh" else f"{who} uses the {kind} ({b.request_id})")
    return [Event(f"{b.request_id}-{d:%Y%m%d}@xuequ", dt.datetime.combine(d, dt.time.fromisoformat(b.start)),
                  dt.datetime.combine(d, dt.time.fromisoformat(b.end)), summary, place,
                  (f"{b.size} 人；距离 {b.km:g} 公里" if lang == "zh" else f"{b.size} people; {b.km:g} km"),
                  "CONFIRMED", label("activity_kind", "facility_use", lang)) for d in b.dates]


def write_feeds(result: CalendarResult | CalendarPlan, data: CalendarInput, out_dir: str | Path, lang: str = "zh",
                stamp: dt.datetime | None = None) -> list[Path]:
    """ics/school/<school_id>.ics (what its teachers take part in, what it hosts, its facility bookings) and
    ics/teacher/<teacher_id>.ics (the teacher's activities and class bookings), to subscribe to from a phone."""
    plan = result.plan if isinstance(result, CalendarResult) else result
    names = Names(data)
    out = Path(out_dir)
    stamp = stamp or dt.datetime.now(dt.timezone.utc)  # one stamp: each event is rendered once for every feed
    by_school: dict[str, list[Event]] = defaultdict(list)
    by_teacher: dict[str, list[Event]] = defaultdict(list)
    for a in plan.activities:
        event = activity_event(a, names, data.cluster_name, lang)
        schools = {a.host_school_id} | {names.teacher_school.get(t, "") for t in a.teacher_ids}
        for s in schools - {""}:
            by_school[s].append(event)
        for t in a.teacher_ids:
            by_teacher[t].append(event)
    for b in plan.bookings:
        events = booking_events(b, names, lang)
        for s in {b.school_id, b.facility_school_id}:
            by_school[s] += events
        if b.teacher_id:
            by_teacher[b.teacher_id] += events
    files = []
    term = f"{data.school_year} 学年第 {data.term} 学期" if lang == "zh" else f"{data.school_year} term {data.term}"
    for school_id in sorted(by_school):
        files.append(write_calendar(out / "school" / f"{school_id}.ics", by_school[school_id],
                                    f"{names.school(school_id)} {data.cluster_name} {term}", stamp=stamp))
    for teacher_id in sorted(by_teacher):
        files.append(write_calendar(out / "teacher" / f"{teacher_id}.ics", by_teacher[teacher_id],
                                    f"{names.teacher(teacher_id)} {data.cluster_name} {term}", stamp=stamp))
    return files


# --- Excel notices ------------------------------------------------------------------------------------

def _notice_frame(activities, names: Names, lang: str, school_id: str | None = None) -> pd.DataFrame:
    zh = lang == "zh"
    rows = []
    for a in activities:
        ours = [t for t in a.teacher_ids if school_id is None or names.teacher_school.get(t) == school_id]
        row = {("日期" if zh else "date"): a.date.isoformat(), ("时间" if zh else "time"):
               f"{label('half_day', a.half, lang)} {a.start}–{a.end}",
               ("活动" if zh else "activity"): activity_title(a, names, lang),
               ("类别" if zh else "kind"): label("activity_kind", a.kind, lang),
               ("地点" if zh else "place"): names.place(a),
               ("主讲" if zh else "presenter"): names.teacher(a.presenter_id) if a.presenter_id else "",
               ("参加人数" if zh else "people"): len(a.teacher_ids),
               ("状态" if zh else "status"): label("activity_status", a.status, lang)}
        if school_id is not None:
            row["本校参加教师" if zh else "our teachers"] = ("、" if zh else ", ").join(names.teacher(t) for t in ours)
            row["本校承办" if zh else "we host"] = ("是" if zh else "yes") if a.host_school_id == school_id else ""
        rows.append(row)
    return pd.DataFrame(rows)


def write_notices_xlsx(result: CalendarResult | CalendarPlan, data: CalendarInput, path: str | Path,
                       lang: str = "zh") -> Path:
    """calendar_notices.xlsx: 汇总 (every activity), a notice sheet per school (what its teachers attend,
    what it hosts), 设施使用 (the facility bookings)."""
    plan = result.plan if isinstance(result, CalendarResult) else result
    names = Names(data)
    zh = lang == "zh"
    term = f"{data.school_year} 学年第 {data.term} 学期" if zh else f"{data.school_year}, term {data.term}"
    sheets = [Sheet("汇总" if zh else "all", _notice_frame(plan.activities, names, lang),
                    notes=(f"{data.cluster_name} {term} 学区活动安排" if zh else
                           f"{data.cluster_name} cluster activities, {term}",))]
    for s in data.schools:
        mine = [a for a in plan.activities if a.host_school_id == s.school_id
                or any(names.teacher_school.get(t) == s.school_id for t in a.teacher_ids)]
        frame = _notice_frame(mine, names, lang, s.school_id)
        note = (f"致{s.name}：{term}学区活动通知，共 {len(mine)} 项；请按时参加" if zh else
                f"To {s.name}: {len(mine)} cluster activities, {term}")
        sheets.append(Sheet(s.name, frame, notes=(note,)))
    booking_rows = [{("学校" if zh else "school"): names.school(b.school_id),
                     ("设施" if zh else "facility"): f"{names.school(b.facility_school_id)} "
                                                    f"{names.facilities.get(b.facility_id, b.facility_id)}",
                     ("星期" if zh else "weekday"): label("weekday", b.weekday, lang),
                     ("时间" if zh else "time"): f"{label('half_day', b.half, lang)} {b.start}–{b.end}",
                     ("次数" if zh else "sessions"): len(b.dates), ("人数" if zh else "people"): b.size,
                     ("距离（公里）" if zh else "km"): b.km,
                     ("任课教师" if zh else "teacher"): names.teacher(b.teacher_id) if b.teacher_id else "",
                     ("计划编号" if zh else "request"): b.request_id} for b in plan.bookings]
    sheets.append(Sheet("设施使用" if zh else "facilities", pd.DataFrame(booking_rows),
                        notes=("共享设施使用安排（每周固定时段）" if zh else "Shared facilities: weekly bookings",)))
    return write_workbook(Path(path), sheets)


# --- summary ------------------------------------------------------------------------------------------

def summary_markdown(result: CalendarResult, data: CalendarInput, policy: CalendarPolicy, lang: str = "zh") -> str:
    """What a cluster office reads: per quota planned against asked, who hosts, who travels, what is missing and why."""
    names = Names(data)
    zh = lang == "zh"
    plan = result.plan
    made = Counter(a.rule for a in plan.activities if a.status != "cancelled")
    hosted = Counter(a.host_school_id for a in plan.activities)
    km_by_school: dict[str, float] = defaultdict(float)
    between = SchoolDistances([s.school_id for s in data.schools], [s.lat for s in data.schools],
                              [s.lon for s in data.schools], data.distances)
    for a in plan.activities:
        for t in a.teacher_ids:
            school = names.teacher_school.get(t, "")
            if school and school != a.host_school_id:
                km_by_school[school] += 2 * between.km(school, a.host_school_id)
    term = f"{data.school_year}–{data.school_year + 1} 学年第 {data.term} 学期" if zh else \
        f"{data.school_year}–{data.school_year + 1}, term {data.term}"
    status = label("solver_status", result.status, lang)
    if zh:
        lines = [f"# {data.cluster_name} 学区活动日历 {term}", "",
                 f"- 求解状态：{status}；共 {len(plan.activities)} 项活动，设施每周固定使用 {len(plan.bookings)} 个时段"
                 + ("；**尽力方案**：部分规定未能全部排入，原因见下" if result.relaxed else "；政策规定全部排入"), "",
                 "| 规定 | 应开展 | 已排 |", "|---|---|---|"]
    else:
        lines = [f"# {data.cluster_name} activity calendar {term}", "",
                 f"- solver: {status}; {len(plan.activities)} activities, {len(plan.bookings)} weekly facility bookings"
                 + ("; **best effort**: some of the policy is not met, see why below" if result.relaxed
                    else "; everything the policy asks is planned"), "",
                 "| rule | asked | planned |", "|---|---|---|"]
    for rule, asked in sorted(result.required.items()):
        lines.append(f"| {label('activity_rule', rule, lang)} | {asked} | {made.get(rule, 0)} |")
    lines += ["", ("| 学校 | 承办 | 本校教师外出路程（人·公里，往返） |" if zh else "| school | hosts | person-km travelled |"),
              "|---|---|---|"]
    for s in data.schools:
        lines.append(f"| {s.name} | {hosted.get(s.school_id, 0)} | {km_by_school.get(s.school_id, 0.0):.0f} |")
    if result.explanations:
        lines += ["", "## 未能排入的原因" if zh else "## What is missing and why", ""]
        lines += [f"- {e.text(lang)}" for e in result.explanations]
    groups_line = "、".join(group_name(*k, lang) for k in sorted({(a.subject, a.band) for a in plan.activities
                                                                  if a.rule in ("research", "training")}))
    if groups_line:
        lines += ["", (f"学科组：{groups_line}" if zh else f"subject groups: {groups_line}")]
    return "\n".join(lines) + "\n"


def explanation_lines(result: CalendarResult, lang: str = "zh") -> list[str]:
    return [e.text(lang) for e in result.explanations]


__all__ = ["Names", "activity_event", "booking_events", "calendar_frame", "bookings_frame", "write_calendar_csv", "write_bookings_csv", "write_feeds",
           "write_notices_xlsx", "summary_markdown", "explanation_lines", "when"]
