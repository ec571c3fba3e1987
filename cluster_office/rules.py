"""The attainment ledger (督导台账): one function per rule of the seeds, each counting, per school (or
cluster) and term, the target, what was achieved and where the rule comes from.

Every function takes the plain records of `cluster_office.records` and the `LedgerPolicy`, and
returns `LedgerLine`s; `ledger_lines` runs them all. Counts are deliberately simple so a person can
redo them by hand from rotation.csv, calendar.csv, exchange_log.csv and the minutes:

- a school year 2026 runs from August 2026 to July 2027; term 1 is August–January, term 2 February–July;
- "excellent teacher" (优秀教师) is a backbone or famous teacher, as the roster marks it;
- the schools a quality school supports (帮扶学校) are the cluster's schools that are not of the
  quality tier; the supporters are its quality schools (the lead school when none is);
- a school pair (结对学校) is the lead school and one member school;
- only activities recorded as held count; planned or cancelled ones do not.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cluster_office.policy import LedgerPolicy
from cluster_office.records import LedgerInput, SchoolRecord


@dataclass(frozen=True)
class LedgerLine:
    cluster_id: str
    school_id: str | None  # None: a rule of the whole cluster
    term: int | None  # None: a rule of the school year
    rule: str  # the rule's code (domain/labels.py "ledger_rule")
    source: str  # the seed and part it comes from, e.g. "003-4"
    target: int
    achieved: int
    detail_zh: str = ""  # how it was counted, for a person (names, not ids)
    detail_en: str = ""

    @property
    def met(self) -> bool:
        return self.achieved >= self.target

    def figure(self) -> str:
        """'7 of 6 ✓' — the ledger's cell."""
        return f"{self.achieved} / {self.target} {'✓' if self.met else '✗'}"


def term_of(day: dt.date) -> int:
    return 1 if day.month >= 8 or day.month == 1 else 2


def year_of(day: dt.date) -> int:
    """The school year a date belongs to (2026 = August 2026 – July 2027)."""
    return day.year if day.month >= 8 else day.year - 1


def ceil_share(share: float, n: int) -> int:
    return math.ceil(round(share * n, 9))


def _clusters(data: LedgerInput) -> dict[str, list[SchoolRecord]]:
    out: dict[str, list[SchoolRecord]] = defaultdict(list)
    for s in sorted(data.schools, key=lambda s: (not s.is_lead, s.school_id)):
        out[s.cluster_id].append(s)
    return dict(out)


def _supporters(schools: list[SchoolRecord]) -> list[SchoolRecord]:
    quality = [s for s in schools if s.tier == "quality"]
    return quality or [s for s in schools if s.is_lead]


def _supported(schools: list[SchoolRecord]) -> list[SchoolRecord]:
    return [s for s in schools if s.tier != "quality" and not s.is_lead]


def _teacher_postings(data: LedgerInput):
    return [p for p in data.postings if p.kind == "teacher"]


def _name(data: LedgerInput, school_id: str) -> str:
    return next((s.name for s in data.schools if s.school_id == school_id), school_id)


# --- teachers exchanged (交流轮岗) --------------------------------------------------------------------

def rotation_quota(data: LedgerInput, policy: LedgerPolicy) -> list[LedgerLine]:
    """003 part 4: an urban or quality school rotates ≥ 10% of its eligible teachers a year."""
    out = []
    moved = defaultdict(set)
    for p in _teacher_postings(data):
        moved[p.from_school_id].add(p.teacher_id)
    for s in data.schools:
        if not s.quota_sender:
            continue
        target = ceil_share(policy.rotation_min_fraction, s.eligible)
        achieved = len(moved[s.school_id])
        share = f"{policy.rotation_min_fraction:.0%}"
        out.append(LedgerLine(s.cluster_id, s.school_id, None, "rotation_quota", "003-4", target, achieved,
                              f"符合交流条件教师 {s.eligible} 人的 {share}，向上取整；交流 {achieved} 人",
                              f"{share} of {s.eligible} eligible teachers, rounded up; {achieved} rotated"))
    return out


