"""The same measures of any division into clusters — today's or a proposal — so the two compare fairly
(与现有学区比较): sizes, quality and weak schools, students, the urban–rural mix, travel to the lead,
and the rules each breaks (counted by the independent checker, `validate.py`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.geo import SchoolDistances

from .inputs import FormationInput
from .policy import FormationPolicy
from .results import FormationPlan
from .validate import validate_partition


@dataclass(frozen=True)
class Group:
    """One cluster of a division: its id, name, lead (None: not exactly one) and schools."""

    cluster_id: str
    name: str
    lead_id: str | None
    school_ids: tuple[str, ...]


@dataclass(frozen=True)
class ClusterMeasures:
    cluster_id: str
    name: str
    lead_id: str | None
    schools: int
    students: int
    quality: int
    ordinary: int
    weak: int
    urban: int
    township: int
    rural: int
    km_max: float | None  # farthest member from the lead (None without a lead)
    km_total: float | None


@dataclass(frozen=True)
class Measures:
    clusters: tuple[ClusterMeasures, ...]
    size_range: tuple[int, int]
    quality_range: tuple[int, int]
    weak_range: tuple[int, int]
    students_range: tuple[int, int]
    without_urban: int  # clusters without an urban school
    all_urban: int  # clusters without a school that is not urban
    short_of_quality: int  # clusters with fewer quality schools than mix.min_quality
    oversize: int  # clusters above size.max_schools
    km_mean: float  # mean km from a member to its lead
    km_max: float
    far_members: int  # members farther than distance.max_km_to_lead
    violations: int  # rule instances broken, counted by validate.py

    @property
    def count(self) -> int:
        return len(self.clusters)


def today_groups(data: FormationInput) -> list[Group]:
    """Today's clusters as the schools name them (a cluster without exactly one lead has lead None)."""
    names = {c.cluster_id: c.name for c in data.clusters}
    members: dict[str, list[str]] = {}
    leads: dict[str, list[str]] = {}
    for s in data.schools:
        if not s.cluster_id:
            continue
        members.setdefault(s.cluster_id, []).append(s.school_id)
        if s.is_lead:
            leads.setdefault(s.cluster_id, []).append(s.school_id)
    order = [c.cluster_id for c in data.clusters if c.cluster_id in members]
    order += sorted(c for c in members if c not in order)
    return [Group(c, names.get(c, c), leads[c][0] if len(leads.get(c, [])) == 1 else None, tuple(members[c]))
            for c in order]


def plan_groups(plan: FormationPlan) -> list[Group]:
    return [Group(c.cluster_id, c.name, c.lead_id, c.school_ids) for c in plan.clusters]


def _range(values: Sequence[int]) -> tuple[int, int]:
    return (min(values), max(values)) if values else (0, 0)


def measure(data: FormationInput, groups: Sequence[Group], policy: FormationPolicy,
            distances: SchoolDistances | None = None) -> Measures:
    by_id = data.by_id()
    between = distances or SchoolDistances([s.school_id for s in data.schools], [s.lat for s in data.schools],
                                           [s.lon for s in data.schools], data.distances)
    rows = []
    km_all: list[float] = []
    for g in groups:
        schools = [by_id[sid] for sid in g.school_ids]
        km = [between.km(g.lead_id, sid) for sid in g.school_ids if sid != g.lead_id] if g.lead_id else []
        km_all += km
        rows.append(ClusterMeasures(
            g.cluster_id, g.name, g.lead_id, len(schools), sum(s.students for s in schools),
            sum(s.tier == "quality" for s in schools), sum(s.tier == "ordinary" for s in schools),
            sum(s.tier == "weak" for s in schools), sum(s.locality == "urban" for s in schools),
            sum(s.locality == "township" for s in schools), sum(s.locality == "rural" for s in schools),
            max(km, default=0.0) if g.lead_id else None, sum(km) if g.lead_id else None))
    violations = validate_partition(data, policy, [(g.lead_id, g.school_ids) for g in groups], between=between)
    return Measures(
        clusters=tuple(rows), size_range=_range([r.schools for r in rows]),
        quality_range=_range([r.quality for r in rows]), weak_range=_range([r.weak for r in rows]),
        students_range=_range([r.students for r in rows]),
        without_urban=sum(r.urban == 0 for r in rows), all_urban=sum(r.urban == r.schools for r in rows),
        short_of_quality=sum(r.quality < policy.mix.min_quality for r in rows),
        oversize=sum(r.schools > policy.size.max_schools for r in rows),
        km_mean=sum(km_all) / len(km_all) if km_all else 0.0, km_max=max(km_all, default=0.0),
        far_members=sum(k > policy.distance.max_km_to_lead + 1e-9 for k in km_all), violations=len(violations))


