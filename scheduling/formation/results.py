"""What a formation run returns: the proposed clusters, how the solver did, and why rules fell short."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..cpsat import Explanation


@dataclass(frozen=True)
class ProposedCluster:
    cluster_id: str
    name: str
    lead_id: str
    school_ids: tuple[str, ...]  # the lead first, then the members by id
    today_id: str | None = None  # today's cluster it continues (the most schools in common), if any


@dataclass(frozen=True)
class FormationPlan:
    clusters: tuple[ProposedCluster, ...]
    retired: tuple[str, ...] = ()  # today's clusters no proposed cluster continues (kept in clusters.csv, empty)

    def cluster_of(self) -> dict[str, str]:
        """School id → proposed cluster id."""
        return {sid: c.cluster_id for c in self.clusters for sid in c.school_ids}

    def leads(self) -> set[str]:
        return {c.lead_id for c in self.clusters}

    def groups(self) -> list[tuple[str, tuple[str, ...]]]:
        """(lead, members with the lead) of each cluster: the plan as a partition."""
        return [(c.lead_id, c.school_ids) for c in self.clusters]


@dataclass(frozen=True)
class FormationResult:
    status: str  # OPTIMAL, FEASIBLE (CP-SAT), GREEDY (the fallback plan: no solution in the time)
    plan: FormationPlan
    relaxed: bool  # some rule could not hold: `broken` says which, `explanations` why
    broken: dict[str, int] = field(default_factory=dict)  # rule key ("mix.urban_rural:S001") → units short
    explanations: tuple[Explanation, ...] = ()
    objective: float | None = None
    bound: float | None = None
    solve_seconds: float = 0.0
    num_workers: int = 2
    lang: str = "zh"
    stats: dict[str, Any] = field(default_factory=dict)

    def messages(self, lang: str | None = None) -> list[str]:
        return [e.text(lang or self.lang) for e in self.explanations]
