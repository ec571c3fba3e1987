"""The activities the policy asks of a cluster in a term (应开展的活动), before any is placed.

Each quota of the policy becomes that many activities ("demands"), each with its window (a month,
or the k-th part of the term when the policy spreads a count), who takes part, which schools may
host, who may present, and the policy key that asks for it. What cannot be asked at all (no excellent
teacher of a subject at the supporting school, no paired school teaching a famous teacher's subject,
two schools sharing no grade of a subject) is kept as a `Missing` with its numbers, for the
explanations. Subject groups (学科组) are a subject's teachers of one stage band (小学、初中、高中) in
the cluster, by where they teach this term.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from domain.vocab import LOCALITY_RANK, SUBJECTS, TIER_RANK

from .inputs import CalendarInput, CalendarSchool, CalendarTeacher, band_of_grade, teaching_days
from .policy import CalendarPolicy

KIND_OF_RULE = {"lesson_prep": "lesson_prep", "same_lesson": "same_lesson", "research": "research",
                "training": "training", "same_grade_prep": "lesson_prep", "demo_lesson": "demo_lesson",
                "famous_lesson": "famous_lesson"}
CODE_OF_RULE = {"lesson_prep": "LP", "same_lesson": "SL", "research": "RS", "training": "TR",
                "same_grade_prep": "SG", "demo_lesson": "DL", "famous_lesson": "FL"}
QUOTA_KEY = {"lesson_prep": "lesson_prep.per_month", "same_lesson": "same_lesson.per_month",
             "research": "research.per_term", "training": "training.per_term",
             "same_grade_prep": "same_grade_prep.per_pair_per_term",
             "demo_lesson": "demo_lesson.per_subject_per_term", "famous_lesson": "famous_lesson.per_year"}
BAND_CODE = {"primary": "P", "junior": "J", "high": "H"}
BAND_ZH = {"primary": "小学", "junior": "初中", "high": "高中"}
SUBJECT_ORDER = {s: n for n, s in enumerate(SUBJECTS)}


@dataclass(frozen=True)
class Demand:
    """One activity the policy asks for, not yet placed."""

    activity_id: str
    rule: str  # the policy table asking for it: lesson_prep, same_lesson, research, training, …
    subject: str
    band: str  # primary, junior, high
    grade: int | None
    first: dt.date  # window
    last: dt.date
    half_days: int
    venue: str  # facility kind needed at the host ("" none)
    hosts: tuple[str, ...]  # schools that may host
    members: tuple[str, ...]  # teachers taking part wherever it is held
    host_group: bool = False  # the host school's teachers of the group join too (demonstration lessons)
    presenters: tuple[str, ...] = ()  # who may present (demonstration lessons); () none needed
    presenter: str = ""  # a famous teacher's own lesson
    # the quota instance, "rule:what": research:math/junior, lesson_prep:math/junior@2026-10,
    # same_grade_prep:S01>S05, demo_lesson:S01>S05/math/junior, famous_lesson:T0123 (validate.py counts the same)
    scope: str = ""
    period: str = ""  # 2026-10, or k/n of the term
    pair: tuple[str, str] | None = None  # (supporting school, supported school)

    @property
    def kind(self) -> str:
        return KIND_OF_RULE[self.rule]

    @property
    def quota_key(self) -> str:
        return QUOTA_KEY[self.rule]


@dataclass(frozen=True)
class Missing:
    """A quota that cannot even be asked for: the reason and its numbers (explained later)."""

    rule: str
    reason: str  # no_presenter, no_paired_school, no_shared_grade
    scope: str
    count: int  # activities it lacks
    numbers: dict = field(default_factory=dict)


@dataclass
class Demands:
    demands: list[Demand]
    missing: list[Missing]
    groups: dict[tuple[str, str], list[CalendarTeacher]]  # (subject, band) → teachers (groups with activities)
    small_groups: dict[tuple[str, str], list[CalendarTeacher]]  # too small for cluster activities
    supported: list[tuple[str, str]]  # (supporting, supported) school pairs
    days: list[dt.date]  # the term's teaching days


def strength(school: CalendarSchool) -> int:
    return TIER_RANK.get(school.tier, 1) + LOCALITY_RANK.get(school.locality, 1)


def school_pairs(data: CalendarInput, policy: CalendarPolicy) -> list[tuple[str, str]]:
    """The cluster's paired schools (结对): the lead with each member, or every two schools."""
    ids = [s.school_id for s in data.schools]
    if policy.hosts.pairing == "all_pairs":
        return [(a, b) for i, a in enumerate(ids) for b in ids[i + 1:]]
    lead = next((s.school_id for s in data.schools if s.is_lead), ids[0] if ids else None)
    return [(lead, b) for b in ids if b != lead] if lead else []


