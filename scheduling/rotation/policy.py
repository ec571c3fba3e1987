"""The cluster's rotation policy (交流轮岗政策): every rule number of the roster is a parameter here.

Defaults come from DOMAIN.md (003 part 2 and part 4, 001, 004); `policies/rotation.toml` holds the
same defaults with a note per key in Chinese and English. A policy is versioned: `version` names
the format of the file, `name` the cluster's own edition ("明珠学区 2025").
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from domain.policy import POSITIVE, PolicyError, PolicySection, PolicyTables
from domain.vocab import LOCALITIES, ROLES, TIERS

POLICY_FORMAT_VERSION = 1
DEFAULT_POLICY_PATH = Path(__file__).resolve().parents[2] / "policies" / "rotation.toml"


def fraction(value: float) -> Fraction:
    """An exact fraction for a policy share (0.1 → 1/10), so that quotas never suffer float error."""
    return Fraction(str(value)).limit_denominator(10_000)


def _need(condition: bool, message: str) -> None:
    if not condition:
        raise PolicyError(message)


def _share(value: float, name: str) -> None:
    _need(isinstance(value, (int, float)) and 0 <= value <= 1, f"{name} must be a share in [0, 1], got {value!r}")


@dataclass(frozen=True)
class EligibilityPolicy(PolicySection):
    """Who may rotate (符合交流条件教师)."""

    SECTION = "eligibility"
    min_years_at_school: int = 6  # 在本校连续任教满 N 年
    cooldown_years: int = 3  # 近 N 个学年内交流过的不再交流
    retirement_age: int = 60  # 退休年龄
    retirement_age_by_gender: dict[str, int] = field(default_factory=dict)  # 按性别的退休年龄 {M=60, F=55}
    min_years_to_retirement: int = 3  # 距退休须多于 N 年
    roles: tuple[str, ...] = ("teacher",)  # 参加教师交流的岗位（中层干部、校长另有规则）

    def check(self) -> None:
        _need(self.min_years_at_school >= 0 and self.cooldown_years >= 0 and self.min_years_to_retirement >= 0,
              "eligibility: years must be ≥ 0")
        _need(30 <= self.retirement_age <= 80, "eligibility.retirement_age must be in [30, 80]")
        unknown = sorted(set(self.retirement_age_by_gender) - {"M", "F"})
        _need(not unknown, f"eligibility.retirement_age_by_gender: keys are M and F, got {unknown}")
        _need(all(30 <= int(v) <= 80 for v in self.retirement_age_by_gender.values()),
              "eligibility.retirement_age_by_gender: ages must be in [30, 80]")
        _need(set(self.roles) <= set(ROLES), f"eligibility.roles must be among {list(ROLES)}")

    def retirement_age_for(self, gender: str | None) -> int:
        return int(self.retirement_age_by_gender.get(gender or "", self.retirement_age))


@dataclass(frozen=True)
class QuotaPolicy(PolicySection):
    """The 10% rule and the backbone share (003 part 4 and its footnote)."""

    SECTION = "quota"
    sender_tiers: tuple[str, ...] = ("quality",)  # 承担交流比例的学校：优质学校
    sender_localities: tuple[str, ...] = ("urban",)  # 以及城镇学校
    min_fraction: float = 0.10  # 每学年交流不低于符合条件教师的比例（向上取整）
    max_fraction: float = 1.0  # 每校交流人数上限（占符合条件教师的比例，向上取整）；1 为不限
    backbone_min_share: float = 0.20  # 骨干教师占交流人数的最低比例
    backbone_per_school: bool = True  # 每所学校分别满足骨干比例
    backbone_per_cluster: bool = True  # 学区整体满足骨干比例
    famous_counts_as_backbone: bool = True  # 名师计入骨干教师

    def check(self) -> None:
        _need(set(self.sender_tiers) <= set(TIERS), f"quota.sender_tiers must be among {list(TIERS)}")
        _need(set(self.sender_localities) <= set(LOCALITIES),
              f"quota.sender_localities must be among {list(LOCALITIES)}")
        for name in ("min_fraction", "max_fraction", "backbone_min_share"):
            _share(getattr(self, name), f"quota.{name}")
        _need(self.min_fraction <= self.max_fraction, "quota: min_fraction must be ≤ max_fraction")


@dataclass(frozen=True)
class LearnPolicy(PolicySection):
    """Learning postings (跟岗): teachers of rural or weaker schools come to urban or stronger ones."""

    SECTION = "learn"
    enabled: bool = True  # 是否安排跟岗学习
    min_fraction: float = 0.0  # 每校跟岗人数下限（占符合条件教师的比例，向上取整）
    max_fraction: float = 0.2  # 每校跟岗人数上限（向上取整）

    def check(self) -> None:
        _share(self.min_fraction, "learn.min_fraction")
        _share(self.max_fraction, "learn.max_fraction")
        _need(self.min_fraction <= self.max_fraction, "learn: min_fraction must be ≤ max_fraction")


@dataclass(frozen=True)
class MingzhuPolicy(PolicySection):
    """Optional rule of the Mingzhu cluster (003 part 2): half the backbone teachers exchange a year."""

    SECTION = "mingzhu"
    enabled: bool = False  # 是否启用明珠学区规则
    backbone_fraction: float = 0.5  # 每学年交流的骨干教师比例（占符合条件的骨干，向上取整）
    rural_share: float = 0.5  # 交流骨干中到乡下学校的最低比例
    rural_localities: tuple[str, ...] = ("rural", "township")  # “乡下学校”的城乡类别
    min_person_times_per_year: int = 8  # 学区教师每学年至少交流人次（按学期排时取一半，向上取整）

    def check(self) -> None:
        _need(self.min_person_times_per_year >= 0, "mingzhu.min_person_times_per_year must be ≥ 0")
        _share(self.backbone_fraction, "mingzhu.backbone_fraction")
        _share(self.rural_share, "mingzhu.rural_share")
        _need(set(self.rural_localities) <= set(LOCALITIES),
              f"mingzhu.rural_localities must be among {list(LOCALITIES)}")


@dataclass(frozen=True)
class DistancePolicy(PolicySection):
    """Travel limits (按距离远近)."""

    SECTION = "distance"
    RANGES = {"max_km": POSITIVE}
    max_km: float = 40.0  # 住址（无住址时为本校）到交流学校的最远距离（公里）
    hardship_travel_factor: float = 0.5  # 路程权重 = 公里 × (1 + 系数 × 交流学校艰苦程度)

    def check(self) -> None:
        _need(self.max_km > 0, "distance.max_km must be > 0")
        _need(self.hardship_travel_factor >= 0, "distance.hardship_travel_factor must be ≥ 0")


@dataclass(frozen=True)
class ScopePolicy(PolicySection):
    """Where teachers may go."""

    SECTION = "scope"
    cross_cluster: bool = False  # 是否允许跨学区交流（同一区县内）
    allow_peer_postings: bool = False  # 是否允许同等水平学校之间交流（记为支教）
    keep_subject_coverage: bool = True  # 派出学校每个年级每个学科至少留一名本校教师


@dataclass(frozen=True)
class MentoringPolicy(PolicySection):
    """师徒结对 / 青蓝捆绑 (001, 003)."""

    SECTION = "mentoring"
    enabled: bool = True  # 交流的骨干教师、名师须在交流学校带徒
    max_apprentice_teaching_years: int = 5  # 徒弟教龄上限（年）
    famous_min_apprentices: int = 4  # 名师至少带徒人数（003：带教 4—8 名青年教师）
    famous_max_apprentices: int = 8  # 名师最多带徒人数
    apprentice_bonus: float = 2.0  # 名师在最少人数之外每多带一名徒弟的奖励（公里当量）

    def check(self) -> None:
        _need(self.max_apprentice_teaching_years >= 0, "mentoring.max_apprentice_teaching_years must be ≥ 0")
        _need(self.famous_min_apprentices >= 1, "mentoring.famous_min_apprentices must be ≥ 1")
        _need(self.famous_max_apprentices >= self.famous_min_apprentices,
              "mentoring.famous_max_apprentices must be ≥ famous_min_apprentices")
        _need(self.apprentice_bonus >= 0, "mentoring.apprentice_bonus must be ≥ 0")


@dataclass(frozen=True)
class SupportPolicy(PolicySection):
    """支教结对子 (001): a quality school sends excellent teachers to each school it supports."""

    SECTION = "support"
    excellent_per_year: int = 4  # 优质学校每学年向每所帮扶学校派出的优秀教师（骨干、名师）下限；按学期排时取一半，向上取整
    supporter_tiers: tuple[str, ...] = ("quality",)  # 承担对口帮扶的学校（办学水平）

    def check(self) -> None:
        _need(self.excellent_per_year >= 0, "support.excellent_per_year must be ≥ 0")
        _need(set(self.supporter_tiers) <= set(TIERS), f"support.supporter_tiers must be among {list(TIERS)}")


@dataclass(frozen=True)
class PartTimePolicy(PolicySection):
    """跨校兼课 (001): a teacher keeps their own post and teaches some hours a week at a partner school."""

    SECTION = "part_time"
    enabled: bool = True  # 是否安排跨校兼课（只填补交流教师填不满的岗位）
    hours_per_week: int = 4  # 兼课教师每周在对方学校的课时
    max_km: float = 20.0  # 兼课教师住址（或本校）到对方学校的最远距离（每周往返）
    post_value: float = 0.5  # 一个兼课岗位抵消空缺岗位代价的比例（不算作交流，也不算填满岗位）
    subsidy_factor: float = 0.2  # 兼课补助系数（按补助表，每周一天左右）

    def check(self) -> None:
        _need(1 <= self.hours_per_week <= 40, "part_time.hours_per_week must be 1–40")
        _need(self.max_km > 0, "part_time.max_km must be > 0")
        _share(self.post_value, "part_time.post_value")
        _need(self.subsidy_factor >= 0, "part_time.subsidy_factor must be ≥ 0")


@dataclass(frozen=True)
class LeaderPolicy(PolicySection):
    """Leaders' exchange days (003 part 2: 两校每月对口交流2位中层干部)."""

    SECTION = "leaders"
    enabled: bool = True  # 是否安排中层干部交流
    pairing: str = "lead_member"  # 结对方式：lead_member 学区长学校与每所成员校结对；all_pairs 学区内两两结对
    days_per_week: int = 1  # 每人每周到对方学校的天数（固定为一个工作日）
    max_pairs_per_leader_per_month: int = 2  # 每名干部每月最多参加几个结对的交流（每个每周占一个工作日）
    principals_as_leaders: bool = True  # 校长也可作为交流干部（“包括两校校长在内”）
    fairness_weight: float = 10.0  # 干部之间交流次数不均的代价
    weekday_clash_weight: float = 2.0  # 同校多名外出干部同一天外出的代价

    def check(self) -> None:
        _need(self.pairing in ("lead_member", "all_pairs"), "leaders.pairing must be 'lead_member' or 'all_pairs'")
        _need(self.days_per_week == 1, "leaders.days_per_week: only 1 is supported")
        _need(1 <= self.max_pairs_per_leader_per_month <= 5, "leaders.max_pairs_per_leader_per_month must be 1–5")
        _need(self.fairness_weight >= 0 and self.weekday_clash_weight >= 0, "leaders: weights must be ≥ 0")


