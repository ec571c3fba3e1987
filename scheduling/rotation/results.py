"""Plain typed results of the rotation roster: the plan, its shortfalls and explanations."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

# one explanation type for every planner, re-exported here
from ..cpsat import Explanation


@dataclass(frozen=True)
class Posting:
    """One teacher's exchange posting (交流任职) to fill a post of their subject and grade."""

    teacher_id: str
    from_school_id: str
    to_school_id: str
    subject: str
    grade: int  # the grade of the post filled at the host school
    direction: str  # support (支教) or learn (跟岗)
    start: dt.date
    end: dt.date
    backbone: bool  # counts as backbone (骨干) under the policy: backbone, or famous when famous_counts_as_backbone
    famous: bool
    volunteer: bool
    distance_km: float  # home (or school) to the host school
    subsidy_yuan_per_month: int


@dataclass(frozen=True)
class PartTimePosting:
    """跨校兼课 (001): a teacher keeps their own post and teaches some hours a week at a partner school.
    Not a rotation: it counts toward no quota and fills no post, it covers one a rotation left empty."""

    teacher_id: str
    from_school_id: str
    to_school_id: str
    subject: str
    grade: int
    direction: str  # support or learn, by the two schools' standing
    start: dt.date
    end: dt.date
    hours_per_week: int
    backbone: bool
    distance_km: float
    subsidy_yuan_per_month: int


@dataclass(frozen=True)
class MentorPair:
    """师徒结对: a rotating backbone or famous teacher and a young teacher of the host school."""

    mentor_id: str
    apprentice_id: str
    school_id: str  # the host school, where the apprentice teaches
    subject: str


@dataclass(frozen=True)
class LeaderExchange:
    """A leader (中层干部) spends one weekday a week of one month at the partner school."""

    teacher_id: str
    from_school_id: str
    to_school_id: str
    month: int  # 1–12
    start: dt.date
    end: dt.date
    weekday: int  # 1 Monday … 5 Friday
    distance_km: float
    subsidy_yuan_per_month: int
    direction: str = "support"  # support or learn, by the two schools' strength
    backbone: bool = False


@dataclass(frozen=True)
class PrincipalMonth:
    """A principal's exchange month at the partner school (校长每年交流一个月)."""

    teacher_id: str
    from_school_id: str
    to_school_id: str
    month: int
    start: dt.date
    end: dt.date
    distance_km: float
    subsidy_yuan_per_month: int
    direction: str = "support"
    backbone: bool = False


@dataclass(frozen=True)
class RotationPlan:
    school_year: int
    term: int | None
    postings: tuple[Posting, ...] = ()
    mentoring: tuple[MentorPair, ...] = ()
    leader_exchanges: tuple[LeaderExchange, ...] = ()
    principal_months: tuple[PrincipalMonth, ...] = ()
    part_time: tuple[PartTimePosting, ...] = ()  # 跨校兼课, not rotations

    def posting_of(self, teacher_id: str) -> Posting | None:
        index = self.__dict__.get("_posting_index")
        if index is None:
            index = {p.teacher_id: p for p in self.postings}
            object.__setattr__(self, "_posting_index", index)
        return index.get(teacher_id)


@dataclass(frozen=True)
class Shortfall:
    """Posts of a need left unfilled, with the reason found by counting candidates."""

    school_id: str
    subject: str
    grade: int
    posts: int
    filled: int
    reason_code: str  # no_teacher, none_eligible, wrong_direction, too_far, mentoring, taken
    numbers: dict[str, Any]
    message_zh: str
    message_en: str

    @property
    def unfilled(self) -> int:
        return self.posts - self.filled

    def message(self, lang: str = "zh") -> str:
        return self.message_zh if lang == "zh" else self.message_en


@dataclass(frozen=True)
class RotationResult:
    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN, MODEL_INVALID
    plan: RotationPlan
    objective: float | None = None  # in km-equivalents (policy weights)
    bound: float | None = None  # the solver's proven bound on the objective
    shortfalls: tuple[Shortfall, ...] = ()
    explanations: tuple[Explanation, ...] = ()  # why the policy cannot be met (status INFEASIBLE)
    changed: int | None = None  # teachers whose assignment differs from the previous plan
    solve_seconds: float = 0.0
    num_workers: int = 1
    lang: str = "zh"
    stats: dict[str, Any] = field(default_factory=dict)
    relaxed: bool = False  # the plan is best-effort: it breaks the rules named in stats["broken"]

    @property
    def feasible(self) -> bool:
        return self.status in ("OPTIMAL", "FEASIBLE")

    @property
    def gap(self) -> float | None:
        """Relative distance of the objective to the proven bound (0 for a proven optimum)."""
        if self.objective is None or self.bound is None:
            return None
        return abs(self.objective - self.bound) / max(abs(self.objective), 1e-9)

    def messages(self, lang: str | None = None) -> list[str]:
        lang = lang or self.lang
        return [e.text(lang) for e in self.explanations]
