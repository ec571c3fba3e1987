"""The feasible teacher → post pairs (候选), apprentices and coverage groups the model is built on.

Only pairs that can be part of a plan get a variable: an eligible teacher (or a pinned one), a post
of their subject at one of their grades, at a school in scope, in an allowed direction and within
the distance limit. The same index answers the explanations' questions ("how many eligible
teachers of school X have a post within 40 km?").
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .inputs import RotationInput, RotationSchool, RotationTeacher, TeachingNeed
from .policy import RotationPolicy
from .rules import (Distances, counts_as_backbone, direction, in_scope, is_eligible, is_quota_sender, posting_direction,
                    recency_years)

SCALE = 10  # objective units per km-equivalent: CP-SAT works on integers


@dataclass(frozen=True)
class Candidate:
    """A possible posting: teacher → one need (post) of a host school."""

    index: int
    teacher_id: str
    from_school_id: str
    need_index: int
    to_school_id: str
    direction: str  # support or learn
    km: float
    cost: int  # scaled travel × hardship + non-volunteer + recency (not the unfilled-post reward)
    by_pin: bool  # exists only because a planner pinned the teacher


@dataclass(frozen=True)
class PartTimeCandidate:
    """A possible part-time cover (跨校兼课): teacher → one need of a partner school, keeping their own post."""

    index: int
    teacher_id: str
    from_school_id: str
    need_index: int
    to_school_id: str
    km: float
    cost: int  # scaled weekly travel


@dataclass
class CoverageGroup:
    """Teachers of a school who teach a subject at a grade (任课): at least one of them must stay."""

    school_id: str
    subject: str
    grade: int
    members: list[str]
    movable: list[str]  # members who have a candidate posting


@dataclass
class CandidateIndex:
    data: RotationInput
    policy: RotationPolicy
    distances: Distances
    schools: dict[str, RotationSchool]
    teachers: dict[str, RotationTeacher]
    needs: list[TeachingNeed]
    eligible: dict[str, bool]  # teacher_id → eligible (teachers in the policy's roles only)
    candidates: list[Candidate] = field(default_factory=list)
    by_teacher: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_need: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_teacher_school: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(list))
    apprentices: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (mentor, host) → young teachers
    coverage: list[CoverageGroup] = field(default_factory=list)
    teachers_by_school: dict[str, list[RotationTeacher]] = field(default_factory=lambda: defaultdict(list))
    part_time: list[PartTimeCandidate] = field(default_factory=list)

    def eligible_at(self, school_id: str) -> list[RotationTeacher]:
        return [t for t in self.teachers_by_school[school_id] if self.eligible.get(t.teacher_id)]

    def is_mentor(self, teacher: RotationTeacher) -> bool:
        return self.policy.mentoring.enabled and (teacher.backbone or teacher.famous)

    def candidate_teachers_at(self, school_id: str, *, direction_: str | None = None,
                              backbone: bool | None = None) -> list[str]:
        """Teachers of the school with at least one candidate posting (optionally of a direction)."""
        out = []
        for t in self.teachers_by_school[school_id]:
            if backbone is not None and counts_as_backbone(t, self.policy) != backbone:
                continue
            ids = self.by_teacher.get(t.teacher_id, [])
            if any(direction_ is None or self.candidates[i].direction == direction_ for i in ids):
                out.append(t.teacher_id)
        return out


def _apprentice_pool(data: RotationInput, policy: RotationPolicy) -> dict[tuple[str, str], list[RotationTeacher]]:
    """Young teachers by (school, subject): 教龄 ≤ N, role teacher."""
    pool: dict[tuple[str, str], list[RotationTeacher]] = defaultdict(list)
    for t in data.teachers:
        if t.role == "teacher" and t.teaching_years <= policy.mentoring.max_apprentice_teaching_years:
            pool[(t.school_id, t.subject)].append(t)
    return pool


def build_candidates(data: RotationInput, policy: RotationPolicy) -> CandidateIndex:
    data.check()
    schools = {s.school_id: s for s in data.schools}
    teachers = {t.teacher_id: t for t in data.teachers}
    index = CandidateIndex(data=data, policy=policy, distances=Distances(data), schools=schools, teachers=teachers,
                           needs=list(data.needs), eligible={})
    for t in data.teachers:
        index.teachers_by_school[t.school_id].append(t)
        index.eligible[t.teacher_id] = is_eligible(t, data.school_year, policy)

    needs_by_school_subject: dict[tuple[str, str], list[int]] = defaultdict(list)
    for n_index, need in enumerate(data.needs):
        if need.posts > 0:
            needs_by_school_subject[(need.school_id, need.subject)].append(n_index)
    host_ids_by_subject: dict[str, list[str]] = defaultdict(list)
    for (school_id, subject) in needs_by_school_subject:
        host_ids_by_subject[subject].append(school_id)

    pinned: dict[str, set[str | None]] = defaultdict(set)
    for pin in data.pins:
        pinned[pin.teacher_id].add(pin.to_school_id)

    weights = policy.weights
    for t in data.teachers:
        pins = pinned.get(t.teacher_id, set())
        # A pin to "some school" overrides eligibility; a pin to one school also scope, direction, distance.
        regular = index.eligible[t.teacher_id] or None in pins
        if not regular and not pins:
            continue
        if t.role not in policy.eligibility.roles and not pins:
            continue
        sender = schools[t.school_id]
        grades = set(t.grades)
        base_cost = (weights.non_volunteer if not t.volunteer else 0.0) + \
            weights.recent_rotation * recency_years(t, data.school_year, policy)
        for host_id in host_ids_by_subject.get(t.subject, ()):
            if host_id == t.school_id:
                continue
            host = schools[host_id]
            by_pin = False
            kind = posting_direction(sender, host, policy) if in_scope(sender, host, policy) else None
            km = index.distances.teacher_km(t, host_id)
            if not (regular and kind is not None and km <= policy.distance.max_km):
                if host_id in pins:  # a planner's pin overrides eligibility, direction, scope and distance
                    by_pin = True
                    kind = kind or direction(sender, host) or "support"
                else:
                    continue
            travel = km * (1.0 + policy.distance.hardship_travel_factor * host.hardship)
            cost = int(round((travel + base_cost) * SCALE))
            for n_index in needs_by_school_subject[(host_id, t.subject)]:
                if data.needs[n_index].grade not in grades:
                    continue
                c = Candidate(len(index.candidates), t.teacher_id, t.school_id, n_index, host_id, kind, km, cost,
                              by_pin)
                index.candidates.append(c)
                index.by_teacher[t.teacher_id].append(c.index)
                index.by_need[n_index].append(c.index)
                index.by_teacher_school[(t.teacher_id, host_id)].append(c.index)

    if policy.mentoring.enabled:
        pool = _apprentice_pool(data, policy)
        for (teacher_id, host_id) in index.by_teacher_school:
            mentor = teachers[teacher_id]
            if not (mentor.backbone or mentor.famous):
                continue
            grades = set(mentor.grades)
            index.apprentices[(teacher_id, host_id)] = [
                a.teacher_id for a in pool.get((host_id, mentor.subject), ()) if grades & set(a.grades)]

    if policy.scope.keep_subject_coverage:
        index.coverage = coverage_groups(index)
    if policy.part_time.enabled:
        add_part_time_candidates(index, needs_by_school_subject, host_ids_by_subject)
    return index


def add_part_time_candidates(index: CandidateIndex, needs_by_school_subject: dict[tuple[str, str], list[int]],
                             host_ids_by_subject: dict[str, list[str]]) -> None:
    """Teachers (not only those eligible for rotation: they keep their post) of a partner school in scope,
    within `part_time.max_km` of the host, for a post of their subject at one of their grades."""
    data, policy = index.data, index.policy
    barred = {(f.teacher_id, f.to_school_id) for f in data.forbids}
    for t in data.teachers:
        if t.role not in policy.eligibility.roles or (t.teacher_id, None) in barred:
            continue
        sender = index.schools[t.school_id]
        grades = set(t.grades)
        for host_id in host_ids_by_subject.get(t.subject, ()):
            if host_id == t.school_id or (t.teacher_id, host_id) in barred:
                continue
            if not in_scope(sender, index.schools[host_id], policy):
                continue
            km = index.distances.teacher_km(t, host_id)
            if km > policy.part_time.max_km:
                continue
            for n_index in needs_by_school_subject[(host_id, t.subject)]:
                if data.needs[n_index].grade in grades:
                    index.part_time.append(PartTimeCandidate(len(index.part_time), t.teacher_id, t.school_id, n_index,
                                                             host_id, km, int(round(km * SCALE))))


def coverage_groups(index: CandidateIndex) -> list[CoverageGroup]:
    """Groups where every member could leave: only those need a constraint."""
    groups = []
    for school_id, staff in index.teachers_by_school.items():
        if not any(t.teacher_id in index.by_teacher for t in staff):
            continue
        school_grades = set(index.data.school_grades(index.schools[school_id]))
        members: dict[tuple[str, int], list[str]] = defaultdict(list)
        for t in staff:
            for g in t.grades:
                if not school_grades or g in school_grades:
                    members[(t.subject, g)].append(t.teacher_id)
        for (subject, grade), ids in sorted(members.items()):
            movable = [i for i in ids if i in index.by_teacher]
            if movable and len(movable) == len(ids):
                groups.append(CoverageGroup(school_id, subject, grade, ids, movable))
    return groups


def quota_senders(index: CandidateIndex) -> list[str]:
    return [s.school_id for s in index.data.schools if is_quota_sender(s, index.policy)]
