"""Policy parameters of question setting (统一命题): blueprint defaults, paper assembly, setting team.

Every number is a parameter with a default from DOMAIN.md or the issue; `policies/question_setting.toml`
holds the same defaults with a note per key in Chinese and English.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from domain.policy import POSITIVE, UNIT, PolicyError, PolicySection, PolicyTables, Range
from domain.vocab import COGNITIVE_LEVELS, ITEM_TYPES

EXAM_KINDS = ("unit", "midterm", "final", "feedback")  # bundle.spec EXAMS.kind
# Rules a best-effort setting team may break, in the order a research office gives them up (first: the
# cheapest): an experienced non-backbone teacher stands in for a backbone one; someone sets a paper beyond
# the yearly cap; a school sends more than max_per_school; fewer schools than min_schools; a team smaller
# than team_size_min; last, a non-backbone teacher below experienced_years.
SETTING_RELAXATIONS = ("experienced", "yearly_cap", "per_school", "schools", "team_size", "junior")
DEFAULT_POLICY_PATH = Path(__file__).resolve().parents[2] / "policies" / "question_setting.toml"


def _share_check(shares: dict[str, float], known, what: str) -> None:
    unknown = sorted(set(shares) - set(known))
    if unknown:
        raise PolicyError(f"{what}: unknown keys {unknown}; known: {list(known)}")
    if any(v < 0 for v in shares.values()) or abs(sum(shares.values()) - 1.0) > 1e-6:
        raise PolicyError(f"{what}: shares must be ≥ 0 and sum to 1, got {shares}")


@dataclass(frozen=True)
class BlueprintPolicy(PolicySection):
    """How `default_blueprint` proposes a 双向细目表."""

    SECTION = "blueprint"
    RANGES = {"total": POSITIVE, "allowed_totals": POSITIVE}

    total: float = 100  # 默认总分
    allowed_totals: tuple[float, ...] = (100, 120, 150)  # 允许的试卷总分
    choice_share: float = 0.35  # 选择题（单选+多选）分值占比, issue: 30–40%
    fill_in_share: float = 0.175  # 填空题分值占比, issue: 15–20%; subjective items get the rest
    level_shares: dict[str, float] = field(default_factory=lambda: {
        "remember": 0.20, "understand": 0.30, "apply": 0.35, "analyse": 0.15})  # 识记/理解/应用/分析综合
    area_weighting: str = "bank_items"  # bank_items: areas weighted by their share of bank items; equal
    difficulty_weight: float = 1.0  # pull the proposal's mean difficulty toward the assembly band

    def check(self) -> None:
        if not (0 <= self.choice_share <= 1 and 0 <= self.fill_in_share <= 1
                and self.choice_share + self.fill_in_share <= 1):
            raise PolicyError("blueprint: choice_share and fill_in_share must be in [0, 1] and sum to ≤ 1")
        _share_check(self.level_shares, COGNITIVE_LEVELS, "blueprint.level_shares")
        if self.area_weighting not in ("bank_items", "equal"):
            raise PolicyError("blueprint.area_weighting must be 'bank_items' or 'equal'")
        if self.total <= 0 or any(t <= 0 for t in self.allowed_totals):
            raise PolicyError("blueprint: totals must be positive")


@dataclass(frozen=True)
class AssemblyPolicy(PolicySection):
    """Rules of automated paper assembly (组卷)."""

    SECTION = "assembly"
    RANGES = {"difficulty_min": UNIT, "difficulty_max": UNIT, "difficulty_target": UNIT,
              "recent_exams_excluded": Range(-1.0), "default_score_step": POSITIVE}  # -1: any earlier use

    difficulty_min: float = 0.60  # 平均难度系数（得分率，按分值加权）下限
    difficulty_max: float = 0.75  # 平均难度系数上限
    difficulty_target: float | None = None  # 目标难度; None: the middle of the band
    recent_exams_excluded: int = 4  # 同一届学生最近 N 次考试用过的题不再用; 0 off, -1 any earlier use
    form_difficulty_tolerance: float = 0.02  # A/B 卷平均难度之差上限
    double_marking_share: float = 0.10  # 双评误差 = 满分 × 该比例（至少一个给分步长）
    double_marked_types: tuple[str, ...] = ("subjective",)  # 需要双评的题型
    default_score_step: float = 1.0  # 题库未给步长时的给分步长（单选题整题给分）
    change_weight: float = 1000.0  # 换题时每改动一题的代价（最少改动）
    difficulty_weight: float = 1.0  # 偏离目标难度的代价（每 0.001 × 总分）
    exposure_weight: float = 1.0  # 题目历史使用次数的代价（多用新题、少用旧题）
    objective_gap: float = 0.001  # 求解器在与最优界相差不超过该平均难度时停止

    def check(self) -> None:
        if not 0 <= self.difficulty_min <= self.difficulty_max <= 1:
            raise PolicyError("assembly: need 0 ≤ difficulty_min ≤ difficulty_max ≤ 1")
        if self.difficulty_target is not None and not 0 <= self.difficulty_target <= 1:
            raise PolicyError("assembly.difficulty_target must be in [0, 1]")
        if self.recent_exams_excluded < -1:
            raise PolicyError("assembly.recent_exams_excluded must be ≥ -1")
        if self.form_difficulty_tolerance < 0 or not 0 <= self.double_marking_share <= 1:
            raise PolicyError("assembly: tolerances must be ≥ 0 (double_marking_share ≤ 1)")
        unknown = sorted(set(self.double_marked_types) - set(ITEM_TYPES))
        if unknown:
            raise PolicyError(f"assembly.double_marked_types: unknown item types {unknown}")
        if self.default_score_step <= 0:
            raise PolicyError("assembly.default_score_step must be > 0")
        if min(self.change_weight, self.difficulty_weight, self.exposure_weight, self.objective_gap) < 0:
            raise PolicyError("assembly: weights must be ≥ 0")

    @property
    def target(self) -> float:
        if self.difficulty_target is not None:
            return self.difficulty_target
        return (self.difficulty_min + self.difficulty_max) / 2


@dataclass(frozen=True)
class SettingTeamPolicy(PolicySection):
    """Who sets the paper (命题组): DOMAIN.md 'unified questions' (003 part 2)."""

    SECTION = "setting_team"
    RANGES = {"team_size_min": POSITIVE, "team_size_max": POSITIVE, "team_size_target": POSITIVE,
              "min_schools": POSITIVE, "max_per_school": POSITIVE}

    team_size_min: int = 3  # 命题组最少人数
    team_size_max: int = 5  # 命题组最多人数
    team_size_target: int = 4  # 命题组理想人数
    min_schools: int = 2  # 骨干教师至少来自几所学校
    max_per_school: int = 2  # 同一学校最多几名教师
    min_researchers: dict[str, int] = field(default_factory=lambda: {
        "unit": 0, "midterm": 1, "final": 1, "feedback": 0})  # 各类考试至少几名教研员（0：不请教研员）
    max_researchers: int = 2  # 教研员最多几名
    backbone_only: bool = True  # 只选骨干教师
    max_settings_per_year: int = 4  # 一学年内每人最多命题次数; 0 off
    repeat_weight: float = 10.0  # 本学年已命题一次的代价（按次数平方递增）
    consecutive_weight: float = 20.0  # 上一次考试刚命过题的代价
    school_history_weight: float = 2.0  # 学校本学年已承担命题次数的代价（校际均衡）
    school_balance_weight: float = 4.0  # 单校人数最多值的代价
    size_weight: float = 5.0  # 偏离理想人数的代价（每人）
    grade_match_weight: float = 3.0  # 任教本年级的奖励
    best_effort: bool = True  # 严格规则无法满足时仍组成最接近的命题组，并逐项说明缺口
    experienced_years: int = 10  # 教龄不少于该年数的非骨干教师可在缺骨干时顶替（第一级放宽）
    relaxation_order: tuple[str, ...] = SETTING_RELAXATIONS  # 放宽的先后顺序（靠前的先用）

    def check(self) -> None:
        if not 1 <= self.team_size_min <= self.team_size_target <= self.team_size_max:
            raise PolicyError("setting_team: need 1 ≤ team_size_min ≤ team_size_target ≤ team_size_max")
        if self.min_schools < 1 or self.max_per_school < 1 or self.max_researchers < 0:
            raise PolicyError("setting_team: min_schools, max_per_school ≥ 1 and max_researchers ≥ 0")
        unknown = sorted(set(self.min_researchers) - set(EXAM_KINDS))
        if unknown or any(v < 0 for v in self.min_researchers.values()):
            raise PolicyError(f"setting_team.min_researchers: keys from {EXAM_KINDS}, values ≥ 0")
        if self.max_settings_per_year < 0:
            raise PolicyError("setting_team.max_settings_per_year must be ≥ 0")
        weights = (self.repeat_weight, self.consecutive_weight, self.school_history_weight,
                   self.school_balance_weight, self.size_weight, self.grade_match_weight)
        if min(weights) < 0:
            raise PolicyError("setting_team: weights must be ≥ 0")
        if sorted(self.relaxation_order) != sorted(SETTING_RELAXATIONS):
            raise PolicyError(f"setting_team.relaxation_order must list each of {list(SETTING_RELAXATIONS)} once, "
                              f"got {list(self.relaxation_order)}",
                              zh=f"setting_team.relaxation_order 须把 {list(SETTING_RELAXATIONS)} 各列一次",
                              table="setting_team", key="relaxation_order")

    def researchers_needed(self, exam_kind: str) -> int:
        return int(self.min_researchers.get(exam_kind, 0))


@dataclass(frozen=True)
class QuestionSettingPolicy(PolicyTables):
    """The whole area's policy: the three tables of policies/question_setting.toml."""

    TABLES = {"blueprint": BlueprintPolicy, "assembly": AssemblyPolicy, "setting_team": SettingTeamPolicy}
    DEFAULT_PATH = DEFAULT_POLICY_PATH

    blueprint: BlueprintPolicy = field(default_factory=BlueprintPolicy)
    assembly: AssemblyPolicy = field(default_factory=AssemblyPolicy)
    setting_team: SettingTeamPolicy = field(default_factory=SettingTeamPolicy)


def load_policy(path: str | Path | None = None) -> QuestionSettingPolicy:
    """Read a question-setting policy TOML (the repository's defaults when no path is given)."""
    return QuestionSettingPolicy.from_toml(path or DEFAULT_POLICY_PATH)
