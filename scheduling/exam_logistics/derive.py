"""What the rules make of an invigilation input: slots per site and session, who may sit where.

Shared by the CP-SAT model, the greedy baseline and the capacity pre-checks (the validators do
not use it: they re-derive every rule on their own).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from itertools import combinations

from .data import ExamSession, ExamRoom, ExamTeacher, InvigilationInput, Pin
from .policy import InvigilationPolicy


@dataclass(frozen=True)
class SiteSession:
    """One site (考点) in one session: its rooms, invigilators per room and reserves."""
    session_id: str
    site: str
    rooms: tuple[ExamRoom, ...]
    per_room: tuple[int, ...]
    reserves: int

    @cached_property
    def chiefs(self) -> int:  # one chief invigilator (主监考) per room
        return len(self.rooms)

    @cached_property
    def slots(self) -> int:
        return sum(self.per_room) + self.reserves


@dataclass
class Quota:
    target: float
    lo: int
    hi: int


@dataclass
class InvigilationFacts:
    data: InvigilationInput
    policy: InvigilationPolicy
    blocks: list[str]  # a teacher stays at one site per block: a date (or a session)
    block_sessions: dict[str, list[ExamSession]]
    patterns: dict[str, list[tuple[str, ...]]]  # block -> session-id tuples a teacher may work in it
    site_sessions: dict[tuple[str, str], SiteSession]
    cap: dict[str, int]
    allowed: dict[str, frozenset[str]]  # teacher -> sessions they may invigilate (any site)
    chief_ok: dict[str, bool]
    reachable: dict[str, list[str]]  # school -> sites a teacher of it may travel to
    forbidden_sites: dict[str, dict[str | None, set[str]]]  # teacher -> session (None: all) -> sites
    quota: dict[str, Quota]
    session_quota: dict[tuple[str, str], Quota]  # (school, session) -> quota, when quota_scope == "session"
    pool: set[str]  # teachers whose minimum load counts towards the spread (fairness)
    potential: dict[str, int]  # most sessions a teacher could work under all the rules
    pins: tuple[Pin, ...] = ()
    day_of_session: dict[str, str] = field(default_factory=dict)
    _site_cache: dict = field(default_factory=dict, repr=False)

    @property
    def demand(self) -> int:
        return sum(ss.slots for ss in self.site_sessions.values())

    def site_in_use(self, session_id: str, site: str) -> bool:
        return (session_id, site) in self.site_sessions

    def km_limit(self, school: str, site: str) -> float:
        sb = self.data.school_by_id
        return self.policy.km_limit(sb[school].rural, sb[site].rural)


def chief_eligible(t: ExamTeacher, policy: InvigilationPolicy) -> bool:
    return t.teaching_years >= policy.chief_min_teaching_years or (policy.chief_backbone_qualifies and t.backbone)


def teacher_allowed_sessions(t: ExamTeacher, sessions: tuple[ExamSession, ...], policy: InvigilationPolicy) -> frozenset[str]:
    out = []
    for s in sessions:
        if policy.exclude_own_subject and s.subject == t.subject:
            continue
        if policy.exclude_own_students and s.grade in t.grades:
            continue
        if s.date in t.unavailable_dates or s.session_id in t.unavailable_sessions:
            continue
        out.append(s.session_id)
    return frozenset(out)


def quota_bounds(target: float, policy_tolerance: float, slack: int) -> Quota:
    lo = max(0, math.floor(target * (1 - policy_tolerance) - slack + 1e-9))
    hi = math.ceil(target * (1 + policy_tolerance) + slack - 1e-9)
    return Quota(target, lo, hi)


def derive(data: InvigilationInput, policy: InvigilationPolicy, pins=(), forbids=()) -> InvigilationFacts:
    pins = tuple(pins)
    forbids = tuple(forbids)
    sessions = sorted(data.sessions, key=lambda s: (s.date, s.start, s.session_id))
    # blocks: the span over which a teacher stays at one site
    block_of = {s.session_id: (s.date if policy.one_site_per_day else s.session_id) for s in sessions}
    blocks = list(dict.fromkeys(block_of[s.session_id] for s in sessions))
    block_sessions = {b: [s for s in sessions if block_of[s.session_id] == b] for b in blocks}
    patterns: dict[str, list[tuple[str, ...]]] = {}
    for b, ss in block_sessions.items():
        pats = []
        for size in range(1, min(len(ss), policy.max_sessions_per_day) + 1):
            for combo in combinations(ss, size):
                if any(a.overlaps(c) for a, c in combinations(combo, 2)):
                    continue
                pats.append(tuple(s.session_id for s in combo))
        patterns[b] = pats

    site_sessions: dict[tuple[str, str], SiteSession] = {}
    for (sid, site), rooms in data.session_rooms.items():
        per_room = tuple(policy.invigilators_per_room + (1 if policy.large_room_seats and r.capacity > policy.large_room_seats else 0)
                         for r in rooms)
        reserves = policy.reserves_per_site + (len(rooms) // policy.rooms_per_extra_reserve if policy.rooms_per_extra_reserve else 0)
        site_sessions[(sid, site)] = SiteSession(sid, site, rooms, per_room, reserves)

    sites = sorted({site for (_, site) in site_sessions})
    reachable: dict[str, list[str]] = {}
    for s in data.schools:
        reach = []
        for j in sites:
            if policy.exclude_own_school and j == s.school_id:
                continue
            if data.km(s.school_id, j) <= policy.km_limit(s.rural, data.school_by_id[j].rural) + 1e-9:
                reach.append(j)
        reachable[s.school_id] = reach

    forbidden_sites: dict[str, dict[str | None, set[str]]] = {}
    forbidden_sessions: dict[str, set[str]] = {}
    for f in forbids:
        if f.site_school_id is None:
            if f.session_id is not None:
                forbidden_sessions.setdefault(f.teacher_id, set()).add(f.session_id)
            else:  # neither: the teacher does not invigilate this exam
                forbidden_sessions.setdefault(f.teacher_id, set()).update(s.session_id for s in sessions)
        else:
            forbidden_sites.setdefault(f.teacher_id, {}).setdefault(f.session_id, set()).add(f.site_school_id)

    cap: dict[str, int] = {}
    allowed: dict[str, frozenset[str]] = {}
    chief_ok: dict[str, bool] = {}
    potential: dict[str, int] = {}
    pool: set[str] = set()
    for t in data.teachers:
        cap[t.teacher_id] = policy.cap_for_role(t.role)
        allowed[t.teacher_id] = (teacher_allowed_sessions(t, data.sessions, policy)
                                 - forbidden_sessions.get(t.teacher_id, set())) if cap[t.teacher_id] > 0 else frozenset()
        chief_ok[t.teacher_id] = chief_eligible(t, policy)
    day_of_session = {s.session_id: s.date for s in sessions}
    facts = InvigilationFacts(data, policy, blocks, block_sessions, patterns, site_sessions, cap, allowed, chief_ok,
                              reachable, forbidden_sites, {}, {}, pool, potential, pins, day_of_session)
    for t in data.teachers:
        potential[t.teacher_id] = teacher_potential(facts, t)
        if t.role == "teacher" and cap[t.teacher_id] == policy.max_sessions_per_exam and potential[t.teacher_id] >= cap[t.teacher_id]:
            pool.add(t.teacher_id)

    # quota (各校名额): invigilator-sessions in proportion to the rooms the school's candidates fill
    rooms_of = {s.school_id: 0 for s in data.schools}
    for (sid, site), site_session in site_sessions.items():
        rooms_of[site] += len(site_session.rooms)
    total_rooms = sum(rooms_of.values())
    demand = facts.demand
    for s in data.schools:
        target = demand * rooms_of[s.school_id] / total_rooms if total_rooms else 0.0
        facts.quota[s.school_id] = quota_bounds(target, policy.quota_tolerance, policy.quota_slack)
    if policy.quota_scope == "session":
        for e in sessions:
            in_e = {site: ss for (sid, site), ss in site_sessions.items() if sid == e.session_id}
            rooms_e = sum(len(ss.rooms) for ss in in_e.values())
            demand_e = sum(ss.slots for ss in in_e.values())
            for s in data.schools:
                r = len(in_e[s.school_id].rooms) if s.school_id in in_e else 0
                target = demand_e * r / rooms_e if rooms_e else 0.0
                facts.session_quota[(s.school_id, e.session_id)] = quota_bounds(target, policy.quota_tolerance, policy.quota_slack)
    return facts


def teacher_patterns(facts: InvigilationFacts, t: ExamTeacher, block: str) -> list[tuple[str, ...]]:
    """Patterns of a block the teacher may work (allowed sessions, load cap), at some site."""
    allowed = facts.allowed[t.teacher_id]
    cap = facts.cap[t.teacher_id]
    return [p for p in facts.patterns[block] if len(p) <= cap and all(e in allowed for e in p)]


def school_pattern_sites(facts: InvigilationFacts, school: str, pattern: tuple[str, ...]) -> list[str]:
    """Sites a teacher of the school may reach that are in use in every session of the pattern."""
    key = (school, pattern)
    cached = facts._site_cache.get(key)
    if cached is None:
        cached = [j for j in facts.reachable[school] if all(facts.site_in_use(e, j) for e in pattern)]
        facts._site_cache[key] = cached
    return cached


def pattern_sites(facts: InvigilationFacts, t: ExamTeacher, pattern: tuple[str, ...]) -> list[str]:
    """Sites where the teacher could work all sessions of the pattern."""
    sites = school_pattern_sites(facts, t.school_id, pattern)
    forb = facts.forbidden_sites.get(t.teacher_id)
    if not forb:
        return sites
    return [j for j in sites if j not in forb.get(None, ()) and not any(j in forb.get(e, ()) for e in pattern)]


def teacher_potential(facts: InvigilationFacts, t: ExamTeacher) -> int:
    """Most sessions the teacher could work: per block the largest workable pattern, capped."""
    total = 0
    for b in facts.blocks:
        best = 0
        for p in teacher_patterns(facts, t, b):
            if len(p) > best and pattern_sites(facts, t, p):
                best = len(p)
        total += best
    per_day: dict[str, int] = {}
    if not facts.policy.one_site_per_day:  # blocks are sessions: the day cap binds separately
        for b in facts.blocks:
            day = facts.day_of_session[b]
            per_day[day] = per_day.get(day, 0)
        total = 0
        for day in per_day:
            n = sum(1 for b in facts.blocks if facts.day_of_session[b] == day and any(
                pattern_sites(facts, t, p) for p in teacher_patterns(facts, t, b)))
            total += min(n, facts.policy.max_sessions_per_day)
    return min(total, facts.cap[t.teacher_id])