@dataclass(frozen=True)
class PrincipalPolicy(PolicySection):
    """Principals exchange one month a year; a pair's two principals are never away together."""

    SECTION = "principals"
    enabled: bool = True  # 是否安排校长交流
    months_per_year: int = 1  # 每学年交流月数
    term: int = 1  # 校长在第几学期交流（按学期排时只在该学期安排）

    def check(self) -> None:
        _need(self.months_per_year in (0, 1), "principals.months_per_year: 0 or 1 is supported")
        _need(self.term in (1, 2), "principals.term must be 1 or 2")


@dataclass(frozen=True)
class SubsidyPolicy(PolicySection):
    """Monthly subsidy (差异化补助) by distance band and hardship level (003 part 4)."""

    SECTION = "subsidy"
    distance_bands_km: tuple[float, ...] = (10.0, 20.0, 30.0)  # 距离分档上限（公里）；超过最后一档为最高档
    yuan_per_month: tuple[tuple[int, ...], ...] = (  # 行：艰苦程度 0–3；列：距离档（比分档多一列）
        (200, 300, 400, 500),
        (400, 500, 600, 700),
        (600, 700, 800, 900),
        (800, 900, 1000, 1200),
    )
    learn_factor: float = 1.0  # 跟岗教师补助系数
    leader_factor: float = 0.2  # 中层干部（每周一天）补助系数

    def check(self) -> None:
        bands = list(self.distance_bands_km)
        _need(bands == sorted(bands) and all(b > 0 for b in bands), "subsidy.distance_bands_km must increase")
        _need(len(self.yuan_per_month) == 4, "subsidy.yuan_per_month needs one row per hardship level 0–3")
        _need(all(len(row) == len(bands) + 1 for row in self.yuan_per_month),
              "subsidy.yuan_per_month: each row needs len(distance_bands_km) + 1 amounts")
        _need(all(v >= 0 for row in self.yuan_per_month for v in row), "subsidy amounts must be ≥ 0")
        _need(self.learn_factor >= 0 and self.leader_factor >= 0, "subsidy factors must be ≥ 0")