def backbone_share(data: LedgerInput, policy: LedgerPolicy) -> list[LedgerLine]:
    """003 part 4: backbone teachers are ≥ 20% of those a quota school rotates."""
    out = []
    moved: dict[str, dict[str, bool]] = defaultdict(dict)
    for p in _teacher_postings(data):
        moved[p.from_school_id][p.teacher_id] = moved[p.from_school_id].get(p.teacher_id, False) or p.backbone
    for s in data.schools:
        if not s.quota_sender or not moved[s.school_id]:
            continue
        rotating = len(moved[s.school_id])
        target = ceil_share(policy.backbone_min_share, rotating)
        achieved = sum(moved[s.school_id].values())
        share = f"{policy.backbone_min_share:.0%}"
        out.append(LedgerLine(s.cluster_id, s.school_id, None, "backbone_share", "003-4", target, achieved,
                              f"交流 {rotating} 人的 {share}，向上取整；其中骨干 {achieved} 人",
                              f"{share} of {rotating} rotating, rounded up; {achieved} backbone"))
    return out


def person_times(data: LedgerInput, policy: LedgerPolicy) -> list[LedgerLine]:
    """003 part 2 (Mingzhu): the cluster's teachers exchange at least 8 person-times a year; each
    posting of a teacher is one person-time (人次), so one teacher posted in both terms counts twice."""
    out = []
    for cluster_id, schools in _clusters(data).items():
        ids = {s.school_id for s in schools}
        achieved = sum(1 for p in _teacher_postings(data) if p.from_school_id in ids)
        out.append(LedgerLine(cluster_id, None, None, "person_times", "003-2", policy.person_times_per_year, achieved,
                              f"本学年教师交流 {achieved} 人次", f"{achieved} teacher postings this school year"))
    return out


def excellent_teachers_sent(data: LedgerInput, policy: LedgerPolicy) -> list[LedgerLine]:
    """001: a quality school sends ≥ 4 excellent (backbone or famous) teachers a year to each school it supports."""
    out = []
    for cluster_id, schools in _clusters(data).items():
        for supporter in _supporters(schools):
            for school in _supported(schools):
                sent = {p.teacher_id for p in _teacher_postings(data) if p.backbone
                        and p.from_school_id == supporter.school_id and p.to_school_id == school.school_id}
                out.append(LedgerLine(cluster_id, school.school_id, None, "excellent_teachers_sent", "001",
                                      policy.excellent_teachers_per_supported_school, len(sent),
                                      f"{supporter.name} 派来的骨干、名师 {len(sent)} 人",
                                      f"{len(sent)} backbone or famous teachers from {supporter.name}"))
    return out


def mentoring(data: LedgerInput, policy: LedgerPolicy) -> list[LedgerLine]:
    """001: every exchanged excellent teacher takes one apprentice at the host school."""
    out = []
    by_host: dict[str, dict[str, bool]] = defaultdict(dict)
    for p in _teacher_postings(data):
        if p.backbone:
            by_host[p.to_school_id][p.teacher_id] = by_host[p.to_school_id].get(p.teacher_id, False) or bool(p.mentor_of)
    for s in data.schools:
        if by_host[s.school_id]:
            mentors = by_host[s.school_id]
            out.append(LedgerLine(s.cluster_id, s.school_id, None, "mentoring", "001", len(mentors),
                                  sum(mentors.values()), f"来校骨干、名师 {len(mentors)} 人，带徒 {sum(mentors.values())} 人",
                                  f"{len(mentors)} excellent teachers hosted, {sum(mentors.values())} with an apprentice"))
    return out


# --- leaders (干部交流) -------------------------------------------------------------------------------

def leader_months(data: LedgerInput, policy: LedgerPolicy) -> list[LedgerLine]:
    """003 part 2: each month a school pair (the lead and a member) exchanges 2 leaders (principals
    included). Per member school and term: the term's months in which the pair exchanged at least 2."""
    out = []
    for cluster_id, schools in _clusters(data).items():
        lead = next((s for s in schools if s.is_lead), None)
        if lead is None:
            continue
        ids = {s.school_id for s in schools}
        for member in (s for s in schools if not s.is_lead):
            pair = {lead.school_id, member.school_id}
            for term in (1, 2):
                months = policy.months_of(term)
                count = Counter(p.start.month for p in data.postings if p.kind in ("leader", "principal")
                                and p.start is not None and {p.from_school_id, p.to_school_id} == pair
                                and p.start.month in months)
                if term == 2 and not count and not any(p.term == 2 and p.from_school_id in ids for p in data.postings):
                    continue  # no term-2 roster of the cluster yet: nothing to supervise
                achieved = sum(1 for m in months if count[m] >= policy.leaders_per_pair_per_month)
                shown = "、".join(f"{m}月 {count[m]} 人" for m in months)
                out.append(LedgerLine(cluster_id, member.school_id, term, "leader_months", "003-2", len(months),
                                      achieved, f"与{lead.name}每月交流 {policy.leaders_per_pair_per_month} 名干部：{shown}",
                                      f"{policy.leaders_per_pair_per_month} leaders a month with {lead.name}: " +
                                      ", ".join(f"month {m}: {count[m]}" for m in months)))
    return out