@dataclass(frozen=True)
class ComparisonRow:
    key: str
    label_zh: str
    label_en: str
    today: str
    proposal: str
    better: str  # proposal, today, same, or none (a difference neither better nor worse: the number of clusters)

    def label(self, lang: str = "zh") -> str:
        return self.label_en if lang == "en" else self.label_zh


def _spread(r: tuple[int, int]) -> str:
    return f"{r[0]}–{r[1]}" if r[0] != r[1] else str(r[0])


def _better(today: float, proposal: float) -> str:
    return "same" if abs(today - proposal) < 1e-9 else ("proposal" if proposal < today else "today")


def comparison(today: Measures, proposal: Measures) -> list[ComparisonRow]:
    """Today's clusters beside the proposal on the same measures (for ranges the narrower is better)."""
    def span(r: tuple[int, int]) -> int:
        return r[1] - r[0]

    rows = [
        ComparisonRow("clusters", "学区数", "clusters", str(today.count), str(proposal.count),
                      "same" if today.count == proposal.count else "none"),  # neither is better
        ComparisonRow("size", "每区学校数（最少–最多）", "schools a cluster (fewest–most)", _spread(today.size_range),
                      _spread(proposal.size_range), _better(span(today.size_range), span(proposal.size_range))),
        ComparisonRow("quality", "每区优质学校数", "quality schools a cluster", _spread(today.quality_range),
                      _spread(proposal.quality_range),
                      _better(span(today.quality_range), span(proposal.quality_range))),
        ComparisonRow("weak", "每区薄弱学校数", "weak schools a cluster", _spread(today.weak_range),
                      _spread(proposal.weak_range), _better(span(today.weak_range), span(proposal.weak_range))),
        ComparisonRow("students", "每区学生数", "students a cluster", _spread(today.students_range),
                      _spread(proposal.students_range),
                      _better(span(today.students_range), span(proposal.students_range))),
        ComparisonRow("without_urban", "没有城区学校的学区", "clusters without an urban school",
                      str(today.without_urban), str(proposal.without_urban),
                      _better(today.without_urban, proposal.without_urban)),
        ComparisonRow("all_urban", "全为城区学校的学区", "clusters of urban schools only", str(today.all_urban),
                      str(proposal.all_urban), _better(today.all_urban, proposal.all_urban)),
        ComparisonRow("short_of_quality", "优质学校不足的学区", "clusters short of quality schools",
                      str(today.short_of_quality), str(proposal.short_of_quality),
                      _better(today.short_of_quality, proposal.short_of_quality)),
        ComparisonRow("oversize", "超过学校数上限的学区", "clusters above the size limit", str(today.oversize),
                      str(proposal.oversize), _better(today.oversize, proposal.oversize)),
        ComparisonRow("km_mean", "成员学校到学区长学校平均距离（公里）", "mean km from a member to its lead",
                      f"{today.km_mean:.1f}", f"{proposal.km_mean:.1f}", _better(round(today.km_mean, 1),
                                                                                round(proposal.km_mean, 1))),
        ComparisonRow("km_max", "最远距离（公里）", "farthest member (km)", f"{today.km_max:.1f}",
                      f"{proposal.km_max:.1f}", _better(round(today.km_max, 1), round(proposal.km_max, 1))),
        ComparisonRow("far_members", "超出最远距离的成员学校", "members beyond the distance limit",
                      str(today.far_members), str(proposal.far_members),
                      _better(today.far_members, proposal.far_members)),
        ComparisonRow("violations", "违反规则的项数（独立校验）", "rules broken (independent check)",
                      str(today.violations), str(proposal.violations), _better(today.violations, proposal.violations)),
    ]
    return rows