@dataclass(frozen=True)
class DatesPolicy(PolicySection):
    """Term dates (MM-DD); the second term's dates fall in the following calendar year."""

    SECTION = "dates"
    term1_start: str = "09-01"  # 第一学期开始
    term1_end: str = "01-31"  # 第一学期结束（次年）
    term2_start: str = "03-01"  # 第二学期开始（次年）
    term2_end: str = "07-15"  # 第二学期结束（次年）

    def check(self) -> None:
        for name in ("term1_start", "term1_end", "term2_start", "term2_end"):
            value = getattr(self, name)
            parts = str(value).split("-")
            _need(len(parts) == 2 and all(p.isdigit() for p in parts)
                  and 1 <= int(parts[0]) <= 12 and 1 <= int(parts[1]) <= 31, f"dates.{name} must be MM-DD")


@dataclass(frozen=True)
class WeightsPolicy(PolicySection):
    """Objective weights in kilometre-equivalents: one unit = one hardship-weighted km of travel."""

    SECTION = "weights"
    unfilled_post: float = 1000.0  # 每个空缺岗位的代价
    non_volunteer: float = 30.0  # 选派非自愿教师的代价（自愿优先）
    recent_rotation: float = 3.0  # 近年交流过的教师再次入选的代价（每近一年）
    fairness_window_years: int = 10  # 计算上式的年限
    drop_previous: float = 2000.0  # 重排时取消或改变原有安排的代价
    add_previous: float = 100.0  # 重排时新增安排的代价
    # A best-effort roster (the policy cannot be met) pays per unit a rule is short, in its own units:
    quota_short: float = 1000.0  # 每少 1 名应交流的教师（10% 比例）
    backbone_short: float = 200.0  # 骨干比例每差 1 名骨干（低于岗位代价：不为比例而空着岗位）
    learn_short: float = 1000.0  # 跟岗下限每少 1 人
    mingzhu_short: float = 500.0  # 明珠学区规则每差 1 人（骨干交流、到乡下、人次）
    excellent_short: float = 500.0  # 对每所帮扶学校每少派 1 名优秀教师
    apprentice_short: float = 100.0  # 名师每少带 1 名徒弟
    pin_dropped: float = 5000.0  # 放弃一条规划人员的指定
    leader_pair_waits: float = 1000.0  # 干部交流：一个结对一个月等待（不交流）
    principal_month_dropped: float = 5000.0  # 校长本学年未安排交流月

    def check(self) -> None:
        values = (self.unfilled_post, self.non_volunteer, self.recent_rotation, self.drop_previous,
                  self.add_previous, self.quota_short, self.backbone_short, self.learn_short, self.mingzhu_short,
                  self.excellent_short, self.apprentice_short, self.pin_dropped, self.leader_pair_waits,
                  self.principal_month_dropped)
        _need(min(values) >= 0, "weights must be ≥ 0")
        _need(self.fairness_window_years >= 0, "weights.fairness_window_years must be ≥ 0")


