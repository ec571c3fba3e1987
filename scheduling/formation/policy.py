"""The district's cluster formation policy (学区划分政策): every rule number of the proposal is a key here.

Defaults come from DOMAIN.md (003 part 4: 城乡统筹、强弱搭配、相对就近; 每个学区学校数原则上不超过10所;
the lead is the quality school, the urban school of an urban–rural pair, the junior school of a
junior+primary alliance). `policies/formation.toml` holds the same defaults with a note per key in
Chinese and English; `app.policies` resolves it for the district (a stored district version wins).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from domain.policy import POSITIVE, PolicyError, PolicySection, PolicyTables

DEFAULT_POLICY_PATH = Path(__file__).resolve().parents[2] / "policies" / "formation.toml"

#: the school attributes a lead is compared on (学区长学校的选取依据), strongest first
LEAD_CRITERIA = ("tier", "locality", "stage")


def _need(condition: bool, message: str, zh: str | None = None) -> None:
    if not condition:
        raise PolicyError(message, zh=zh)


@dataclass(frozen=True)
class SizePolicy(PolicySection):
    """How many clusters, and how many schools each (学区规模)."""

    SECTION = "size"
    RANGES = {"max_schools": POSITIVE, "target_schools": POSITIVE}
    max_schools: int = 10  # 每个学区学校数原则上不超过10所 (003 part 4)
    min_schools: int = 2  # 一所学校不成学区
    clusters: int = 0  # 学区个数；0 = 自动（沿用现有学区个数，否则 ⌈学校数 ÷ target_schools⌉）
    target_schools: float = 5.0  # 自动定学区个数时每区的目标学校数（实例为学区长学校加 2–5 所成员校）

    def check(self) -> None:
        _need(self.max_schools >= 1, "size.max_schools must be ≥ 1", "size.max_schools 须不小于 1")
        _need(self.min_schools <= self.max_schools, "size.min_schools must not exceed size.max_schools",
              "size.min_schools 不可大于 size.max_schools")


@dataclass(frozen=True)
class LeadPolicy(PolicySection):
    """Which school leads (学区长学校): the strongest of its cluster, compared on these criteria in turn."""

    SECTION = "lead"
    order: tuple[str, ...] = LEAD_CRITERIA

    def check(self) -> None:
        _need(bool(self.order) and set(self.order) <= set(LEAD_CRITERIA) and len(set(self.order)) == len(self.order),
              f"lead.order must list some of {list(LEAD_CRITERIA)}, each once, got {list(self.order)}",
              f"lead.order 须由 {list(LEAD_CRITERIA)} 中的项组成且不重复，现为 {list(self.order)}")


@dataclass(frozen=True)
class MixPolicy(PolicySection):
    """城乡统筹、强弱搭配: what every cluster must hold."""

    SECTION = "mix"
    urban_rural: bool = True  # 每个学区至少一所城区学校和一所非城区（乡镇、农村）学校
    min_quality: int = 1  # 每个学区至少 N 所优质学校（0 = 不要求）
    high_apart: bool = True  # 高中只与高中组成学区（义务教育学区不含高中）


@dataclass(frozen=True)
class DistancePolicy(PolicySection):
    """相对就近: how far a member may be from its lead, and how many leads the model weighs per school."""

    SECTION = "distance"
    RANGES = {"max_km_to_lead": POSITIVE, "candidate_leads": POSITIVE}
    max_km_to_lead: float = 70.0  # 成员学校到学区长学校的最远距离（公里，distances.csv 优先）
    candidate_leads: int = 12  # 模型为每所学校考虑的最近的可作学区长学校数（越大越慢）


@dataclass(frozen=True)
class WeightsPolicy(PolicySection):
    """The balance objective (均衡): what one unit of each measure costs, and what breaking a rule costs."""

    SECTION = "weights"
    travel_km: float = 1.0  # 成员学校到学区长学校每公里
    size_deviation: float = 15.0  # 每个学区学校数与全区平均每差 1 所
    quality_deviation: float = 30.0  # 每个学区优质学校数与全区平均每差 1 所
    weak_deviation: float = 15.0  # 每个学区薄弱学校数与全区平均每差 1 所
    students_deviation: float = 2.0  # 每个学区学生数与全区平均每差 100 人
    keep_today: float = 0.0  # 学校留在现学区长学校的学区，每所减去的代价（0 = 不考虑现状）
    # best effort (尽力方案): the cost of each unit short of a rule, far above the balance terms
    urban_rural_short: float = 2000.0  # 每个缺城区学校或缺非城区学校的学区
    quality_short: float = 2000.0  # 每缺 1 所优质学校
    far_member: float = 1000.0  # 每所超出最远距离的成员学校
    high_mixed: float = 1000.0  # 每所与学区长学校高中/非高中不同的成员学校
    pin_dropped: float = 5000.0  # 每条未能满足的指定（同学区、学区长）


@dataclass(frozen=True)
class FormationPolicy(PolicyTables):
    """The whole formation policy: one section per table of `policies/formation.toml`."""

    TABLES = {"size": SizePolicy, "lead": LeadPolicy, "mix": MixPolicy, "distance": DistancePolicy,
              "weights": WeightsPolicy}
    DEFAULT_PATH = DEFAULT_POLICY_PATH

    size: SizePolicy = field(default_factory=SizePolicy)
    lead: LeadPolicy = field(default_factory=LeadPolicy)
    mix: MixPolicy = field(default_factory=MixPolicy)
    distance: DistancePolicy = field(default_factory=DistancePolicy)
    weights: WeightsPolicy = field(default_factory=WeightsPolicy)


def load_formation_policy(path: Path | str | None = None) -> FormationPolicy:
    """The policy of a TOML file (the repository's `policies/formation.toml` when no path is given)."""
    return FormationPolicy.from_toml(path)
