"""Labels a person reads (中文 by default, English on request), one registry for the whole project.

`label("solver_status", "OPTIMAL", "zh")` → 最优. A code without a label reads as itself, so a new
code shows up untranslated rather than hidden.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from domain.vocab import LOCALITIES, ROLES, STAGES, SUBJECTS, TIERS


def _from_vocab(words: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """The contract's vocabularies (domain/vocab.py): Chinese as given, English from the code."""
    return {code: (zh, code.replace("_", " ")) for code, zh in words.items()}


LABELS: dict[str, dict[Any, tuple[str, str]]] = {
    "subject": _from_vocab(SUBJECTS),
    "school_stage": _from_vocab(STAGES),
    "locality": _from_vocab(LOCALITIES),
    "tier": _from_vocab(TIERS),
    "staff_role": _from_vocab(ROLES),
    # the exam season's stages (app/stages.py keeps their order)
    "season_stage": {
        "setting": ("命题组卷", "question setting"),
        "approval": ("审题", "paper review"),
        "logistics": ("监考与阅卷安排", "invigilation and marking plans"),
        "ingest": ("答卷导入", "response import"),
        "marking": ("阅卷", "marking"),
        "finalise": ("定分", "final scores"),
        "analysis": ("成绩分析", "analysis"),
    },
    "stage_status": {
        "done": ("完成", "done"), "already-done": ("已完成", "already done"), "waiting": ("等待中", "waiting"),
        "blocked": ("受阻", "blocked"), "failed": ("失败", "failed"), "skipped": ("跳过", "skipped"),
        "pending": ("未开始", "not started"),
    },
    # a mark's kind (阅卷) and where a final score came from
    "mark_kind": {
        "first": ("一评", "first mark"), "second": ("二评", "second mark"), "third": ("三评", "third mark"),
        "arbitration": ("仲裁", "arbitration"), "trial": ("试评", "trial mark"),
        "leader": ("题组长评定", "the group leader's mark"),
    },
    # marking quality control (marking/quality.py): problem scripts, trial marking, checks, alerts
    "problem_reason": {
        "blank": ("空白卷", "blank"), "illegible": ("字迹不清或扫描问题", "illegible or mis-scanned"),
        "off_topic": ("答非所问", "off topic"), "cheating": ("疑似作弊", "suspected cheating"),
        "other": ("其他", "other"),
    },
    "problem_state": {
        "open": ("待处理", "open"), "returned": ("已退回评卷", "returned to marking"),
        "scored": ("题组长已评分", "scored by the leader"), "closed": ("已关闭", "closed"),
    },
    "trial_state": {
        "not_required": ("无需试评", "not required"), "not_started": ("未开始", "not started"),
        "in_progress": ("进行中", "in progress"),
        "passed": ("已通过", "passed"), "failed": ("未通过", "failed"), "waived": ("题组长放行", "let through by the leader"),
    },
    "check_kind": {"trial": ("试评", "trial script"), "recheck": ("回评", "re-mark of one's own script"),
                   "standard": ("标准卷", "standard script")},
    "quality_alert": {
        "agreement": ("一致率低", "low agreement"), "third_rate": ("三评率高", "many third marks"),
        "spread": ("疑似保险分", "safe middle scores"), "mean_deviation": ("偏宽或偏严", "lenient or strict"),
        "self_consistency": ("回评不一致", "inconsistent re-marks"),
        "standard_accuracy": ("标准卷偏差大", "off the standard scripts"), "speed": ("速度过快", "too fast"),
        "trial": ("试评未通过", "failed the trial"),
    },
    "score_source": {
        "single": ("单评", "single marked"), "double": ("双评均分", "mean of two marks"),
        "third": ("三评定分", "settled by a third mark"), "closest": ("无人可仲裁：最接近两评均分", "no arbiter: mean of the closest two"),
        "arbitration": ("仲裁定分", "arbitrated"), "leader": ("题组长评定", "the group leader's mark"),
    },
    # exam logistics
    "duty_role": {
        "chief": ("主监考", "chief invigilator"), "assistant": ("副监考", "assistant invigilator"),
        "reserve": ("备用监考", "reserve invigilator"), "leader": ("题组长", "group leader"),
        "marker": ("阅卷员", "marker"),
    },
    # rotation
    "posting_kind": {
        "teacher": ("教师", "teacher"), "leader": ("中层干部", "leader"), "principal": ("校长", "principal"),
        "part_time": ("跨校兼课", "part-time at a partner school"),
    },
    "direction": {"support": ("支教", "support"), "learn": ("跟岗", "learn")},
    "weekday": {1: ("星期一", "Monday"), 2: ("星期二", "Tuesday"), 3: ("星期三", "Wednesday"),
                4: ("星期四", "Thursday"), 5: ("星期五", "Friday")},
    # how an invigilation plan goes beyond the policy (relaxation tiers)
    "invigilation_tier": {
        "distance": ("延长距离", "longer distance"),
        "own_school_assistant": ("本校副监考", "own-school assistant"),
        "shared_reserve": ("同镇共用备用监考", "reserves shared in a town"),
        "extra_session": ("同日加场", "extra session that day"),
        "quota": ("名额容差", "quota tolerance"),
        "unstaffed": ("空缺", "unstaffed place"),
    },
    # how a best-effort marking group goes beyond the policy
    "marking_relaxation": {
        "adjacent_grade": ("相邻年级教师", "markers of adjacent grades"),
        "acting_leader": ("代任题组长", "acting leaders"),
        "longer_window": ("延长阅卷时间", "longer marking window"),
        "short": ("人数不足", "markers short"),
        "leader_short": ("题组长空缺", "leader places unfilled"),
        "own_school": ("回避本校不足", "own-school exclusion short"),
        "quota": ("超出派出名额", "outside the school quota"),
        "own_school_distinct": ("其中不足两名外校阅卷教师", "of which below two markers of other schools"),
    },
    # question setting
    "exam_kind": {"unit": ("单元检测", "unit test"), "midterm": ("期中", "midterm"), "final": ("期末", "final"),
                  "feedback": ("反馈考试", "feedback exam")},
    "setter_kind": {"teacher": ("骨干教师", "backbone teacher"), "researcher": ("教研员", "researcher")},
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
    # enrollment (admission/): how a family was admitted, what a school's round came to, how a school admits
    "admission_round": {
        "1": ("第一志愿录取", "1st choice"), "2": ("第二志愿录取", "2nd choice"), "3": ("第三志愿录取", "3rd choice"),
        "lottery": ("电脑随机派位录取", "computer lottery"), "pool": ("全区统筹调剂", "district pool"),
    },
    "admission_outcome": {
        "all": ("全部录取", "all admitted"), "points": ("按积分录取", "by points"),
        "lottery": ("电脑随机派位", "computer lottery"), "full": ("已无剩余学位", "no seat left"),
    },
    "admission_mode": {"points": ("积分", "points"), "lottery": ("电脑随机派位", "computer lottery")},
    "enrollment_status": {
        "uploaded": ("已上传，待公布承诺值", "uploaded, commitment not yet published"),
        "committed": ("已公布承诺值，待派位", "commitment published, draw pending"),
        "drawn": ("已录取", "admitted"),
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


def label(kind: str, code: Any, lang: str = "zh") -> str:
    """The person's word for `code` of `kind` in `lang` (zh or en); the code itself if none is registered."""
    pair = LABELS.get(kind, {}).get(code)
    if pair is None:
        return str(code)
    return pair[0] if lang == "zh" else pair[1]


def labels(kind: str, lang: str = "zh") -> dict[Any, str]:
    """Every label of `kind` in `lang`."""
    return {code: (zh if lang == "zh" else en) for code, (zh, en) in LABELS.get(kind, {}).items()}


def questions_label(positions: Sequence[int], lang: str = "zh") -> str:
    """第25–26题 for consecutive question numbers, 第5、7题 otherwise (Q25–26, Q5, Q7 in English)."""
    numbers = sorted(set(int(p) for p in positions))
    if not numbers:
        return ""
    consecutive = len(numbers) > 1 and numbers[-1] - numbers[0] == len(numbers) - 1
    if lang == "zh":
        body = f"{numbers[0]}–{numbers[-1]}" if consecutive else "、".join(str(n) for n in numbers)
        return f"第{body}题"
    return f"Q{numbers[0]}–{numbers[-1]}" if consecutive else ", ".join(f"Q{n}" for n in numbers)


def item_group_label(subject: str, positions: Sequence[int], lang: str = "zh") -> str:
    """A marking item group as a marker reads it: 物理 第25–26题 (Physics Q25–26)."""
    questions = questions_label(positions, lang)
    name = label("subject", subject, lang)
    if lang != "zh":
        name = name[:1].upper() + name[1:]
    return f"{name} {questions}".strip()
