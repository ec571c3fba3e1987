"""The cluster's activity-calendar policy (学区活动日历政策): every quota, cap and weight is a key here.

Defaults come from DOMAIN.md (001, 003): a joint lesson preparation (集体备课) per subject a month
(南关区: 每个学科每月至少一次), the monthly 同研一节课 (003), at least 3 research activities (教研) and
3 trainings (培训) per subject a term (003), 2 same-grade same-subject preparations a term between a
quality school and each school it supports and a demonstration lesson (示范课) per subject per term
by one of its excellent teachers at each of them (001), a famous teacher's (名师) 3 demonstration
lessons a year at the paired school (003). `policies/calendar.toml` holds the same defaults with a
note per key in Chinese and English; `app.policies` resolves the one in force (area "calendar").
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from domain.policy import POSITIVE, PolicyError, PolicySection, PolicyTables
from domain.vocab import TIERS

DEFAULT_POLICY_PATH = Path(__file__).resolve().parents[2] / "policies" / "calendar.toml"
HALVES = ("am", "pm")
PRESENTER_KINDS = ("backbone", "famous", "teacher")


def _need(condition: bool, message: str, key: str | None = None) -> None:
    if not condition:
        raise PolicyError(message, key=key)


def _month_day(value: str) -> tuple[int, int]:
    parts = str(value).split("-")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or not (1 <= int(parts[0]) <= 12
                                                                       and 1 <= int(parts[1]) <= 31):
        raise PolicyError(f"{value!r} must be MM-DD")
    return int(parts[0]), int(parts[1])


def _clock(value: str) -> int:
    """Minutes after midnight of an HH:MM time."""
    parts = str(value).split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or not (0 <= int(parts[0]) <= 23
                                                                       and 0 <= int(parts[1]) <= 59):
        raise PolicyError(f"{value!r} must be HH:MM")
    return int(parts[0]) * 60 + int(parts[1])


@dataclass(frozen=True)
class TermPolicy(PolicySection):
    """The term's teaching days: dates (the database's term dates win when set) and holidays."""

    SECTION = "term"
    term1_start: str = "09-01"  # 第一学期开始
    term1_end: str = "01-20"  # 第一学期结束（次年）
    term2_start: str = "02-25"  # 第二学期开始（次年）
    term2_end: str = "07-10"  # 第二学期结束（次年）
    holidays: tuple[str, ...] = ("10-01..10-07", "01-01", "04-04..04-06", "05-01..05-05")  # 节假日（MM-DD 或 MM-DD..MM-DD）

    def check(self) -> None:
        for name in ("term1_start", "term1_end", "term2_start", "term2_end"):
            _month_day(getattr(self, name))
        for item in self.holidays:
            for part in str(item).split(".."):
                _month_day(part)


@dataclass(frozen=True)
class TimePolicy(PolicySection):
    """The time grid: half days (上午、下午); an activity takes one half day unless its table says two."""

    SECTION = "time"
    halves: tuple[str, ...] = ("am", "pm")  # 可安排的半天：am 上午、pm 下午
    am_start: str = "08:30"
    am_end: str = "11:30"
    pm_start: str = "14:30"
    pm_end: str = "17:00"
    weekdays: tuple[int, ...] = (1, 2, 3, 4, 5)  # 可安排活动的星期（1 星期一 … 5 星期五）

    def check(self) -> None:
        _need(bool(self.halves) and set(self.halves) <= set(HALVES), "time.halves must be among am, pm", "halves")
        _need(len(set(self.halves)) == len(self.halves), "time.halves: each half once", "halves")
        _need(_clock(self.am_start) < _clock(self.am_end) <= _clock(self.pm_start) < _clock(self.pm_end),
              "time: need am_start < am_end ≤ pm_start < pm_end")
        _need(bool(self.weekdays) and set(self.weekdays) <= {1, 2, 3, 4, 5}, "time.weekdays must be among 1–5",
              "weekdays")

    def span(self, half: str) -> tuple[str, str]:
        """Start and end (HH:MM) of a half day, or of the whole day ("day")."""
        if half == "am":
            return self.am_start, self.am_end
        if half == "pm":
            return self.pm_start, self.pm_end
        return self.am_start, self.pm_end


@dataclass(frozen=True)
class LimitsPolicy(PolicySection):
    """Caps that protect teaching time (每人每周活动上限)."""

    SECTION = "limits"
    RANGES = {"max_per_teacher_per_week": POSITIVE}
    max_per_teacher_per_week: int = 2  # 每名教师每周最多参加的学区活动次数

    def check(self) -> None:
        _need(1 <= self.max_per_teacher_per_week <= 10, "limits.max_per_teacher_per_week must be 1–10",
              "max_per_teacher_per_week")


@dataclass(frozen=True)
class GroupsPolicy(PolicySection):
    """Subject groups (学科组): a subject's teachers of one stage band across the cluster."""

    SECTION = "groups"
    RANGES = {"min_teachers": POSITIVE, "min_schools": POSITIVE}
    min_teachers: int = 3  # 学科组至少几名教师才开展学区活动
    min_schools: int = 2  # 学科组至少来自几所学校


