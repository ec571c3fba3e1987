"""Check any division into clusters against the policy, with plain checks of its own (独立校验).

Independent of the model on purpose: it imports neither `rules`, `candidates` nor `model`, and reads
the policy's numbers and the lead order itself, so a mistake in the model cannot hide from the tests.
School-to-school km come from `domain.geo.SchoolDistances`, the one distance rule of the project.
Every violation carries the key the solver's `broken` uses for the same shortfall (a rule key and the
lead or school it is about), so a best-effort plan's violations can be matched to what it reported.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from domain.geo import SchoolDistances

from .inputs import FormationInput, FormationSchool
from .policy import FormationPolicy
from .results import FormationPlan, FormationResult

_RANKS = {
    "tier": {"weak": 0, "ordinary": 1, "quality": 2},
    "locality": {"rural": 0, "township": 1, "urban": 2},
    "stage": {"primary": 0, "junior": 1, "nine_year": 1, "high": 2},  # a nine-year school leads like a junior one
}


@dataclass(frozen=True)
class Violation:
    key: str  # "mix.urban_rural:S001": the rule (policy key) and the lead or school it is about
    message_zh: str
    message_en: str

    @property
    def rule(self) -> str:
        return self.key.split(":", 1)[0]

    def message(self, lang: str = "zh") -> str:
        return self.message_en if lang == "en" else self.message_zh

    def __str__(self) -> str:
        return f"[{self.key}] {self.message_en}"


def _strength(school: FormationSchool, order: Sequence[str]) -> tuple[int, ...]:
    return tuple(_RANKS[c].get(getattr(school, c), 0) for c in order)


def validate_partition(data: FormationInput, policy: FormationPolicy,
                       partition: Sequence[tuple[str | None, Sequence[str]]], *,
                       between: SchoolDistances | None = None, expected_clusters: int | None = None
                       ) -> list[Violation]:
    """The violations of a division: (lead or None, school ids) per cluster."""
    by_id = data.by_id()
    out: list[Violation] = []

    def add(key: str, zh: str, en: str) -> None:
        out.append(Violation(key, zh, en))

    def name(sid: str) -> str:
        school = by_id.get(sid)
        return f"{school.name}（{sid}）" if school else sid

    def name_en(sid: str) -> str:
        school = by_id.get(sid)
        return f"{school.name} ({sid})" if school else sid

    between = between or SchoolDistances([s.school_id for s in data.schools], [s.lat for s in data.schools],
                                         [s.lon for s in data.schools], data.distances)
    seen = Counter(sid for _, ids in partition for sid in ids)
    for sid in sorted(seen):
        if sid not in by_id:
            add(f"partition:{sid}", f"方案中的学校 {sid} 不在全区学校名单中", f"school {sid} of the plan is not a school of the district")
        elif seen[sid] > 1:
            add(f"partition:{sid}", f"{name(sid)} 在 {seen[sid]} 个学区中", f"{name_en(sid)} is in {seen[sid]} clusters")
    for sid in by_id:
        if sid not in seen:
            add(f"partition:{sid}", f"{name(sid)} 不在任何学区中", f"{name_en(sid)} is in no cluster")
    size = policy.size
    n = len(data.schools)
    if expected_clusters is not None and len(partition) != expected_clusters:
        add("size.clusters", f"方案有 {len(partition)} 个学区，应为 {expected_clusters} 个",
            f"the plan has {len(partition)} clusters, not {expected_clusters}")
    low = size.min_schools if n >= size.min_schools else 1
    order = policy.lead.order
    reach = policy.distance.max_km_to_lead
    for lead, ids in partition:
        ids = [sid for sid in ids if sid in by_id]
        where = lead or (ids[0] if ids else "?")
        if lead is None or lead not in ids:
            add(f"lead:{where}", f"学区（含 {name(where)}）没有恰好一所学区长学校",
                f"the cluster of {name_en(where)} has not exactly one lead school")
        if len(ids) > size.max_schools:
            add(f"size.max_schools:{where}", f"{name(where)} 所在学区有 {len(ids)} 所学校，超过上限 {size.max_schools} 所",
                f"the cluster of {name_en(where)} has {len(ids)} schools, above the limit of {size.max_schools}")
        if len(ids) < low:
            add(f"size.min_schools:{where}", f"{name(where)} 所在学区只有 {len(ids)} 所学校，少于 {low} 所",
                f"the cluster of {name_en(where)} has {len(ids)} school(s), below {low}")
        schools = [by_id[sid] for sid in ids]
        if policy.mix.urban_rural and schools:
            urban = sum(s.locality == "urban" for s in schools)
            if urban == 0 or urban == len(schools):
                missing = ("城区学校", "an urban school") if urban == 0 else ("非城区学校", "a school outside the town")
                add(f"mix.urban_rural:{where}", f"{name(where)} 所在学区没有{missing[0]}",
                    f"the cluster of {name_en(where)} has no {missing[1]}")
        quality = sum(s.tier == "quality" for s in schools)
        if quality < policy.mix.min_quality:
            add(f"mix.min_quality:{where}", f"{name(where)} 所在学区有 {quality} 所优质学校，少于 {policy.mix.min_quality} 所",
                f"the cluster of {name_en(where)} has {quality} quality school(s), fewer than {policy.mix.min_quality}")
        if lead is None or lead not in by_id or lead not in ids:
            continue
        head = by_id[lead]
        for school in schools:
            if school.school_id == lead:
                continue
            if _strength(school, order) > _strength(head, order):
                add(f"lead.order:{lead}", f"{name(school.school_id)} 比学区长学校 {name(lead)} 更强（{'、'.join(order)}）",
                    f"{name_en(school.school_id)} outranks its lead {name_en(lead)} ({', '.join(order)})")
            km = between.km(lead, school.school_id)
            if km > reach + 1e-9:
                add(f"distance.max_km_to_lead:{school.school_id}",
                    f"{name(school.school_id)} 距学区长学校 {name(lead)} {km:.1f} 公里，超过 {reach:g} 公里",
                    f"{name_en(school.school_id)} is {km:.1f} km from its lead {name_en(lead)}, beyond {reach:g} km")
            if policy.mix.high_apart and (school.stage == "high") != (head.stage == "high"):
                add(f"mix.high_apart:{school.school_id}", f"{name(school.school_id)} 与学区长学校 {name(lead)} 一所是高中、一所不是",
                    f"{name_en(school.school_id)} and its lead {name_en(lead)}: one is a high school, the other not")
    cluster_of = {sid: k for k, (_, ids) in enumerate(partition) for sid in ids}
    for number, pin in enumerate(data.together, 1):
        homes = {cluster_of.get(sid) for sid in pin.school_ids}
        if len(homes) > 1 or None in homes:
            ids = ",".join(pin.school_ids)
            add(f"pin.together:{number}:{ids}", f"指定同一学区的 {'、'.join(map(name, pin.school_ids))} 不在同一学区",
                f"{', '.join(map(name_en, pin.school_ids))}, pinned together, are not in one cluster")
    leads = {lead for lead, _ in partition}
    for lead_pin in data.leads:
        if lead_pin.school_id not in leads:
            add(f"pin.lead:{lead_pin.school_id}:{lead_pin.school_id}", f"指定为学区长学校的 {name(lead_pin.school_id)} 不是学区长学校",
                f"{name_en(lead_pin.school_id)}, pinned as a lead, does not lead")
    return out


def expected_cluster_count(data: FormationInput, policy: FormationPolicy) -> int | None:
    """The number of clusters asked (for the run, else by the policy) when the sizes allow it."""
    asked = data.clusters_wanted or policy.size.clusters or None
    n = len(data.schools)
    if asked is None or not n:
        return None
    low = math.ceil(n / policy.size.max_schools)
    high = max(low, n // max(1, policy.size.min_schools))
    return asked if low <= asked <= high else None


def validate_formation(data: FormationInput, policy: FormationPolicy, plan: FormationPlan) -> list[Violation]:
    """The violations of a proposed plan (its cluster ids must be distinct too)."""
    out = validate_partition(data, policy, plan.groups(), expected_clusters=expected_cluster_count(data, policy))
    ids = Counter(c.cluster_id for c in plan.clusters)
    out += [Violation(f"cluster_id:{cid}", f"学区编号 {cid} 重复", f"cluster id {cid} is used twice")
            for cid, times in ids.items() if times > 1]
    return out


def unexplained_violations(result: FormationResult, violations: Sequence[Violation]) -> list[Violation]:
    """The violations a result does not report as shortfalls (a best effort must report each one)."""
    return [v for v in violations if v.key not in result.broken]
