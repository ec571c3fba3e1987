"""Check any roster against the policy and the inputs, with plain checks of its own.

Independent of the model code on purpose (it does not import `rules`, `candidates` or `model`):
eligibility, distances from home, directions, quotas, coverage, mentoring, leaders and principals are all
recomputed here from the policy's numbers, so a mistake in the model cannot hide from the tests.
School-to-school km come from `domain.geo.SchoolDistances`, the one rule every planner shares.
Returns a list of violations; an empty list means the roster keeps every hard rule. Unfilled posts
are not violations (the model minimises them; they are reported as shortfalls).
"""
from __future__ import annotations

import calendar
import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations

from domain.geo import SchoolDistances, haversine_km

from .inputs import RotationInput, RotationSchool, RotationTeacher
from .policy import RotationPolicy
from .results import RotationPlan

_TIER = {"weak": 0, "ordinary": 1, "quality": 2}
_LOCALITY = {"rural": 0, "township": 1, "urban": 2}


@dataclass(frozen=True)
class Violation:
    rule: str  # eligibility, distance, scope, direction, post, capacity, quota, backbone, coverage, …
    subject: str  # the teacher, school, pair or cluster concerned
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.subject}: {self.message}"


def _share(value: float) -> Fraction:
    return Fraction(str(value)).limit_denominator(10_000)


def _at_least(share: float, count: int) -> int:
    return math.ceil(_share(share) * count)