@dataclass(frozen=True)
class MonthlyPolicy(PolicySection):
    """An activity every month for every subject group (集体备课, 同研一节课)."""

    SECTION = "lesson_prep"
    per_month: int = 1  # 每个学科组每月至少几次
    half_days: int = 1  # 每次占几个半天（1 或 2）
    venue: str = "hall"  # 需要的场地类别（facilities.csv 的 kind；空：不需要）
    min_days_in_month: int = 8  # 学期内教学日少于该天数的月份不排

    def check(self) -> None:
        _need(self.half_days in (1, 2), f"{self.SECTION}.half_days must be 1 or 2", "half_days")


@dataclass(frozen=True)
class SameLessonPolicy(MonthlyPolicy):
    """同研一节课 (003): every month a topic (课题) per subject group, one lesson studied together."""

    SECTION = "same_lesson"


@dataclass(frozen=True)
class TermQuotaPolicy(PolicySection):
    """A count per subject group a term (教研活动)."""

    SECTION = "research"
    per_term: int = 3  # 每个学科组每学期至少几次
    half_days: int = 1  # 每次占几个半天（1 或 2）
    venue: str = "hall"  # 需要的场地类别（空：不需要）
    spread: bool = True  # 第 k 次排在学期的第 k 段（均匀分布）；false：整个学期任选

    def check(self) -> None:
        _need(self.half_days in (1, 2), f"{self.SECTION}.half_days must be 1 or 2", "half_days")


@dataclass(frozen=True)
class TrainingPolicy(TermQuotaPolicy):
    """培训 (003: 各学科每学期开展教师培训活动不少于3次)."""

    SECTION = "training"


@dataclass(frozen=True)
class SameGradePrepPolicy(PolicySection):
    """同年级同学科备课 (001): a quality school and each school it supports, twice a term."""

    SECTION = "same_grade_prep"
    per_pair_per_term: int = 2  # 优质学校与每所帮扶学校每学期至少几次
    venue: str = ""  # 需要的场地类别（空：不需要）
    spread: bool = True


@dataclass(frozen=True)
class DemoLessonPolicy(PolicySection):
    """示范课 (001): every subject, every term, an excellent teacher of the quality school at each supported school."""

    SECTION = "demo_lesson"
    RANGES = {"max_per_presenter": POSITIVE}
    per_subject_per_term: int = 1  # 每所帮扶学校每个学科每学期至少几节
    presenters: tuple[str, ...] = ("backbone", "famous")  # 谁可以上示范课：backbone 骨干、famous 名师、teacher 任何教师
    presenter_scope: str = "supporter"  # supporter 只由优质学校（帮扶方）教师上；cluster 学区内任何其他学校
    max_per_presenter: int = 3  # 每名教师每学期最多上几节示范课
    supporter_tiers: tuple[str, ...] = ("quality",)  # 承担帮扶的学校（办学水平）

    def check(self) -> None:
        _need(set(self.presenters) <= set(PRESENTER_KINDS) and bool(self.presenters),
              f"demo_lesson.presenters must be among {list(PRESENTER_KINDS)}", "presenters")
        _need(self.presenter_scope in ("supporter", "cluster"),
              "demo_lesson.presenter_scope must be 'supporter' or 'cluster'", "presenter_scope")
        _need(set(self.supporter_tiers) <= set(TIERS), f"demo_lesson.supporter_tiers must be among {list(TIERS)}",
              "supporter_tiers")


@dataclass(frozen=True)
class FamousLessonPolicy(PolicySection):
    """名师示范课 (003): a famous teacher gives at least 3 demonstration lessons a year at the paired school."""

    SECTION = "famous_lesson"
    per_year: int = 3  # 每学年至少几节；按学期排时取一半，向上取整
    paired: str = "partners"  # partners 结对学校（学区长学校与成员校互为结对）；cluster 学区内任何其他学校
    spread: bool = True

    def check(self) -> None:
        _need(self.paired in ("partners", "cluster"), "famous_lesson.paired must be 'partners' or 'cluster'", "paired")

    def per_term(self, term: int) -> int:
        return math.ceil(self.per_year / 2)


