"""The policy's rules as small functions: eligibility, distance, direction, quotas, subsidy, dates.

The model, the explanations and the writers use these; the validator (`validate.py`) has its own
plain checks on purpose, so a mistake here cannot hide from it.
"""
from __future__ import annotations

import calendar
import datetime as dt
import math
from fractions import Fraction

from domain.geo import SchoolDistances, haversine_km
from domain.vocab import LOCALITY_RANK, TIER_RANK

from .inputs import RotationInput, RotationSchool, RotationTeacher
from .policy import RotationPolicy, fraction


def age_in(teacher: RotationTeacher, school_year: int) -> int:
    return school_year - teacher.birth_year


def years_to_retirement(teacher: RotationTeacher, school_year: int, policy: RotationPolicy) -> int:
    return policy.eligibility.retirement_age_for(teacher.gender) - age_in(teacher, school_year)


def rotated_recently(teacher: RotationTeacher, school_year: int, policy: RotationPolicy) -> bool:
    """Rotated in one of the `cooldown_years` school years before this one (this year's own rotation,
    recorded after a plan was committed, does not count)."""
    last = teacher.last_rotation_year
    return last is not None and school_year - policy.eligibility.cooldown_years <= last < school_year


def ineligibility_reasons(teacher: RotationTeacher, school_year: int, policy: RotationPolicy) -> list[str]:
    """Codes of the eligibility rules the teacher fails: role, years_at_school, cooldown, retirement."""
    rules = policy.eligibility
    reasons = []
    if teacher.role not in rules.roles:
        reasons.append("role")
    if teacher.years_at_school < rules.min_years_at_school:
        reasons.append("years_at_school")
    if rotated_recently(teacher, school_year, policy):
        reasons.append("cooldown")
    if years_to_retirement(teacher, school_year, policy) <= rules.min_years_to_retirement:
        reasons.append("retirement")
    return reasons


def is_eligible(teacher: RotationTeacher, school_year: int, policy: RotationPolicy) -> bool:
    return not ineligibility_reasons(teacher, school_year, policy)


def recency_years(teacher: RotationTeacher, school_year: int, policy: RotationPolicy) -> int:
    """How many years inside the fairness window the last rotation is recent by (0: never or long ago)."""
    last = teacher.last_rotation_year
    if last is None or last >= school_year:
        return 0
    return max(0, policy.weights.fairness_window_years - (school_year - last))


def counts_as_backbone(teacher: RotationTeacher, policy: RotationPolicy) -> bool:
    """骨干 for the share rules: backbone teachers, and famous ones (名师) unless the policy says not."""
    return teacher.backbone or (teacher.famous and policy.quota.famous_counts_as_backbone)


def strength(school: RotationSchool) -> int:
    """Higher is stronger: tier and locality ranks added (quality urban 4 … weak rural 0)."""
    return TIER_RANK.get(school.tier, 1) + LOCALITY_RANK.get(school.locality, 1)


def direction(sender: RotationSchool, receiver: RotationSchool) -> str | None:
    """support (to a weaker or more rural school), learn (to a stronger one), None between equals."""
    a, b = strength(sender), strength(receiver)
    if a > b:
        return "support"
    if a < b:
        return "learn"
    return None


def posting_direction(sender: RotationSchool, receiver: RotationSchool, policy: RotationPolicy) -> str | None:
    """The direction a posting would have under the policy, or None when the policy forbids it."""
    kind = direction(sender, receiver)
    if kind is None:
        return "support" if policy.scope.allow_peer_postings else None
    if kind == "learn" and not policy.learn.enabled:
        return None
    return kind


def is_quota_sender(school: RotationSchool, policy: RotationPolicy) -> bool:
    """Quality and urban schools carry the 10% rule (城镇学校、优质学校)."""
    return school.tier in policy.quota.sender_tiers or school.locality in policy.quota.sender_localities


def in_scope(sender: RotationSchool, receiver: RotationSchool, policy: RotationPolicy) -> bool:
    return sender.school_id != receiver.school_id and (
        policy.scope.cross_cluster or sender.cluster_id == receiver.cluster_id)


def per_plan_period(per_year: int, term: int | None) -> int:
    """A yearly count for the plan's period: the whole year, or half of it (rounded up) for one term."""
    return per_year if term is None else math.ceil(per_year / 2)