def supported_pairs(data: CalendarInput, policy: CalendarPolicy) -> list[tuple[str, str]]:
    """(supporting quality school, school it supports) among the pairs: the weaker partner is supported (对口帮扶)."""
    schools = {s.school_id: s for s in data.schools}
    out = []
    for a, b in school_pairs(data, policy):
        for giver, taker in ((a, b), (b, a)):
            if schools[giver].tier in policy.demo_lesson.supporter_tiers and strength(schools[giver]) > strength(
                    schools[taker]):
                out.append((giver, taker))
    return out


def teaches_band(teacher: CalendarTeacher, band: str) -> bool:
    return any(band_of_grade(g) == band for g in teacher.grades) or (not teacher.grades and band == "primary")


def subject_groups(data: CalendarInput) -> dict[tuple[str, str], list[CalendarTeacher]]:
    """(subject, band) → the cluster's teachers of it (a teacher of grades 6 and 7 is in their lowest grade's band)."""
    groups: dict[tuple[str, str], list[CalendarTeacher]] = defaultdict(list)
    for t in data.teachers:
        if t.subject:
            groups[(t.subject, t.band)].append(t)
    return dict(sorted(groups.items(), key=lambda kv: (SUBJECT_ORDER.get(kv[0][0], 99), kv[0][1])))


def parts(days: Sequence[dt.date], n: int) -> list[list[dt.date]]:
    """The teaching days cut into n consecutive parts of (nearly) equal length."""
    out = []
    for k in range(n):
        a, b = math.floor(k * len(days) / n), math.floor((k + 1) * len(days) / n)
        out.append(list(days[a:b]) or list(days[-1:]))
    return out


def months(days: Sequence[dt.date]) -> dict[tuple[int, int], list[dt.date]]:
    by: dict[tuple[int, int], list[dt.date]] = defaultdict(list)
    for d in days:
        by[(d.year, d.month)].append(d)
    return dict(sorted(by.items()))


def _presenter_kinds_ok(t: CalendarTeacher, kinds: Sequence[str]) -> bool:
    return "teacher" in kinds or (t.backbone and "backbone" in kinds) or (t.famous and "famous" in kinds)