def leader_observations(data: LedgerInput, policy: LedgerPolicy) -> list[LedgerLine]:
    """003 part 2: an exchanged leader observes at least 2 lessons (听课) at the partner school.
    Per host school and term: Σ over its visiting leaders of min(observations recorded, 2)."""
    out = []
    seen = Counter((r.teacher_id, r.school_id, term_of(r.date)) for r in data.logs if r.kind == "observation"
                   for _ in range(r.count))
    visits: dict[tuple[str, int], set[str]] = defaultdict(set)
    for p in data.postings:
        if p.kind in ("leader", "principal") and p.start is not None:
            visits[(p.to_school_id, term_of(p.start))].add(p.teacher_id)
    need = policy.observations_per_leader_exchange
    for s in data.schools:
        for term in (1, 2):
            leaders = visits.get((s.school_id, term))
            if not leaders:
                continue
            achieved = sum(min(seen[(t, s.school_id, term)], need) for t in leaders)
            out.append(LedgerLine(s.cluster_id, s.school_id, term, "leader_observations", "003-2", need * len(leaders),
                                  achieved, f"来校交流干部 {len(leaders)} 人，每人听课至少 {need} 节",
                                  f"{len(leaders)} visiting leaders, each observing at least {need} lessons"))
    return out


# --- activities (教研、培训、示范课) -----------------------------------------------------------------

def _held(data: LedgerInput, kinds: Iterable[str]):
    kinds = set(kinds)
    return [a for a in data.activities if a.status == "held" and a.kind in kinds]


def _terms_with_activity(data: LedgerInput) -> list[int]:
    return sorted({a.term for a in data.activities} | {m.term for m in data.meetings} | {1})


def demo_lessons(data: LedgerInput, policy: LedgerPolicy) -> list[LedgerLine]:
    """001: every subject, every term, at least one demonstration lesson (示范课, 名师示范课) by an
    excellent teacher at each supported school. Per supported school and term: subjects taught
    there with at least one held."""
    out = []
    held = _held(data, ("demo_lesson", "famous_lesson"))
    for cluster_id, schools in _clusters(data).items():
        for s in _supported(schools):
            for term in _terms_with_activity(data):
                count = Counter(a.subject for a in held if a.host_school_id == s.school_id and a.term == term)
                done = [subject for subject in s.subjects if count[subject] >= policy.demo_lessons_per_subject_per_term]
                out.append(LedgerLine(cluster_id, s.school_id, term, "demo_lessons", "001", len(s.subjects), len(done),
                                      f"本校 {len(s.subjects)} 个学科中 {len(done)} 个学科上过示范课",
                                      f"{len(done)} of the {len(s.subjects)} subjects taught had a demonstration lesson"))
    return out


def joint_lesson_prep(data: LedgerInput, policy: LedgerPolicy) -> list[LedgerLine]:
    """001: at least 2 same-grade same-subject joint lesson-prep sessions a term with each supported
    school: held lesson_prep activities hosted by it or with one of its teachers."""
    out = []
    held = _held(data, ("lesson_prep",))
    teachers_of = data.teacher_school
    for cluster_id, schools in _clusters(data).items():
        for s in _supported(schools):
            for term in _terms_with_activity(data):
                achieved = sum(1 for a in held if a.term == term and (
                    a.host_school_id == s.school_id or any(teachers_of.get(t) == s.school_id for t in a.teacher_ids)))
                out.append(LedgerLine(cluster_id, s.school_id, term, "joint_lesson_prep", "001",
                                      policy.joint_lesson_prep_per_term, achieved, f"集体备课 {achieved} 次",
                                      f"{achieved} joint lesson-prep sessions"))
    return out


