"""Policy parameters of marking (阅卷): objective scoring, double marking, the queue, progress flags.

Every number is a parameter with a default from DOMAIN.md or the issue; `policies/marking.toml`
holds the same defaults with a note per key in Chinese and English.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from domain.policy import POSITIVE, PolicyError, PolicySection, PolicyTables

DEFAULT_POLICY_PATH = Path(__file__).resolve().parents[1] / "policies" / "marking.toml"
MULTIPLE_CHOICE_RULES = ("partial", "per_option", "all_or_nothing")
ROUNDING_MODES = ("half_up", "up", "down")
THIRD_TIES = ("higher", "lower")
UNARBITRABLE_RULES = ("closest_pair", "wait")


@dataclass(frozen=True)
class ObjectivePolicy(PolicySection):
    """Scoring objective items against the key (客观题自动评分)."""

    SECTION = "objective"

    multiple_choice_rule: str = "partial"  # partial: all right full, some right none wrong partial_share, any wrong 0
    partial_share: float = 0.5  # 部分选对得分占满分的比例 (rule "partial")
    fill_in_case_sensitive: bool = False  # 填空题答案区分大小写
    fill_in_ignore_spaces: bool = True  # 填空题比对时忽略空格

    def check(self) -> None:
        if self.multiple_choice_rule not in MULTIPLE_CHOICE_RULES:
            raise PolicyError(f"objective.multiple_choice_rule must be one of {MULTIPLE_CHOICE_RULES}")
        if not 0 <= self.partial_share <= 1:
            raise PolicyError("objective.partial_share must be in [0, 1]")


@dataclass(frozen=True)
class DoubleMarkingPolicy(PolicySection):
    """Double marking (双评), third marks (三评) and arbitration (仲裁)."""

    SECTION = "double"

    double_share: float = 1.0  # 双评比例: share of scripts marked by two markers (0–1)
    tolerance_share: float = 0.10  # 默认误差 = 满分 × 该比例 (when the paper gives none)
    tolerance_min_steps: int = 1  # 默认误差至少几个给分步长
    rounding: str = "half_up"  # finals to the item's step: half_up (四舍五入), up (就高), down (就低)
    third_tie: str = "higher"  # third mark exactly between the two: mean with the higher (有利于考生) or lower
    leaders_also_mark: bool = False  # 题组长也参加一评二评 (then they cannot arbitrate those scripts)
    # 无人可仲裁（外校教师均已评过该卷）：closest_pair 取最接近两评均分并标记；wait 等待增派题组长
    unarbitrable: str = "closest_pair"

    def check(self) -> None:
        if not 0 <= self.double_share <= 1:
            raise PolicyError("double.double_share must be in [0, 1]")
        if self.tolerance_share < 0 or self.tolerance_min_steps < 0:
            raise PolicyError("double: tolerance_share and tolerance_min_steps must be ≥ 0")
        if self.rounding not in ROUNDING_MODES:
            raise PolicyError(f"double.rounding must be one of {ROUNDING_MODES}")
        if self.third_tie not in THIRD_TIES:
            raise PolicyError(f"double.third_tie must be one of {THIRD_TIES}")
        if self.unarbitrable not in UNARBITRABLE_RULES:
            raise PolicyError(f"double.unarbitrable must be one of {UNARBITRABLE_RULES}")


@dataclass(frozen=True)
class QueuePolicy(PolicySection):
    """The marking queue (阅卷任务队列)."""

    SECTION = "queue"
    RANGES = {"lease_seconds": POSITIVE, "token_days": POSITIVE}  # a lease of 0 s would hand every script back

    lease_seconds: float = 600.0  # 领取后未提交多少秒退回队列
    reclaim_interval_seconds: float = 2.0  # 每个进程多久检查一次过期领取（秒）
    second_mark_lag: int = 64  # 二评比一评晚发多少份答卷（同一份答卷不同时在两位教师手中）
    token_days: float = 7.0  # 阅卷令牌有效天数（自发放起；阅卷期结束后令牌失效）

    def check(self) -> None:
        if self.lease_seconds <= 0 or self.reclaim_interval_seconds < 0 or self.second_mark_lag < 0:
            raise PolicyError("queue: lease_seconds must be > 0, reclaim_interval_seconds and second_mark_lag ≥ 0")
        if self.token_days <= 0:
            raise PolicyError("queue.token_days must be > 0")


@dataclass(frozen=True)
class ProgressPolicy(PolicySection):
    """Flags in the progress report (阅卷进度)."""

    SECTION = "progress"

    min_agreement: float = 0.70  # 与同评教师一致率低于此值的评卷教师标出（疑似不认真）
    min_paired_marks: int = 20  # 至少有这么多双评对比才标出
    max_mean_deviation_share: float = 0.10  # 与同评平均偏差超过满分的该比例也标出（偏严/偏宽）

    def check(self) -> None:
        if not 0 <= self.min_agreement <= 1 or self.min_paired_marks < 0 or self.max_mean_deviation_share < 0:
            raise PolicyError("progress: min_agreement in [0, 1], min_paired_marks and "
                              "max_mean_deviation_share ≥ 0")


SECTIONS = {"objective": ObjectivePolicy, "double": DoubleMarkingPolicy, "queue": QueuePolicy,
            "progress": ProgressPolicy}


@dataclass(frozen=True)
class MarkingPolicy(PolicyTables):
    """The whole area's policy: the four tables of policies/marking.toml."""

    TABLES = SECTIONS
    DEFAULT_PATH = DEFAULT_POLICY_PATH

    objective: ObjectivePolicy = field(default_factory=ObjectivePolicy)
    double: DoubleMarkingPolicy = field(default_factory=DoubleMarkingPolicy)
    queue: QueuePolicy = field(default_factory=QueuePolicy)
    progress: ProgressPolicy = field(default_factory=ProgressPolicy)


def load_policy(path: str | Path | None = None) -> MarkingPolicy:
    """Read a marking policy TOML (the repository's defaults when no path is given)."""
    if path is None:
        return _default_policy()
    return MarkingPolicy.from_toml(path)


@lru_cache(maxsize=1)
def _default_policy() -> MarkingPolicy:
    if DEFAULT_POLICY_PATH.exists():
        return MarkingPolicy.from_toml(DEFAULT_POLICY_PATH)
    return MarkingPolicy()