class _Checker:
    def __init__(self, data: RotationInput, policy: RotationPolicy, plan: RotationPlan):
        self.data, self.policy, self.plan = data, policy, plan
        self.schools = {s.school_id: s for s in data.schools}
        self.teachers = {t.teacher_id: t for t in data.teachers}
        self.out: list[Violation] = []
        self.pinned_to = {(p.teacher_id, p.to_school_id) for p in data.pins}
        self.pinned_any = {p.teacher_id for p in data.pins}
        # the project's one distance rule, not a copy: a checker with its own rule could only disagree
        self.between = SchoolDistances([s.school_id for s in data.schools], [s.lat for s in data.schools],
                                       [s.lon for s in data.schools], data.distances)

    def add(self, rule: str, subject: str, message: str) -> None:
        self.out.append(Violation(rule, subject, message))

    # --- plain rule arithmetic (kept here, not shared with the model) ---
    def eligible(self, t: RotationTeacher) -> bool:
        rules = self.policy.eligibility
        year = self.data.school_year
        retire_at = rules.retirement_age_by_gender.get(t.gender or "", rules.retirement_age)
        recent = t.last_rotation_year is not None and year - rules.cooldown_years <= t.last_rotation_year < year
        return (t.role in rules.roles and t.years_at_school >= rules.min_years_at_school and not recent
                and retire_at - (year - t.birth_year) > rules.min_years_to_retirement)

    def km(self, t: RotationTeacher, school_id: str) -> float:
        host = self.schools[school_id]
        if t.home_lat is not None and t.home_lon is not None:
            return haversine_km(t.home_lat, t.home_lon, host.lat, host.lon)
        return self.school_km(t.school_id, school_id)

    def school_km(self, a: str, b: str) -> float:
        return self.between.km(a, b)

    def rank(self, s: RotationSchool) -> int:
        return _TIER.get(s.tier, 1) + _LOCALITY.get(s.locality, 1)

    def label(self, a: RotationSchool, b: RotationSchool) -> str | None:
        if self.rank(a) > self.rank(b):
            return "support"
        if self.rank(a) < self.rank(b):
            return "learn"
        return None

    def quota_sender(self, s: RotationSchool) -> bool:
        q = self.policy.quota
        return s.tier in q.sender_tiers or s.locality in q.sender_localities

    def backbone(self, t: RotationTeacher) -> bool:
        return t.backbone or (t.famous and self.policy.quota.famous_counts_as_backbone)

    def subsidy(self, km: float, hardship: int, factor: float) -> int:
        table = self.policy.subsidy
        band = next((i for i, edge in enumerate(table.distance_bands_km) if km <= edge), len(table.distance_bands_km))
        level = max(0, min(int(hardship), len(table.yuan_per_month) - 1))
        return int(round(table.yuan_per_month[level][band] * factor))

    def period(self) -> tuple[dt.date, dt.date]:
        d, year = self.policy.dates, self.data.school_year

        def day(md: str, next_year: bool) -> dt.date:
            month, dd = (int(x) for x in md.split("-"))
            y = year + 1 if next_year else year
            return dt.date(y, month, min(dd, calendar.monthrange(y, month)[1]))

        t1 = (day(d.term1_start, int(d.term1_start[:2]) < 8), day(d.term1_end, int(d.term1_end[:2]) < 8))
        t2 = (day(d.term2_start, True), day(d.term2_end, True))
        return {1: t1, 2: t2}.get(self.data.term, (t1[0], t2[1]))  # type: ignore[arg-type]

    # --- checks ---
    def postings(self) -> None:
        policy = self.policy
        seen: set[str] = set()
        start, end = self.period()
        filled: dict[tuple[str, str, int], int] = defaultdict(int)
        posts = {(n.school_id, n.subject, n.grade): n.posts for n in self.data.needs}
        for p in self.plan.postings:
            t = self.teachers.get(p.teacher_id)
            if t is None or p.to_school_id not in self.schools:
                self.add("reference", p.teacher_id, "unknown teacher or school")
                continue
            if p.teacher_id in seen:
                self.add("one_posting", p.teacher_id, "posted more than once")
            seen.add(p.teacher_id)
            sender, host = self.schools[t.school_id], self.schools[p.to_school_id]
            pinned_here = (p.teacher_id, p.to_school_id) in self.pinned_to
            if p.from_school_id != t.school_id or p.to_school_id == t.school_id:
                self.add("reference", p.teacher_id, f"from {p.from_school_id} to {p.to_school_id}, works at {t.school_id}")
            if not self.eligible(t) and p.teacher_id not in self.pinned_any:
                self.add("eligibility", p.teacher_id, "not eligible to rotate")
            km = self.km(t, p.to_school_id)
            if abs(km - p.distance_km) > 0.15:
                self.add("distance", p.teacher_id, f"distance_km {p.distance_km} but {km:.1f} km")
            if km > policy.distance.max_km + 1e-9 and not pinned_here:
                self.add("distance", p.teacher_id, f"{km:.1f} km is beyond {policy.distance.max_km:g} km")
            if not policy.scope.cross_cluster and sender.cluster_id != host.cluster_id and not pinned_here:
                self.add("scope", p.teacher_id, "posted to another cluster")
            label = self.label(sender, host)
            if not pinned_here:
                if label is None and not policy.scope.allow_peer_postings:
                    self.add("direction", p.teacher_id, "posting between schools of equal standing")
                if label == "learn" and not policy.learn.enabled:
                    self.add("direction", p.teacher_id, "learning postings are off")
            if (label or "support") != p.direction:
                self.add("direction", p.teacher_id, f"labelled {p.direction}, is {label or 'support'}")
            if p.subject != t.subject or p.grade not in t.grades:
                self.add("post", p.teacher_id, f"post {p.subject} {p.grade} does not match {t.subject} {t.grades}")
            key = (p.to_school_id, p.subject, p.grade)
            if key not in posts:
                self.add("post", p.teacher_id, f"no need {key}")
            filled[key] += 1
            factor = policy.subsidy.learn_factor if p.direction == "learn" else 1.0
            if p.subsidy_yuan_per_month != self.subsidy(km, host.hardship, factor):
                self.add("subsidy", p.teacher_id,
                         f"{p.subsidy_yuan_per_month} yuan, table says {self.subsidy(km, host.hardship, factor)}")
            if (p.start, p.end) != (start, end):
                self.add("dates", p.teacher_id, f"{p.start}–{p.end}, period is {start}–{end}")
            if p.backbone != self.backbone(t):
                self.add("backbone_flag", p.teacher_id, "backbone flag differs from the teacher's")
        for key, count in filled.items():
            if count > posts.get(key, 0):
                self.add("capacity", "/".join(map(str, key)), f"{count} postings for {posts.get(key, 0)} posts")

    def planner_rules(self) -> None:
        going = {p.teacher_id: p.to_school_id for p in self.plan.postings}
        for pin in self.data.pins:
            if pin.teacher_id not in going or (pin.to_school_id and going[pin.teacher_id] != pin.to_school_id):
                self.add("pin", pin.teacher_id, f"pinned to {pin.to_school_id or 'a posting'}, not kept")
        for forbid in self.data.forbids:
            if pin_hit := going.get(forbid.teacher_id):
                if forbid.to_school_id is None or forbid.to_school_id == pin_hit:
                    self.add("forbid", forbid.teacher_id, f"forbidden posting to {pin_hit}")

    def quotas(self) -> None:
        policy, q = self.policy, self.policy.quota
        out: dict[str, list] = defaultdict(list)
        for p in self.plan.postings:
            out[p.from_school_id].append(p)
        by_school: dict[str, list[RotationTeacher]] = defaultdict(list)
        for t in self.data.teachers:
            by_school[t.school_id].append(t)
        cluster_all: dict[str, int] = defaultdict(int)
        cluster_backbone: dict[str, int] = defaultdict(int)
        for s in self.data.schools:
            eligible = [t for t in by_school[s.school_id] if self.eligible(t)]
            going = out.get(s.school_id, [])
            backbone = [p for p in going if self.backbone(self.teachers[p.teacher_id])]
            learning = [p for p in going if p.direction == "learn"]
            if self.quota_sender(s):
                cluster_all[s.cluster_id] += len(going)
                cluster_backbone[s.cluster_id] += len(backbone)
                need = _at_least(q.min_fraction, len(eligible))
                if len(going) < need:
                    self.add("quota", s.school_id, f"{len(going)} rotate, the quota asks {need}")
                if q.max_fraction < 1 and len(going) > _at_least(q.max_fraction, len(eligible)):
                    self.add("quota_max", s.school_id, f"{len(going)} rotate, the cap is "
                                                       f"{_at_least(q.max_fraction, len(eligible))}")
                if q.backbone_per_school and going and Fraction(len(backbone), len(going)) < _share(q.backbone_min_share):
                    self.add("backbone", s.school_id, f"{len(backbone)} backbone of {len(going)} rotating")
                if policy.mingzhu.enabled:
                    backbone_eligible = sum(1 for t in eligible if self.backbone(t))
                    if len(backbone) < _at_least(policy.mingzhu.backbone_fraction, backbone_eligible):
                        self.add("mingzhu", s.school_id, f"{len(backbone)} of {backbone_eligible} backbone exchange")
                    rural = [p for p in backbone if self.schools[p.to_school_id].locality in policy.mingzhu.rural_localities]
                    if backbone and Fraction(len(rural), len(backbone)) < _share(policy.mingzhu.rural_share):
                        self.add("mingzhu", s.school_id, f"{len(rural)} of {len(backbone)} backbone go to rural schools")
            elif policy.learn.enabled and len(learning) < _at_least(policy.learn.min_fraction, len(eligible)):
                self.add("learn_quota", s.school_id, f"{len(learning)} go learning, at least "
                                                     f"{_at_least(policy.learn.min_fraction, len(eligible))} asked")
            if len(learning) > _at_least(policy.learn.max_fraction, len(eligible)):
                self.add("learn_quota", s.school_id, f"{len(learning)} go learning, the cap is "
                                                     f"{_at_least(policy.learn.max_fraction, len(eligible))}")
        if q.backbone_per_cluster:
            for cluster_id, total in cluster_all.items():
                if total and Fraction(cluster_backbone[cluster_id], total) < _share(q.backbone_min_share):
                    self.add("backbone", cluster_id, f"{cluster_backbone[cluster_id]} backbone of {total} in the cluster")

    def seed_rules(self) -> None:
        """001 支教结对子 and 003 明珠学区 person-times: counted per plan period (a term: half a year's, rounded up)."""
        policy = self.policy
        term = self.data.term
        per_year = policy.support.excellent_per_year
        if per_year > 0:
            need = per_year if term is None else math.ceil(per_year / 2)
            sent: dict[tuple[str, str], int] = defaultdict(int)
            for p in self.plan.postings:
                if self.backbone(self.teachers[p.teacher_id]):
                    sent[(p.from_school_id, p.to_school_id)] += 1
            for a, b in self.pairs():
                for giver, taker in ((a, b), (b, a)):
                    if self.schools[giver].tier in policy.support.supporter_tiers and \
                            self.label(self.schools[giver], self.schools[taker]) == "support" and \
                            sent[(giver, taker)] < need:
                        self.add("excellent", f"{giver}->{taker}",
                                 f"{sent[(giver, taker)]} excellent teachers, at least {need} asked")
        if policy.mingzhu.enabled and policy.mingzhu.min_person_times_per_year > 0:
            need = policy.mingzhu.min_person_times_per_year
            need = need if term is None else math.ceil(need / 2)
            by_cluster: dict[str, int] = defaultdict(int)
            for p in self.plan.postings:
                by_cluster[self.schools[p.from_school_id].cluster_id] += 1
            for cluster_id in sorted({s.cluster_id for s in self.data.schools}):
                if by_cluster[cluster_id] < need:
                    self.add("mingzhu", cluster_id, f"{by_cluster[cluster_id]} person-times, at least {need} asked")

    def part_time(self) -> None:
        """跨校兼课: a teacher who does not rotate, a post of their subject and grade at a school in scope,
        within part_time.max_km, the policy's hours; full postings and covers together within the posts."""
        rule = self.policy.part_time
        if self.plan.part_time and not rule.enabled:
            self.add("part_time", "", "part-time postings although part_time.enabled is false")
        posted = {p.teacher_id for p in self.plan.postings}
        posts = {(n.school_id, n.subject, n.grade): n.posts for n in self.data.needs}
        used: dict[tuple[str, str, int], int] = defaultdict(int)
        for posting in self.plan.postings:
            used[(posting.to_school_id, posting.subject, posting.grade)] += 1
        seen: set[str] = set()
        barred = {(f.teacher_id, f.to_school_id) for f in self.data.forbids}
        for p in self.plan.part_time:
            t = self.teachers.get(p.teacher_id)
            if t is None or p.to_school_id not in self.schools or t.school_id != p.from_school_id:
                self.add("part_time", p.teacher_id, "unknown teacher or school, or not the teacher's school")
                continue
            if p.teacher_id in posted or p.teacher_id in seen:
                self.add("part_time", p.teacher_id, "also rotating, or part-time twice")
            seen.add(p.teacher_id)
            if (p.teacher_id, None) in barred or (p.teacher_id, p.to_school_id) in barred:
                self.add("forbid", p.teacher_id, f"forbidden posting to {p.to_school_id}")
            if t.role not in self.policy.eligibility.roles or p.subject != t.subject or p.grade not in t.grades:
                self.add("part_time", p.teacher_id, f"post {p.subject} {p.grade} does not match {t.subject} {t.grades}")
            km = self.km(t, p.to_school_id)
            if km > rule.max_km + 1e-9:
                self.add("part_time", p.teacher_id, f"{km:.1f} km is beyond part_time.max_km {rule.max_km:g}")
            if not self.policy.scope.cross_cluster and self.schools[t.school_id].cluster_id != \
                    self.schools[p.to_school_id].cluster_id:
                self.add("scope", p.teacher_id, "part-time at a school of another cluster")
            if p.hours_per_week != rule.hours_per_week:
                self.add("part_time", p.teacher_id, f"{p.hours_per_week} hours a week, the policy says {rule.hours_per_week}")
            used[(p.to_school_id, p.subject, p.grade)] += 1
        for key, count in used.items():
            if count > posts.get(key, 0):
                self.add("capacity", "/".join(map(str, key)), f"{count} postings and covers for {posts.get(key, 0)} posts")

    def coverage(self) -> None:
        if not self.policy.scope.keep_subject_coverage:
            return
        going = {p.teacher_id for p in self.plan.postings}
        taught: dict[tuple[str, str, int], list[str]] = defaultdict(list)
        for t in self.data.teachers:
            grades = set(self.data.school_grades(self.schools[t.school_id]))
            for g in t.grades:
                if not grades or g in grades:
                    taught[(t.school_id, t.subject, g)].append(t.teacher_id)
        for key, ids in taught.items():
            if all(i in going for i in ids):
                self.add("coverage", "/".join(map(str, key)), "every teacher of this subject and grade leaves")

    def mentoring(self) -> None:
        rule = self.policy.mentoring
        posted = {p.teacher_id: p for p in self.plan.postings}
        apprentices: dict[str, list] = defaultdict(list)
        mentors_of: dict[str, int] = defaultdict(int)
        for m in self.plan.mentoring:
            mentor, apprentice = self.teachers.get(m.mentor_id), self.teachers.get(m.apprentice_id)
            posting = posted.get(m.mentor_id)
            if mentor is None or apprentice is None or posting is None:
                self.add("mentoring", m.mentor_id, "a pair names an unknown or unposted teacher")
                continue
            apprentices[m.mentor_id].append(m)
            mentors_of[m.apprentice_id] += 1
            if apprentice.school_id != posting.to_school_id or m.school_id != posting.to_school_id:
                self.add("mentoring", m.apprentice_id, "apprentice is not at the mentor's host school")
            if apprentice.subject != mentor.subject or not set(apprentice.grades) & set(mentor.grades):
                self.add("mentoring", m.apprentice_id, "apprentice differs in subject or shares no grade")
            if apprentice.teaching_years > rule.max_apprentice_teaching_years or apprentice.role != "teacher":
                self.add("mentoring", m.apprentice_id, f"{apprentice.teaching_years} teaching years is too many")
            if m.apprentice_id in posted:
                self.add("mentoring", m.apprentice_id, "apprentice rotates away")
        for apprentice_id, count in mentors_of.items():
            if count > 1:
                self.add("mentoring", apprentice_id, f"{count} mentors")
        if not rule.enabled:
            if self.plan.mentoring:
                self.add("mentoring", "", "mentoring pairs although mentoring is off")
            return
        for p in self.plan.postings:
            t = self.teachers[p.teacher_id]
            if not (t.backbone or t.famous):
                if apprentices.get(p.teacher_id):
                    self.add("mentoring", p.teacher_id, "mentor is neither backbone nor famous")
                continue
            count = len(apprentices.get(p.teacher_id, []))
            limit = rule.famous_max_apprentices if t.famous else 1
            if not 1 <= count <= limit:
                self.add("mentoring", p.teacher_id, f"{count} apprentices, expected 1–{limit}")
            elif t.famous and count < rule.famous_min_apprentices:
                self.add("famous_apprentices", p.teacher_id,
                         f"{count} apprentices, a famous teacher mentors at least {rule.famous_min_apprentices}")

    def pairs(self) -> list[tuple[str, str]]:
        if self.data.school_pairs:
            return [tuple(p) for p in self.data.school_pairs]  # type: ignore[misc]
        by_cluster: dict[str, list[RotationSchool]] = defaultdict(list)
        for s in self.data.schools:
            by_cluster[s.cluster_id].append(s)
        pairs = []
        for members in by_cluster.values():
            ids = sorted(s.school_id for s in members)
            if self.policy.leaders.pairing == "all_pairs":
                pairs += list(combinations(ids, 2))
            else:
                leads = sorted(s.school_id for s in members if s.is_lead)
                if leads:
                    pairs += [(leads[0], i) for i in ids if i != leads[0]]
        return pairs

    def months(self, term: int | None) -> list[tuple[int, int]]:
        d, year = self.policy.dates, self.data.school_year

        def span(start_md: str, end_md: str, first_next: bool, last_next: bool) -> list[tuple[int, int]]:
            y, m = (year + 1 if first_next else year), int(start_md[:2])
            ey, em = (year + 1 if last_next else year), int(end_md[:2])
            out = []
            while (y, m) <= (ey, em):
                out.append((y, m))
                y, m = (y + 1, 1) if m == 12 else (y, m + 1)
            return out

        t1 = span(d.term1_start, d.term1_end, int(d.term1_start[:2]) < 8, int(d.term1_end[:2]) < 8)
        t2 = span(d.term2_start, d.term2_end, True, True)
        return {1: t1, 2: t2}.get(term, t1 + t2)  # type: ignore[arg-type]

    def leaders(self) -> None:
        policy = self.policy
        pairs = self.pairs()
        pair_set = {frozenset(p) for p in pairs}
        months = self.months(self.data.term)
        roles = {"leader", "principal"} if policy.leaders.principals_as_leaders else {"leader"}
        by_pair_month: dict[tuple[frozenset, int], list] = defaultdict(list)
        load: dict[tuple[str, int], list] = defaultdict(list)
        away_month = {(e.teacher_id, e.month) for e in self.plan.principal_months}
        barred = {f.teacher_id for f in self.data.forbids if f.to_school_id is None}
        for e in self.plan.leader_exchanges:
            t = self.teachers.get(e.teacher_id)
            if t is None or t.role not in roles or t.school_id != e.from_school_id:
                self.add("leaders", e.teacher_id, "not a leader of the sending school")
                continue
            if e.teacher_id in barred:
                self.add("forbid", e.teacher_id, "a planner barred this leader from exchanges")
            pair = frozenset((e.from_school_id, e.to_school_id))
            if pair not in pair_set:
                self.add("leaders", e.teacher_id, f"{e.from_school_id}–{e.to_school_id} is not an exchange pair")
            if e.weekday not in (1, 2, 3, 4, 5):
                self.add("leaders", e.teacher_id, f"weekday {e.weekday}")
            if (e.teacher_id, e.month) in away_month:
                self.add("leaders", e.teacher_id, "the principal is away for the whole month")
            by_pair_month[(pair, e.month)].append(e)
            load[(e.teacher_id, e.month)].append(e)
            km = self.km(t, e.to_school_id)
            expected = self.subsidy(km, self.schools[e.to_school_id].hardship, policy.subsidy.leader_factor)
            if e.subsidy_yuan_per_month != expected:
                self.add("subsidy", e.teacher_id, f"{e.subsidy_yuan_per_month} yuan, table says {expected}")
        if policy.leaders.enabled:
            for a, b in pairs:
                for _, month in months:
                    got = by_pair_month.get((frozenset((a, b)), month), [])
                    sides = sorted(e.from_school_id for e in got)
                    if sides != sorted((a, b)):
                        self.add("leaders", f"{a}-{b}", f"month {month}: exchanges from {sides or 'nobody'}")
                    elif got[0].weekday == got[1].weekday:
                        self.add("leaders", f"{a}-{b}", f"month {month}: both leaders away on weekday {got[0].weekday}")
        for (leader_id, month), mine in load.items():
            if len(mine) > policy.leaders.max_pairs_per_leader_per_month:
                self.add("leaders", leader_id, f"month {month}: {len(mine)} exchanges")
            days = [e.weekday for e in mine]
            if len(days) != len(set(days)):
                self.add("leaders", leader_id, f"month {month}: two exchanges on one weekday")

    def principals(self) -> None:
        policy = self.policy
        pairs = self.pairs()
        partners: dict[str, set[str]] = defaultdict(set)
        for a, b in pairs:
            partners[a].add(b)
            partners[b].add(a)
        principal_of = {t.school_id: t for t in self.data.teachers if t.role == "principal"}
        barred = {f.teacher_id for f in self.data.forbids if f.to_school_id is None}
        months_of: dict[str, list[int]] = defaultdict(list)
        for e in self.plan.principal_months:
            t = self.teachers.get(e.teacher_id)
            if t is None or t.role != "principal" or t.school_id != e.from_school_id:
                self.add("principals", e.teacher_id, "not the principal of the sending school")
                continue
            if e.to_school_id not in partners.get(e.from_school_id, set()):
                self.add("principals", e.teacher_id, f"{e.to_school_id} is not a partner school")
            months_of[e.from_school_id].append(e.month)
            km = self.km(t, e.to_school_id)
            expected = self.subsidy(km, self.schools[e.to_school_id].hardship, 1.0)
            if e.subsidy_yuan_per_month != expected:
                self.add("subsidy", e.teacher_id, f"{e.subsidy_yuan_per_month} yuan, table says {expected}")
        plan_term = self.data.term
        wanted = policy.principals.enabled and policy.principals.months_per_year and \
            plan_term in (None, policy.principals.term)
        allowed = {m for _, m in self.months(policy.principals.term)}
        for school_id in partners:
            principal = principal_of.get(school_id)
            got = months_of.get(school_id, [])
            if wanted and principal is not None and principal.teacher_id not in barred and len(got) != 1:
                self.add("principals", school_id, f"principal exchanges {len(got)} months, expected 1")
            if any(m not in allowed for m in got):
                self.add("principals", school_id, f"months {got} are outside term {policy.principals.term}")
        for a, b in pairs:
            if set(months_of.get(a, [])) & set(months_of.get(b, [])):
                self.add("principals", f"{a}-{b}", "both principals away in the same month")