def exchange_pairs(data: RotationInput, policy: RotationPolicy) -> list[tuple[str, str]]:
    """The exchange pairs (结对): given in the input, or by `leaders.pairing` within each cluster
    (lead_member: the lead school with each member; all_pairs: every two schools)."""
    if data.school_pairs:
        return [tuple(p) for p in data.school_pairs]  # type: ignore[misc]
    by_cluster: dict[str, list[RotationSchool]] = {}
    for s in data.schools:
        by_cluster.setdefault(s.cluster_id, []).append(s)
    pairs: list[tuple[str, str]] = []
    for cluster_id in sorted(by_cluster):
        members = sorted(by_cluster[cluster_id], key=lambda s: s.school_id)
        if policy.leaders.pairing == "all_pairs":
            pairs += [(a.school_id, b.school_id) for i, a in enumerate(members) for b in members[i + 1:]]
            continue
        leads = [s for s in members if s.is_lead]
        if leads:
            pairs += [(leads[0].school_id, s.school_id) for s in members if s.school_id != leads[0].school_id]
    return pairs


def supported_schools(data: RotationInput, policy: RotationPolicy) -> list[tuple[str, str]]:
    """(supporting quality school, school it supports): its exchange partners weaker than it (对口帮扶, 001)."""
    schools = {s.school_id: s for s in data.schools}
    out = []
    for a, b in exchange_pairs(data, policy):
        for giver, taker in ((a, b), (b, a)):
            if schools[giver].tier in policy.support.supporter_tiers and direction(schools[giver], schools[taker]) == "support":
                out.append((giver, taker))
    return out


def ceil_share(share: float | Fraction, count: int) -> int:
    """⌈share × count⌉ in exact arithmetic (0.1 × 30 is 3, not 4)."""
    return math.ceil(fraction(share) * count) if not isinstance(share, Fraction) else math.ceil(share * count)


class Distances:
    """Kilometres from teachers to schools: from home where the teacher gave one, else from the
    teacher's school (`domain.geo.SchoolDistances`: distances.csv wins, a one-way row counts both ways)."""

    def __init__(self, data: RotationInput):
        self._schools = {s.school_id: s for s in data.schools}
        self._between = SchoolDistances([s.school_id for s in data.schools], [s.lat for s in data.schools],
                                        [s.lon for s in data.schools], data.distances)

    def schools_km(self, a: str, b: str) -> float:
        return self._between.km(a, b)

    def teacher_km(self, teacher: RotationTeacher, school_id: str) -> float:
        """From home to the school; from the teacher's school when the home is missing."""
        if teacher.has_home:
            host = self._schools[school_id]
            return haversine_km(teacher.home_lat, teacher.home_lon, host.lat, host.lon)  # type: ignore[arg-type]
        return self.schools_km(teacher.school_id, school_id)


def distance_band(km: float, policy: RotationPolicy) -> int:
    for index, edge in enumerate(policy.subsidy.distance_bands_km):
        if km <= edge:
            return index
    return len(policy.subsidy.distance_bands_km)


def subsidy_yuan(km: float, hardship: int, policy: RotationPolicy, factor: float = 1.0) -> int:
    """Yuan per month from the policy table (distance band × hardship level of the host school)."""
    level = min(max(int(hardship), 0), len(policy.subsidy.yuan_per_month) - 1)
    return int(round(policy.subsidy.yuan_per_month[level][distance_band(km, policy)] * factor))


def _date(school_year: int, month_day: str, *, next_year: bool) -> dt.date:
    month, day = (int(p) for p in month_day.split("-"))
    year = school_year + 1 if next_year else school_year
    day = min(day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


def period_dates(school_year: int, term: int | None, policy: RotationPolicy) -> tuple[dt.date, dt.date]:
    """Start and end of the plan's period: one term, or the whole school year."""
    d = policy.dates
    term1 = (_date(school_year, d.term1_start, next_year=int(d.term1_start[:2]) < 8),
             _date(school_year, d.term1_end, next_year=int(d.term1_end[:2]) < 8))
    term2 = (_date(school_year, d.term2_start, next_year=True), _date(school_year, d.term2_end, next_year=True))
    if term == 1:
        return term1
    if term == 2:
        return term2
    return term1[0], term2[1]


def term_months(school_year: int, term: int, policy: RotationPolicy) -> list[tuple[int, int]]:
    """(year, month) of every month a term touches, in order."""
    start, end = period_dates(school_year, term, policy)
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def plan_months(school_year: int, term: int | None, policy: RotationPolicy) -> list[tuple[int, int]]:
    """(year, month) of the months leaders exchange in: the term's, or both terms' for a year plan."""
    if term is not None:
        return term_months(school_year, term, policy)
    return term_months(school_year, 1, policy) + term_months(school_year, 2, policy)


def month_dates(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