_SECTIONS: dict[str, type] = {
    "eligibility": EligibilityPolicy, "quota": QuotaPolicy, "learn": LearnPolicy, "mingzhu": MingzhuPolicy,
    "distance": DistancePolicy, "scope": ScopePolicy, "mentoring": MentoringPolicy, "leaders": LeaderPolicy,
    "principals": PrincipalPolicy, "support": SupportPolicy, "part_time": PartTimePolicy, "subsidy": SubsidyPolicy, "dates": DatesPolicy, "weights": WeightsPolicy,
}


@dataclass(frozen=True)
class RotationPolicy(PolicyTables):
    """The whole rotation policy: the tables of policies/rotation.toml."""

    TABLES = _SECTIONS
    KEYS = ("version", "name")
    DEFAULT_PATH = DEFAULT_POLICY_PATH

    version: int = POLICY_FORMAT_VERSION
    name: str = "default"
    eligibility: EligibilityPolicy = field(default_factory=EligibilityPolicy)
    quota: QuotaPolicy = field(default_factory=QuotaPolicy)
    learn: LearnPolicy = field(default_factory=LearnPolicy)
    mingzhu: MingzhuPolicy = field(default_factory=MingzhuPolicy)
    distance: DistancePolicy = field(default_factory=DistancePolicy)
    scope: ScopePolicy = field(default_factory=ScopePolicy)
    mentoring: MentoringPolicy = field(default_factory=MentoringPolicy)
    leaders: LeaderPolicy = field(default_factory=LeaderPolicy)
    principals: PrincipalPolicy = field(default_factory=PrincipalPolicy)
    support: SupportPolicy = field(default_factory=SupportPolicy)
    part_time: PartTimePolicy = field(default_factory=PartTimePolicy)
    subsidy: SubsidyPolicy = field(default_factory=SubsidyPolicy)
    dates: DatesPolicy = field(default_factory=DatesPolicy)
    weights: WeightsPolicy = field(default_factory=WeightsPolicy)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None = None) -> RotationPolicy:
        d = cls.check_tables(d)
        version = d.get("version", POLICY_FORMAT_VERSION)
        if isinstance(version, bool) or version != POLICY_FORMAT_VERSION:
            raise PolicyError(f"rotation policy format version {version!r} is not supported "
                              f"(this program reads version {POLICY_FORMAT_VERSION})",
                              zh=f"不支持政策文件格式版本 version = {version!r}（本程序读取版本 {POLICY_FORMAT_VERSION}）",
                              key="version")
        version = int(version)
        return cls(version=version, name=str(d.get("name", "default")), **cls.tables_from_dict(d))

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "name": self.name, **super().to_dict()}

    def replace(self, **sections: dict[str, Any]) -> RotationPolicy:
        """A copy with some keys changed: `policy.replace(quota={"min_fraction": 0.2})`."""
        d = self.to_dict()
        for name, changes in sections.items():
            if name in ("version", "name"):
                d[name] = changes
                continue
            if name not in _SECTIONS:
                raise PolicyError(f"unknown policy table {name!r}")
            d[name] = {**d[name], **changes}
        return RotationPolicy.from_dict(d)


def load_rotation_policy(path: Path | str | None = None) -> RotationPolicy:
    """The policy of a TOML file; the repository's `policies/rotation.toml` by default."""
    return RotationPolicy.from_toml(path or DEFAULT_POLICY_PATH)