def build_demands(data: CalendarInput, policy: CalendarPolicy) -> Demands:
    days = [d for d in teaching_days(data, policy) if data.not_before is None or d >= data.not_before]
    all_days = teaching_days(data, policy)
    prefix = f"{data.cluster_id}-{data.school_year}-{data.term}"
    everyone = subject_groups(data)
    groups = {key: ts for key, ts in everyone.items()
              if len(ts) >= policy.groups.min_teachers and len({t.school_id for t in ts}) >= policy.groups.min_schools}
    small = {key: ts for key, ts in everyone.items() if key not in groups}
    demands: list[Demand] = []
    missing: list[Missing] = []
    window = (all_days[0], all_days[-1]) if all_days else (data.start, data.end)

    def span(ds: Sequence[dt.date]) -> tuple[dt.date, dt.date]:
        return (ds[0], ds[-1]) if ds else window

    # monthly: 集体备课 and 同研一节课, per subject group
    for rule in ("lesson_prep", "same_lesson"):
        section = getattr(policy, rule)
        if section.per_month <= 0:
            continue
        for (year, month), month_days in months(all_days).items():
            if len(month_days) < section.min_days_in_month:
                continue
            for (subject, band), teachers in groups.items():
                for k in range(section.per_month):
                    first, last = span(month_days)
                    suffix = f"{year}{month:02d}" + (f"-{k + 1}" if section.per_month > 1 else "")
                    demands.append(Demand(
                        f"{prefix}-{CODE_OF_RULE[rule]}-{subject}-{BAND_CODE[band]}-{suffix}", rule, subject, band,
                        None, first, last, section.half_days, section.venue,
                        tuple(sorted({t.school_id for t in teachers})), tuple(t.teacher_id for t in teachers),
                        scope=f"{rule}:{subject}/{band}@{year}-{month:02d}", period=f"{year}-{month:02d}"))
    # per term: 教研 and 培训, per subject group, the k-th in the k-th part of the term
    for rule in ("research", "training"):
        section = getattr(policy, rule)
        n = section.per_term
        if n <= 0:
            continue
        windows = parts(all_days, n) if section.spread else [list(all_days)] * n
        for (subject, band), teachers in groups.items():
            for k in range(n):
                first, last = span(windows[k])
                demands.append(Demand(
                    f"{prefix}-{CODE_OF_RULE[rule]}-{subject}-{BAND_CODE[band]}-{k + 1}", rule, subject, band, None,
                    first, last, section.half_days, section.venue, tuple(sorted({t.school_id for t in teachers})),
                    tuple(t.teacher_id for t in teachers), scope=f"{rule}:{subject}/{band}", period=f"{k + 1}/{n}"))
    pairs = supported_pairs(data, policy)
    by_school: dict[str, list[CalendarTeacher]] = defaultdict(list)
    for t in data.teachers:
        by_school[t.school_id].append(t)
    # 同年级同学科备课: each supporting pair, the shared (subject, grade)s taken in turn
    section = policy.same_grade_prep
    if section.per_pair_per_term > 0:
        n = section.per_pair_per_term
        windows = parts(all_days, n) if section.spread else [list(all_days)] * n
        for index, (giver, taker) in enumerate(pairs):
            shared = sorted({(t.subject, g) for t in by_school[giver] for g in t.grades}
                            & {(t.subject, g) for t in by_school[taker] for g in t.grades},
                            key=lambda sg: (SUBJECT_ORDER.get(sg[0], 99), sg[1]))
            if not shared:
                missing.append(Missing("same_grade_prep", "no_shared_grade", f"same_grade_prep:{giver}>{taker}", n,
                                       {"giver": giver, "taker": taker}))
                continue
            for k in range(n):
                subject, grade = shared[(index + k * max(1, len(shared) // n)) % len(shared)]
                members = tuple(t.teacher_id for s in (giver, taker) for t in by_school[s]
                                if t.subject == subject and grade in t.grades)
                first, last = span(windows[k])
                demands.append(Demand(
                    f"{prefix}-SG-{taker}-{k + 1}", "same_grade_prep", subject, band_of_grade(grade), grade, first,
                    last, 1, section.venue, (taker, giver), members, scope=f"same_grade_prep:{giver}>{taker}",
                    period=f"{k + 1}/{n}",
                    pair=(giver, taker)))
    # 示范课: each supported school, each subject group taught there, by an excellent teacher of the supporter
    section_d = policy.demo_lesson
    if section_d.per_subject_per_term > 0:
        for giver, taker in pairs:
            taught = sorted({(t.subject, t.band) for t in by_school[taker] if t.subject},
                            key=lambda sb: (SUBJECT_ORDER.get(sb[0], 99), sb[1]))
            for subject, band in taught:
                source = [t for t in data.teachers if t.school_id != taker
                          and (t.school_id == giver or section_d.presenter_scope == "cluster")]
                presenters = tuple(t.teacher_id for t in source if t.subject == subject and teaches_band(t, band)
                                   and _presenter_kinds_ok(t, section_d.presenters))
                scope = f"demo_lesson:{giver}>{taker}/{subject}/{band}"
                if not presenters:
                    in_cluster = sum(1 for t in data.teachers if t.school_id != taker and t.subject == subject
                                     and teaches_band(t, band) and _presenter_kinds_ok(t, section_d.presenters))
                    missing.append(Missing("demo_lesson", "no_presenter", scope, section_d.per_subject_per_term,
                                           {"giver": giver, "taker": taker, "subject": subject, "band": band,
                                            "in_cluster": in_cluster}))
                    continue
                for k in range(section_d.per_subject_per_term):
                    demands.append(Demand(
                        f"{prefix}-DL-{taker}-{subject}-{BAND_CODE[band]}-{k + 1}", "demo_lesson", subject, band, None,
                        *window, 1, "", (taker,), (), host_group=True, presenters=presenters, scope=scope,
                        period="term", pair=(giver, taker)))
    # 名师示范课: each famous teacher at a paired school teaching the subject
    section_f = policy.famous_lesson
    n = section_f.per_term(data.term) if section_f.per_year > 0 else 0
    partners: dict[str, set[str]] = defaultdict(set)
    for a, b in school_pairs(data, policy):
        partners[a].add(b)
        partners[b].add(a)
    if n:
        windows = parts(all_days, n) if section_f.spread else [list(all_days)] * n
        for t in data.teachers:
            if not t.famous:
                continue
            if t.home_school_id and t.school_id != t.home_school_id:
                places = {t.school_id}  # posted this term: its lessons are at the school it serves
            elif section_f.paired == "cluster":
                places = {s.school_id for s in data.schools} - {t.school_id}
            else:
                places = partners.get(t.school_id, set())
            hosts = tuple(sorted(s for s in places if any(o.subject == t.subject and o.band == t.band
                                                          and o.teacher_id != t.teacher_id for o in by_school[s])))
            if not hosts:
                missing.append(Missing("famous_lesson", "no_paired_school", f"famous_lesson:{t.teacher_id}", n,
                                       {"teacher": t.teacher_id, "partners": len(places), "subject": t.subject,
                                        "band": t.band}))
                continue
            for k in range(n):
                first, last = span(windows[k])
                demands.append(Demand(
                    f"{prefix}-FL-{t.teacher_id}-{k + 1}", "famous_lesson", t.subject, t.band, None, first, last, 1,
                    "", hosts, (t.teacher_id,), host_group=True, presenter=t.teacher_id, scope=f"famous_lesson:{t.teacher_id}",
                    period=f"{k + 1}/{n}"))
    if data.not_before is not None:  # re-planning mid-term: nothing new before the date
        demands = [_from(d, data.not_before, days) for d in demands]
    return Demands(demands, missing, groups, small, pairs, all_days)


def _from(demand: Demand, not_before: dt.date, days: Sequence[dt.date]) -> Demand:
    if demand.first >= not_before:
        return demand
    from dataclasses import replace

    return replace(demand, first=max(demand.first, days[0] if days else not_before))
