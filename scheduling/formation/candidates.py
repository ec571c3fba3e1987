"""Who may lead, and which leads each school may join: the variables of the formation model.

A cluster is named by its lead (a p-median-like model: no interchangeable cluster slots). Leads are
the strongest schools (`rules.lead_key`): enough of the top ones for the cluster count twice over,
every pinned lead, and for each school the strongest school within reach when no stronger candidate
is. Each school may join its `distance.candidate_leads` nearest candidates at least as strong as
itself (and itself when it may lead); the members of a together-pin share their options.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from domain.geo import SchoolDistances

from .inputs import FormationInput, FormationSchool
from .policy import FormationPolicy
from .rules import ClusterCount, cluster_count, lead_key


@dataclass(frozen=True)
class Totals:
    """The district's totals the balance terms measure against: a region solved on its own still aims at
    the district's mean per cluster (each total ÷ clusters)."""

    clusters: int
    schools: int
    quality: int
    weak: int
    students_hundreds: int

    @classmethod
    def of(cls, schools: list[FormationSchool], clusters: int) -> Totals:
        return cls(clusters, len(schools), sum(s.tier == "quality" for s in schools),
                   sum(s.tier == "weak" for s in schools), sum(round(s.students / 100) for s in schools))


@dataclass
class FormationIndex:
    data: FormationInput
    policy: FormationPolicy
    schools: list[FormationSchool]
    position: dict[str, int]
    km: np.ndarray  # km[i, j] from school i to school j (SchoolDistances: distances.csv wins)
    keys: list[tuple[int, ...]]
    count: ClusterCount
    leads: list[int]  # candidate leads (positions)
    options: dict[int, list[int]] = field(default_factory=dict)  # member → leads it may join (itself included)
    totals: Totals | None = None  # what the balance aims at (the district's; set by build_index)

    @property
    def n(self) -> int:
        return len(self.schools)

    def members_of(self) -> dict[int, list[int]]:
        """Lead → schools that may join it."""
        out: dict[int, list[int]] = defaultdict(list)
        for j, leads in self.options.items():
            for i in leads:
                out[i].append(j)
        return out


def school_distances(data: FormationInput) -> SchoolDistances:
    return SchoolDistances([s.school_id for s in data.schools], [s.lat for s in data.schools],
                           [s.lon for s in data.schools], data.distances)


def build_index(data: FormationInput, policy: FormationPolicy, *, width: int | None = None,
                include: Sequence[tuple[str, Sequence[str]]] = (), totals: Totals | None = None) -> FormationIndex:
    """The candidates and options; `width` overrides `distance.candidate_leads` (a wider retry); every
    (lead, members) of `include` (a plan to start from) is among them; `totals`: a region's district."""
    schools = list(data.schools)
    position = {s.school_id: i for i, s in enumerate(schools)}
    km = school_distances(data).matrix
    keys = [lead_key(s, policy) for s in schools]
    count = cluster_count(data, policy)
    n = len(schools)
    width = width or policy.distance.candidate_leads
    order = sorted(range(n), key=lambda i: keys[i], reverse=True)
    leads: set[int] = set()
    if n:
        cut = keys[order[min(n - 1, 2 * count.count + 4)]]
        leads |= {i for i in range(n) if keys[i] >= cut}
    leads |= {position[p.school_id] for p in data.leads if p.school_id in position}
    for group in data.together:  # the strongest of a group may have to lead it
        inside = [position[s] for s in group.school_ids if s in position]
        if inside:
            leads.add(max(inside, key=lambda i: keys[i]))
    reach = policy.distance.max_km_to_lead
    for j in range(n):  # a school out of every stronger candidate's reach: the strongest school near it may lead
        if not any(keys[i] >= keys[j] and km[i, j] <= reach for i in leads):
            near = [i for i in range(n) if km[i, j] <= reach and keys[i] >= keys[j]] or [j]
            leads.add(max(near, key=lambda i: (keys[i], -km[i, j])))
    included = [(position[lead], [position[m] for m in members]) for lead, members in include]
    leads |= {lead for lead, _ in included}
    lead_list = sorted(leads)
    options: dict[int, list[int]] = {}
    for j in range(n):
        stronger = [i for i in lead_list if i != j and keys[i] >= keys[j]]
        stronger.sort(key=lambda i: (km[i, j], i))
        chosen = stronger[:width]
        if j in leads:
            chosen = [j] + chosen
        if not chosen:  # nothing at least as strong may take it: it leads
            lead_list.append(j)
            chosen = [j]
        options[j] = chosen
    for lead, members in included:  # the starting plan stays possible
        for j in members:
            if lead not in options[j]:
                options[j].append(lead)
    for group in data.together:  # a group's members share every lead strong enough for each of them
        inside = [position[s] for s in group.school_ids if s in position]
        shared = sorted({i for j in inside for i in options[j]})
        for j in inside:
            options[j] = options[j] + [i for i in shared if i not in options[j] and keys[i] >= keys[j]
                                       and (i != j or j in leads)]
    return FormationIndex(data=data, policy=policy, schools=schools, position=position, km=km, keys=keys,
                          count=count, leads=sorted(set(lead_list)), options=options,
                          totals=totals or Totals.of(schools, count.count))
