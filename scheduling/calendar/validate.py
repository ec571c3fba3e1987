"""Check any calendar against the policy and the inputs, with plain checks of its own.

Independent of the planner on purpose (it imports neither `activities`, `model` nor `solve`): the
term's teaching days, subject groups, supported pairs, paired schools, who takes part in what and
how many activities each quota asks for are all recomputed here from the policy's numbers, so a
mistake in the planner cannot hide from the tests. School-to-school km come from
`domain.geo.SchoolDistances`, the one distance rule. Returns a list of violations; an empty list
means the calendar keeps every hard rule and meets every quota. A best-effort calendar misses
quotas on purpose: `unexplained_violations` keeps only what its explanations do not name.
"""
from __future__ import annotations

import calendar as std_calendar
import datetime as dt
import math
from collections import Counter, defaultdict
from dataclasses import dataclass

from domain.geo import SchoolDistances

from .inputs import CalendarInput, CalendarTeacher
from .policy import CalendarPolicy
from .results import CalendarPlan, CalendarResult

_TIER = {"weak": 0, "ordinary": 1, "quality": 2}
_LOCALITY = {"rural": 0, "township": 1, "urban": 2}
_GROUP_RULES = ("lesson_prep", "same_lesson", "research", "training")


@dataclass(frozen=True)
class Violation:
    rule: str  # date, exam_day, away, participants, host, presenter, window, double, weekly_cap, venue, booking, quota, pin
    subject: str  # the activity, teacher, facility, request or quota scope concerned
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.subject}: {self.message}"


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