def validate_roster(data: RotationInput, policy: RotationPolicy, plan: RotationPlan) -> list[Violation]:
    """Every hard rule of the policy that the roster breaks (empty: the roster is valid)."""
    checker = _Checker(data, policy, plan)
    checker.postings()
    checker.planner_rules()
    checker.quotas()
    checker.seed_rules()
    checker.part_time()
    checker.coverage()
    checker.mentoring()
    checker.leaders()
    checker.principals()
    return checker.out


# rule kind of a broken rule instance (result.stats["broken"]) → the validator's rule it explains
_BROKEN_TO_VIOLATION = {
    "quota": "quota", "backbone_school": "backbone", "backbone_cluster": "backbone", "learn_min": "learn_quota",
    "mingzhu_backbone": "mingzhu", "mingzhu_rural": "mingzhu", "mingzhu_person_times": "mingzhu",
    "excellent": "excellent", "famous_apprentices": "famous_apprentices", "pin": "pin",
}


def unexplained_violations(result, violations: list[Violation]) -> list[Violation]:
    """The violations of a best-effort roster that its own report does not name: a broken counted
    rule (stats["broken"]), a leaders' pair-month that waits (stats["leader_waits"]) or a principal
    left at home (stats["principals_home"]). For a roster that meets the policy: every violation."""
    stats = getattr(result, "stats", {}) or {}
    broken = {_BROKEN_TO_VIOLATION.get(key.split(":")[0]) for key in stats.get("broken", {})}
    waits = stats.get("leader_waits", {})
    home = set(stats.get("principals_home", []))
    out = []
    for v in violations:
        if v.rule in broken:
            continue
        if v.rule == "leaders" and v.message.split(":")[0] in {f"month {m}" for m in waits.get(v.subject, [])}:
            continue
        if v.rule == "principals" and v.subject in home:
            continue
        out.append(v)
    return out