def _per_subject(data: LedgerInput, kind: str, need: int, rule: str) -> list[LedgerLine]:
    out = []
    held = _held(data, (kind,))
    zh_kind = {"training": "培训", "research": "教研活动"}[kind]
    for cluster_id, schools in _clusters(data).items():
        subjects = sorted({x for s in schools for x in s.subjects})
        for term in _terms_with_activity(data):
            count = Counter(a.subject for a in held if a.cluster_id == cluster_id and a.term == term)
            done = [x for x in subjects if count[x] >= need]
            out.append(LedgerLine(cluster_id, None, term, rule, "003-2", len(subjects), len(done),
                                  f"{len(subjects)} 个学科中 {len(done)} 个学科{zh_kind}达到 {need} 次",
                                  f"{len(done)} of {len(subjects)} subjects had at least {need} {kind} activities"))
    return out


def trainings(data: LedgerInput, policy: LedgerPolicy) -> list[LedgerLine]:
    """003 part 2: each subject at least 3 trainings a term (各学科每学期开展教师培训活动不少于3次)."""
    return _per_subject(data, "training", policy.trainings_per_subject_per_term, "trainings")


def research(data: LedgerInput, policy: LedgerPolicy) -> list[LedgerLine]:
    """DOMAIN.md calendar: at least 3 research activities per subject per term."""
    return _per_subject(data, "research", policy.research_per_subject_per_term, "research")


# --- meetings (联席会议) ------------------------------------------------------------------------------

def principals_meetings(data: LedgerInput, policy: LedgerPolicy) -> list[LedgerLine]:
    """001 part 3: the principals' joint meeting is held monthly. Per cluster and term: the term's
    months with a meeting held (minutes recorded, or a held joint_meeting of the calendar)."""
    out = []
    for cluster_id in _clusters(data):
        days = [m.date for m in data.meetings if m.cluster_id == cluster_id and m.kind in ("principals", "monthly")]
        days += [a.date for a in _held(data, ("joint_meeting",)) if a.cluster_id == cluster_id]
        for term in _terms_with_activity(data):
            months = policy.months_of(term)
            count = Counter(d.month for d in days if term_of(d) == term)
            achieved = sum(1 for m in months if count[m] >= policy.principals_meetings_per_month)
            out.append(LedgerLine(cluster_id, None, term, "principals_meetings", "001-3", len(months), achieved,
                                  "已开会月份：" + ("、".join(f"{m}月" for m in months if count[m]) or "无"),
                                  "months with a meeting: " + (", ".join(str(m) for m in months if count[m]) or "none")))
    return out


def teaching_meetings(data: LedgerInput, policy: LedgerPolicy) -> list[LedgerLine]:
    """001 part 2: the teaching meeting (教学工作例会) is held at least twice a term."""
    out = []
    for cluster_id in _clusters(data):
        days = [m.date for m in data.meetings if m.cluster_id == cluster_id and m.kind == "teaching"]
        days += [a.date for a in _held(data, ("teaching_meeting",)) if a.cluster_id == cluster_id]
        for term in _terms_with_activity(data):
            achieved = sum(1 for d in days if term_of(d) == term)
            out.append(LedgerLine(cluster_id, None, term, "teaching_meetings", "001-2",
                                  policy.teaching_meetings_per_term, achieved, f"教学工作例会 {achieved} 次",
                                  f"{achieved} teaching meetings"))
    return out


RULES: tuple[Callable[[LedgerInput, LedgerPolicy], list[LedgerLine]], ...] = (
    rotation_quota, backbone_share, person_times, excellent_teachers_sent, mentoring, leader_months,
    leader_observations, demo_lessons, joint_lesson_prep, trainings, research, principals_meetings, teaching_meetings)


def ledger_lines(data: LedgerInput, policy: LedgerPolicy | None = None) -> list[LedgerLine]:
    """Every rule's lines, by cluster, then school (cluster-wide rules first), then term."""
    policy = policy or LedgerPolicy()
    lines = [line for rule in RULES for line in rule(data, policy)]
    order = {rule.__name__: i for i, rule in enumerate(RULES)}
    return sorted(lines, key=lambda x: (x.cluster_id, x.school_id or "", x.term or 0, order.get(x.rule, 99)))