class _Checker:
    def __init__(self, data: CalendarInput, policy: CalendarPolicy, plan: CalendarPlan):
        self.data, self.policy, self.plan = data, policy, plan
        self.out: list[Violation] = []
        self.schools = {s.school_id: s for s in data.schools}
        self.teachers = {t.teacher_id: t for t in data.teachers}
        self.facilities = {f.facility_id: f for f in data.facilities}
        self.between = SchoolDistances([s.school_id for s in data.schools], [s.lat for s in data.schools],
                                       [s.lon for s in data.schools], data.distances)
        self.days = self._teaching_days()
        self.day_set = set(self.days)

    def add(self, rule: str, subject: str, message: str) -> None:
        self.out.append(Violation(rule, subject, message))

    # --- plain facts, recomputed ---
    def _teaching_days(self) -> list[dt.date]:
        off: set[dt.date] = set()
        for year in range(self.data.start.year, self.data.end.year + 1):
            for item in self.policy.term.holidays:
                first, _, last = str(item).partition("..")
                def day(md: str) -> dt.date:
                    m, d = (int(x) for x in md.split("-"))
                    return dt.date(year, m, min(d, std_calendar.monthrange(year, m)[1]))
                a, b = day(first), day(last or first)
                while a <= b:
                    off.add(a)
                    a += dt.timedelta(days=1)
        out, d = [], self.data.start
        while d <= self.data.end:
            if d.isoweekday() in self.policy.time.weekdays and d not in off:
                out.append(d)
            d += dt.timedelta(days=1)
        return out

    def band(self, t: CalendarTeacher) -> str:
        if not t.grades:
            return "primary"
        g = min(t.grades)
        return "primary" if g <= 6 else "junior" if g <= 9 else "high"

    def groups(self) -> dict[tuple[str, str], list[str]]:
        found: dict[tuple[str, str], list[CalendarTeacher]] = defaultdict(list)
        for t in self.data.teachers:
            if t.subject:
                found[(t.subject, self.band(t))].append(t)
        g = self.policy.groups
        return {k: sorted(t.teacher_id for t in v) for k, v in found.items()
                if len(v) >= g.min_teachers and len({t.school_id for t in v}) >= g.min_schools}

    def pairs(self) -> list[tuple[str, str]]:
        ids = [s.school_id for s in self.data.schools]
        if self.policy.hosts.pairing == "all_pairs":
            return [(a, b) for i, a in enumerate(ids) for b in ids[i + 1:]]
        lead = next((s.school_id for s in self.data.schools if s.is_lead), ids[0] if ids else None)
        return [(lead, b) for b in ids if b != lead] if lead else []

    def supported(self) -> list[tuple[str, str]]:
        rank = {k: _TIER.get(s.tier, 1) + _LOCALITY.get(s.locality, 1) for k, s in self.schools.items()}
        return [(g, t) for a, b in self.pairs() for g, t in ((a, b), (b, a))
                if self.schools[g].tier in self.policy.demo_lesson.supporter_tiers and rank[g] > rank[t]]

    def group_at(self, school_id: str, subject: str, band: str) -> set[str]:
        return {t.teacher_id for t in self.data.teachers if t.school_id == school_id and t.subject == subject
                and self.band(t) == band}

    def away(self, teacher_id: str, day: dt.date, half: str) -> bool:
        for u in self.data.unavailable:
            if u.teacher_id == teacher_id and u.date == day and (u.half is None or u.half == half):
                return True
        return any(ld.teacher_id == teacher_id and ld.start <= day <= ld.end and day.isoweekday() == ld.weekday
                   for ld in self.data.leader_days)

    def open_at(self, facility_id: str, weekday: int, half: str) -> bool:
        f = self.facilities[facility_id]
        start, end = self.policy.time.span(half)
        return weekday in f.weekdays and _minutes(f.open_from) <= _minutes(start) and _minutes(f.open_until) >= _minutes(end)

    def part_of_term(self, period: str, day: dt.date) -> bool:
        """Whether a day lies in the k-th of n equal parts of the teaching days (spread counts)."""
        k, n = (int(x) for x in period.split("/"))
        a, b = math.floor((k - 1) * len(self.days) / n), math.floor(k * len(self.days) / n)
        chunk = self.days[a:b] or self.days[-1:]
        return chunk[0] <= day <= chunk[-1]

    # --- checks ---
    def activities(self) -> None:
        p = self.policy
        groups = self.groups()
        supported = set(self.supported())
        partners: dict[str, set[str]] = defaultdict(set)
        for one, two in self.pairs():
            partners[one].add(two)
            partners[two].add(one)
        seen_ids: set[str] = set()
        for a in self.plan.activities:
            if a.status == "cancelled":
                continue
            who = a.activity_id
            if who in seen_ids:
                self.add("duplicate", who, "the activity appears twice")
            seen_ids.add(who)
            if a.date not in self.day_set:
                self.add("date", who, f"{a.date} is not a teaching day of the term")
            if a.date in self.data.exam_days:
                self.add("exam_day", who, f"{a.date} is a joint-exam day ({self.data.exam_days[a.date]})")
            halves = ("am", "pm") if a.half == "day" else (a.half,)
            if not set(halves) <= set(p.time.halves):
                self.add("date", who, f"half day {a.half} is not allowed by time.halves")
            if (a.start, a.end) != p.time.span(a.half):
                self.add("date", who, f"{a.start}–{a.end} is not the time of {a.half}")
            for t in a.teacher_ids:
                if t not in self.teachers:
                    self.add("participants", who, f"{t} is not a teacher of the cluster")
                    continue
                if any(self.away(t, a.date, h) for h in halves):
                    self.add("away", who, f"{t} is unavailable or at a partner school on {a.date} {a.half}")
            self._who_takes_part(a, groups, supported, partners)
            self._window(a)
            self._venue(a, halves)

    def _who_takes_part(self, a, groups, supported, partners) -> None:
        who, people = a.activity_id, set(a.teacher_ids)
        if a.host_school_id not in self.schools:
            self.add("host", who, f"{a.host_school_id} is not a school of the cluster")
            return
        if a.rule in _GROUP_RULES:
            expected = set(groups.get((a.subject, a.band), ()))
            if not expected:
                self.add("participants", who, f"{a.subject}/{a.band} is no subject group of the cluster")
            if people != expected:
                self.add("participants", who, f"{len(people)} take part, the subject group has {len(expected)}")
            if not any(self.teachers[t].school_id == a.host_school_id for t in expected if t in self.teachers):
                self.add("host", who, f"the host {a.host_school_id} has no teacher of the group")
        elif a.rule == "same_grade_prep":
            named = tuple(a.scope.split(":", 1)[-1].split(">")) if ">" in a.scope else ()
            pair = named if named in supported else None
            if pair is None or a.host_school_id not in pair:
                self.add("host", who, f"{a.scope}: not held at a supporting or supported school of a pair")
                return
            expected = {t.teacher_id for t in self.data.teachers if t.school_id in pair and t.subject == a.subject
                        and a.grade in t.grades}
            if people != expected or not expected:
                self.add("participants", who, f"{len(people)} take part, {len(expected)} teach {a.subject} grade "
                         f"{a.grade} at the pair's schools")
        elif a.rule == "demo_lesson":
            presenter = self.teachers.get(a.presenter_id)
            givers = {g for g, t in supported if t == a.host_school_id}
            if presenter is None or not givers:
                self.add("presenter", who, "no presenter, or the host is not a supported school")
                return
            d = self.policy.demo_lesson
            kinds_ok = "teacher" in d.presenters or (presenter.backbone and "backbone" in d.presenters) or \
                (presenter.famous and "famous" in d.presenters)
            from_ok = presenter.school_id in givers or (d.presenter_scope == "cluster"
                                                       and presenter.school_id != a.host_school_id)
            teaches = presenter.subject == a.subject and any(
                ("primary" if g <= 6 else "junior" if g <= 9 else "high") == a.band for g in presenter.grades)
            if not (kinds_ok and from_ok and teaches):
                self.add("presenter", who, f"{presenter.teacher_id} may not give this lesson")
            expected = self.group_at(a.host_school_id, a.subject, a.band) | {presenter.teacher_id}
            if people != expected:
                self.add("participants", who, f"{len(people)} take part, expected the host's group and the presenter")
        elif a.rule == "famous_lesson":
            presenter = self.teachers.get(a.presenter_id)
            if presenter is None or not presenter.famous:
                self.add("presenter", who, "not given by a famous teacher")
                return
            posted = presenter.home_school_id and presenter.school_id != presenter.home_school_id
            allowed = {presenter.school_id} if posted else (
                set(self.schools) - {presenter.school_id} if self.policy.famous_lesson.paired == "cluster"
                else partners.get(presenter.school_id, set()))
            if a.host_school_id not in allowed:
                self.add("host", who, f"{a.host_school_id} is not a school paired with the famous teacher's")
            expected = self.group_at(a.host_school_id, a.subject, a.band) | {presenter.teacher_id}
            if people != expected:
                self.add("participants", who, f"{len(people)} take part, expected the host's group and the teacher")

    def _window(self, a) -> None:
        if a.rule in ("lesson_prep", "same_lesson"):
            if a.period != f"{a.date.year}-{a.date.month:02d}":
                self.add("window", a.activity_id, f"{a.date} is not in the month {a.period}")
        elif a.period and "/" in a.period:
            section = getattr(self.policy, a.rule)
            if getattr(section, "spread", False) and not self.part_of_term(a.period, a.date):
                self.add("window", a.activity_id, f"{a.date} is not in part {a.period} of the term")

    def _venue(self, a, halves) -> None:
        venue_kind = getattr(getattr(self.policy, a.rule, None), "venue", "")
        need = bool(venue_kind) and bool(self.data.facilities) and self.policy.facilities.require_venue
        if not a.facility_id:
            if need:
                self.add("venue", a.activity_id, f"needs a {venue_kind} at the host")
            return
        f = self.facilities.get(a.facility_id)
        if f is None:
            self.add("venue", a.activity_id, f"unknown facility {a.facility_id}")
            return
        if f.school_id != a.host_school_id:
            self.add("venue", a.activity_id, f"{f.facility_id} is not at the host")
        if need and f.kind != venue_kind:
            self.add("venue", a.activity_id, f"{f.facility_id} is a {f.kind}, not a {venue_kind}")
        if f.capacity < len(a.teacher_ids):
            self.add("venue", a.activity_id, f"{f.facility_id} seats {f.capacity}, {len(a.teacher_ids)} take part")
        if not all(self.open_at(f.facility_id, a.date.isoweekday(), h) for h in halves):
            self.add("venue", a.activity_id, f"{f.facility_id} is closed on {a.date} {a.half}")

    def bookings(self) -> None:
        p = self.policy
        requests = {q.request_id: q for q in self.data.requests}
        per_request: Counter = Counter()
        weekdays: dict[str, list[int]] = defaultdict(list)
        held_slots: set[tuple[str, int, str]] = set()
        for b in self.plan.bookings:
            q = requests.get(b.request_id)
            f = self.facilities.get(b.facility_id)
            if q is None or f is None:
                self.add("booking", b.request_id, "unknown request or facility")
                continue
            per_request[b.request_id] += 1
            weekdays[b.request_id].append(b.weekday)
            if f.kind != q.kind or f.capacity < q.size:
                self.add("booking", b.request_id, f"{f.facility_id} ({f.kind}, {f.capacity} seats) does not fit")
            km = 0.0 if f.school_id == q.school_id else self.between.km(q.school_id, f.school_id)
            if km > p.facilities.max_km + 1e-9:
                self.add("booking", b.request_id, f"{f.facility_id} is {km:.1f} km away, over facilities.max_km")
            if not self.open_at(f.facility_id, b.weekday, b.half) or b.half not in p.time.halves:
                self.add("booking", b.request_id, f"{f.facility_id} is closed on weekday {b.weekday} {b.half}")
            if (f.facility_id, b.weekday, b.half) in held_slots:
                self.add("booking", b.request_id, f"{f.facility_id} is booked twice on weekday {b.weekday} {b.half}")
            held_slots.add((f.facility_id, b.weekday, b.half))
            expected = [d for d in self.days if d.isoweekday() == b.weekday and d not in self.data.exam_days
                        and (self.data.not_before is None or d >= self.data.not_before)
                        and not (q.teacher_id and any(u.teacher_id == q.teacher_id and u.date == d
                                                      and u.half in (None, b.half) for u in self.data.unavailable))]
            if list(b.dates) != expected:
                self.add("booking", b.request_id, "its dates are not the term's days of that weekday")
        for request_id, n in per_request.items():
            q = requests[request_id]
            if n > q.per_week or len(set(weekdays[request_id])) != n:
                self.add("booking", request_id, f"{n} sessions a week on {sorted(weekdays[request_id])}, asked {q.per_week}"
                         " on different weekdays")
        for q in self.data.requests:
            if per_request[q.request_id] < q.per_week:
                self.add("booking_short", q.request_id,
                         f"{per_request[q.request_id]} of {q.per_week} sessions a week booked")

    def clashes(self) -> None:
        """No teacher in two places, the weekly cap, a venue once at a time."""
        cap = self.policy.limits.max_per_teacher_per_week
        at: dict[tuple[str, dt.date, str], list[str]] = defaultdict(list)
        room: dict[tuple[str, dt.date, str], list[str]] = defaultdict(list)
        weekly: Counter = Counter()
        requests = {q.request_id: q for q in self.data.requests}
        for a in self.plan.activities:
            if a.status == "cancelled":
                continue
            halves = ("am", "pm") if a.half == "day" else (a.half,)
            for h in halves:
                for t in a.teacher_ids:
                    at[(t, a.date, h)].append(a.activity_id)
                if a.facility_id:
                    room[(a.facility_id, a.date, h)].append(a.activity_id)
            for t in a.teacher_ids:
                weekly[(t, a.date.isocalendar()[:2])] += 1
        for b in self.plan.bookings:
            teacher = requests[b.request_id].teacher_id if b.request_id in requests else ""
            for d in b.dates:
                room[(b.facility_id, d, b.half)].append(b.request_id)
                if teacher:
                    at[(teacher, d, b.half)].append(b.request_id)
        for (t, d, h), ids in at.items():
            if len(ids) > 1:
                self.add("double", t, f"{d} {h}: {', '.join(ids)}")
        for (f, d, h), ids in room.items():
            if len(ids) > 1:
                self.add("venue", f, f"{d} {h}: {', '.join(ids)}")
        for (t, week), n in weekly.items():
            if n > cap:
                self.add("weekly_cap", t, f"{n} activities in week {week[1]}, over {cap}")

    def quotas(self) -> None:
        """How many activities each quota asks for, counted here, against the calendar."""
        p = self.policy
        asked: Counter = Counter()
        groups = self.groups()
        by_month: dict[tuple[int, int], int] = Counter((d.year, d.month) for d in self.days)
        for rule in ("lesson_prep", "same_lesson"):
            section = getattr(p, rule)
            for (year, month), n in by_month.items():
                if n >= section.min_days_in_month:
                    for subject, band in groups:
                        asked[f"{rule}:{subject}/{band}@{year}-{month:02d}"] += section.per_month
        for rule in ("research", "training"):
            for subject, band in groups:
                asked[f"{rule}:{subject}/{band}"] += getattr(p, rule).per_term
        for g, t in self.supported():
            asked[f"same_grade_prep:{g}>{t}"] += p.same_grade_prep.per_pair_per_term
            for subject, band in {(x.subject, self.band(x)) for x in self.data.teachers if x.school_id == t and x.subject}:
                asked[f"demo_lesson:{g}>{t}/{subject}/{band}"] += p.demo_lesson.per_subject_per_term
        for x in self.data.teachers:
            if x.famous and p.famous_lesson.per_year > 0:
                asked[f"famous_lesson:{x.teacher_id}"] += math.ceil(p.famous_lesson.per_year / 2)
        made: Counter = Counter(a.scope for a in self.plan.activities if a.status != "cancelled")
        for scope, n in asked.items():
            if n and made[scope] < n:
                self.add("quota", scope, f"{made[scope]} of {n} activities planned")

    def pins(self) -> None:
        placed = {a.activity_id: a for a in self.plan.activities}
        for pin in self.data.pins:
            a = placed.get(pin.activity_id)
            if a is None or (pin.date and a.date != pin.date) or (pin.half and a.half != pin.half) or (
                    pin.host_school_id and a.host_school_id != pin.host_school_id):
                self.add("pin", pin.activity_id, "the pinned day or host is not kept")


def validate_calendar(data: CalendarInput, policy: CalendarPolicy, plan: CalendarPlan) -> list[Violation]:
    """Every hard rule and quota the calendar breaks ([] when it keeps them all)."""
    checker = _Checker(data, policy, plan)
    checker.activities()
    checker.bookings()
    checker.clashes()
    checker.quotas()
    checker.pins()
    return checker.out


def unexplained_violations(result: CalendarResult, violations: list[Violation]) -> list[Violation]:
    """The violations a best-effort calendar's explanations do not name: a quota short, a facility
    session not booked or a pin dropped is explained when an explanation is about its scope."""
    named = {e.scope for e in result.explanations}
    return [v for v in violations if not (v.rule in ("quota", "booking_short", "pin") and v.subject in named)]
