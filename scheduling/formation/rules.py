"""The formation rules as plain functions the model, the greedy plan and the explanations share
(the validator has its own reading of the policy on purpose).

- Which school may lead (学区长学校, 003 part 4): the strongest of its cluster, compared on the policy's
  `lead.order` in turn — tier (the quality school leads a group), locality (the urban school leads an
  urban–rural pair), stage (the junior school leads a junior+primary alliance). A school may only join
  a lead at least as strong, so every cluster's lead is its strongest school by construction.
- How many clusters: asked for the run, else `size.clusters`, else today's number, else
  ⌈schools ÷ size.target_schools⌉ — always within what the sizes allow.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from domain.vocab import LOCALITY_RANK, TIER_RANK

from .inputs import FormationInput, FormationSchool
from .policy import FormationPolicy

#: nine-year schools teach grades 7–9 too: they lead a junior+primary alliance like a junior school
STAGE_RANK = {"primary": 0, "junior": 1, "nine_year": 1, "high": 2}


def criterion_rank(school: FormationSchool, criterion: str) -> int:
    if criterion == "tier":
        return TIER_RANK.get(school.tier, 0)
    if criterion == "locality":
        return LOCALITY_RANK.get(school.locality, 0)
    return STAGE_RANK.get(school.stage, 0)


def lead_key(school: FormationSchool, policy: FormationPolicy) -> tuple[int, ...]:
    """The school's strength as a lead: compare two keys as tuples (the larger may lead the smaller)."""
    return tuple(criterion_rank(school, c) for c in policy.lead.order)


def is_urban(school: FormationSchool) -> bool:
    return school.locality == "urban"


def is_high(school: FormationSchool) -> bool:
    return school.stage == "high"


def is_quality(school: FormationSchool) -> bool:
    return school.tier == "quality"


def is_weak(school: FormationSchool) -> bool:
    return school.tier == "weak"


@dataclass(frozen=True)
class ClusterCount:
    """How many clusters the proposal has, and why (学区个数)."""

    count: int
    low: int  # ⌈schools ÷ size.max_schools⌉
    high: int  # ⌊schools ÷ size.min_schools⌋ (at least `low`)
    source: str  # asked, policy, today, target
    requested: int  # the number asked for (before it was kept within low..high)

    @property
    def clamped(self) -> bool:
        return self.requested != self.count


def cluster_count(data: FormationInput, policy: FormationPolicy) -> ClusterCount:
    n = len(data.schools)
    size = policy.size
    low = max(1, math.ceil(n / size.max_schools)) if n else 0
    high = max(low, n // max(1, size.min_schools)) if n else 0
    if data.clusters_wanted:
        source, requested = "asked", int(data.clusters_wanted)
    elif size.clusters > 0:
        source, requested = "policy", size.clusters
    elif data.today_cluster_count() and low <= data.today_cluster_count() <= high:
        source, requested = "today", data.today_cluster_count()
    else:
        source, requested = "target", max(1, math.ceil(n / size.target_schools)) if n else 0
    return ClusterCount(min(high, max(low, requested)), low, high, source, requested)
