"""Labels a person reads (中文 by default, English on request), one registry for the whole project.

`label("solver_status", "OPTIMAL", "zh")` → 最优. A code without a label reads as itself, so a new
code shows up untranslated rather than hidden.
"""
from __future__ import annotations

from collections.abc import Mapping

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    # CP-SAT's status names as a planner reads them
    "solver_status": {
        "OPTIMAL": ("最优", "optimal"),
        "FEASIBLE": ("可行（时限内未证明最优）", "feasible (not proven optimal in the time limit)"),
        "INFEASIBLE": ("无可行解", "infeasible"),
        "UNKNOWN": ("时限内未求得方案", "no plan within the time limit"),
        "MODEL_INVALID": ("模型有误", "invalid model"),
    },
    # a planner's outcome in lower case (exam logistics, question setting)
    "plan_status": {
        "optimal": ("最优", "optimal"),
        "feasible": ("可行", "feasible"),
        "relaxed": ("放宽部分规则", "relaxed"),
        "greedy": ("贪心兜底方案", "greedy fallback"),
        "partial": ("部分排出", "partial"),
        "infeasible": ("无可行解", "infeasible"),
        "unknown": ("时限内未求得方案", "no plan within the time limit"),
        "failed": ("未通过独立校验", "failed the independent check"),
    },
    # where the policy in force came from (app.policies)
    "policy_source": {
        "override": ("本次指定的文件", "file given for this run"),
        "cluster": ("学区存储的版本", "the cluster's stored version"),
        "district": ("全区存储的版本", "the district's stored version"),
        "file": ("仓库默认文件", "the repository file"),
        "builtin": ("内置默认值", "built-in defaults"),
    },
}


def label(kind: str, code: str, lang: str = "zh") -> str:
    """The person's word for `code` of `kind` in `lang` (zh or en); the code itself if none is registered."""
    pair = LABELS.get(kind, {}).get(code)
    if pair is None:
        return code
    return pair[0] if lang == "zh" else pair[1]


def labels(kind: str, lang: str = "zh") -> Mapping[str, str]:
    """Every label of `kind` in `lang`."""
    return {code: (zh if lang == "zh" else en) for code, (zh, en) in LABELS.get(kind, {}).items()}