@dataclass(frozen=True)
class HostsPolicy(PolicySection):
    """Who hosts (承办): schools rotate; a school with a venue too small cannot host a large group."""

    SECTION = "hosts"
    pairing: str = "lead_member"  # 结对方式：lead_member 学区长学校与每所成员校；all_pairs 两两结对
    rotate: bool = True  # 学科组的活动在各校轮流承办
    slack: int = 0  # 轮流承办时，每校承办某学科组活动次数可超出平均数（向上取整）几次

    def check(self) -> None:
        _need(self.pairing in ("lead_member", "all_pairs"), "hosts.pairing must be 'lead_member' or 'all_pairs'",
              "pairing")


@dataclass(frozen=True)
class FacilitiesPolicy(PolicySection):
    """Shared facilities (共享设施, 001): each school's term plan of use, booked in the same calendar."""

    SECTION = "facilities"
    RANGES = {"max_km": POSITIVE}
    max_km: float = 30.0  # 班级到其他学校使用设施的最远距离（公里）
    require_venue: bool = True  # 有设施数据时，活动须在承办学校容量足够的场地举行


@dataclass(frozen=True)
class WeightsPolicy(PolicySection):
    """Objective weights; one unit = one kilometre a person travels."""

    SECTION = "weights"
    activity_short: float = 1000.0  # 每少排一次规定活动的代价
    booking_short: float = 300.0  # 设施使用计划每周少排一次的代价
    pin_dropped: float = 5000.0  # 放弃一条指定（日期或承办学校）
    host_imbalance: float = 40.0  # 某校承办超出轮流份额每次的代价
    travel_km: float = 1.0  # 每人每公里（往返）路程的代价
    same_week: float = 20.0  # 同一学科组一周内第二次活动的代价
    morning: float = 5.0  # 排在上午（下午优先）的代价
    moved: float = 100.0  # 重排时改动原有安排的代价
    facility_km: float = 2.0  # 班级外出使用设施每公里的代价


_SECTIONS: dict[str, type] = {
    "term": TermPolicy, "time": TimePolicy, "limits": LimitsPolicy, "groups": GroupsPolicy,
    "lesson_prep": MonthlyPolicy, "same_lesson": SameLessonPolicy, "research": TermQuotaPolicy,
    "training": TrainingPolicy, "same_grade_prep": SameGradePrepPolicy, "demo_lesson": DemoLessonPolicy,
    "famous_lesson": FamousLessonPolicy, "hosts": HostsPolicy, "facilities": FacilitiesPolicy,
    "weights": WeightsPolicy,
}


@dataclass(frozen=True)
class CalendarPolicy(PolicyTables):
    """The whole calendar policy: the tables of policies/calendar.toml."""

    TABLES = _SECTIONS
    DEFAULT_PATH = DEFAULT_POLICY_PATH

    term: TermPolicy = field(default_factory=TermPolicy)
    time: TimePolicy = field(default_factory=TimePolicy)
    limits: LimitsPolicy = field(default_factory=LimitsPolicy)
    groups: GroupsPolicy = field(default_factory=GroupsPolicy)
    lesson_prep: MonthlyPolicy = field(default_factory=MonthlyPolicy)
    same_lesson: SameLessonPolicy = field(default_factory=SameLessonPolicy)
    research: TermQuotaPolicy = field(default_factory=TermQuotaPolicy)
    training: TrainingPolicy = field(default_factory=TrainingPolicy)
    same_grade_prep: SameGradePrepPolicy = field(default_factory=SameGradePrepPolicy)
    demo_lesson: DemoLessonPolicy = field(default_factory=DemoLessonPolicy)
    famous_lesson: FamousLessonPolicy = field(default_factory=FamousLessonPolicy)
    hosts: HostsPolicy = field(default_factory=HostsPolicy)
    facilities: FacilitiesPolicy = field(default_factory=FacilitiesPolicy)
    weights: WeightsPolicy = field(default_factory=WeightsPolicy)

    def replace(self, **sections: dict) -> CalendarPolicy:
        """A copy with some keys changed: `policy.replace(limits={"max_per_teacher_per_week": 3})`."""
        d = self.to_dict()
        for name, changes in sections.items():
            if name not in _SECTIONS:
                raise PolicyError(f"unknown policy table {name!r}")
            d[name] = {**d[name], **changes}
        return CalendarPolicy.from_dict(d)


def load_calendar_policy(path: Path | str | None = None) -> CalendarPolicy:
    """The policy of a TOML file; the repository's `policies/calendar.toml` by default."""
    return CalendarPolicy.from_toml(path or DEFAULT_POLICY_PATH)
