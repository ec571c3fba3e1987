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
    },
    # marking quality control: problem scripts (问题卷) and trial marking (试评); the same words as mkqc's
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
    "score_source": {
        "single": ("单评", "single marked"), "double": ("双评均分", "mean of two marks"),
        "third": ("三评定分", "settled by a third mark"), "closest": ("无人可仲裁：最接近两评均分", "no arbiter: mean of the closest two"),
        "arbitration": ("仲裁定分", "arbitrated"),
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
    # the cluster's activity calendar (scheduling/calendar)
    "activity_kind": {
        "joint_meeting": ("联席会议", "joint meeting"), "teaching_meeting": ("教学会议", "teaching meeting"),
        "lesson_prep": ("集体备课", "joint lesson preparation"), "same_lesson": ("同研一节课", "one lesson studied together"),
        "research": ("教研活动", "research activity"), "training": ("培训", "training"),
        "demo_lesson": ("示范课", "demonstration lesson"), "famous_lesson": ("名师示范课", "famous teacher's lesson"),
        "facility_use": ("设施使用", "facility use"),
    },
    "activity_rule": {
        "lesson_prep": ("每月集体备课", "monthly joint lesson preparation"),
        "same_lesson": ("每月同研一节课", "monthly lesson studied together"),
        "research": ("每学期教研活动", "research activities a term"), "training": ("每学期培训", "trainings a term"),
        "same_grade_prep": ("同年级同学科备课", "same-grade same-subject preparation"),
        "demo_lesson": ("帮扶学校示范课", "demonstration lessons at supported schools"),
        "famous_lesson": ("名师示范课", "famous teachers' lessons"),
    },
    "activity_status": {"planned": ("计划", "planned"), "held": ("已开展", "held"), "cancelled": ("已取消", "cancelled")},
    "half_day": {"am": ("上午", "morning"), "pm": ("下午", "afternoon"), "day": ("全天", "all day")},
    "stage_band": {"primary": ("小学", "primary"), "junior": ("初中", "junior"), "high": ("高中", "senior high")},
    "facility_kind": {"lab": ("实验室", "lab"), "gym": ("体育馆", "gym"), "library": ("图书馆", "library"),
                      "hall": ("报告厅", "hall")},
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
        "GREEDY": ("逐项排定的可行方案（时限内求解器未给出方案）", "greedy plan (no solver plan within the time limit)"),
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
    # the cluster office's meetings and the attainment ledger (cluster_office/)
    "meeting_kind": {
        "principals": ("校长联席会议", "principals' joint meeting"),
        "teaching": ("教学工作例会", "teaching meeting"),
        "monthly": ("学区管理例会", "monthly management meeting"),
    },
    "meeting_status": {"planned": ("待召开", "planned"), "held": ("已召开", "held")},
    "decision_status": {"open": ("进行中", "open"), "done": ("已完成", "done"), "late": ("逾期", "late")},
    "ledger_rule": {
        "rotation_quota": ("教师交流不低于符合条件教师的 10%", "≥ 10% of eligible teachers rotated"),
        "backbone_share": ("骨干教师不低于交流人数的 20%", "backbone ≥ 20% of those rotated"),
        "person_times": ("教师每学年交流至少 8 人次", "teachers exchanged ≥ 8 person-times a year"),
        "excellent_teachers_sent": ("优质学校每学年派 4 名以上优秀教师", "≥ 4 excellent teachers a year from the quality school"),
        "mentoring": ("每位交流优秀教师带一名徒弟", "each exchanged excellent teacher takes an apprentice"),
        "leader_months": ("结对学校每月交流 2 名干部", "2 leaders exchanged per pair per month"),
        "leader_observations": ("交流干部听课至少两节", "each exchanged leader observes ≥ 2 lessons"),
        "demo_lessons": ("每学期每学科至少一节示范课", "a demonstration lesson per subject per term"),
        "joint_lesson_prep": ("每学期两次以上同年级同学科集体备课", "≥ 2 joint lesson-prep sessions a term"),
        "trainings": ("各学科每学期培训不少于 3 次", "≥ 3 trainings per subject per term"),
        "research": ("各学科每学期教研活动不少于 3 次", "≥ 3 research activities per subject per term"),
        "principals_meetings": ("校长联席会议每月一次", "principals' joint meeting monthly"),
        "teaching_meetings": ("教学工作例会每学期至少两次", "teaching meeting ≥ twice a term"),
    },
    "ledger_source": {
        "001": ("001 学区管理例会制度（支教结对子）", "001 cluster meeting rules (teacher support)"),
        "001-2": ("001 篇2 教学工作例会", "001 part 2 teaching meeting"),
        "001-3": ("001 篇3 校长例会", "001 part 3 principals' meeting"),
        "003-2": ("003 第二部分 明珠学区", "003 part 2 Mingzhu cluster"),
        "003-4": ("003 第四部分 交流比例", "003 part 4 exchange quotas"),
    },
    "log_kind": {
        "attendance": ("考勤（天）", "attendance (days)"), "log": ("交流日志", "exchange log"),
        "observation": ("听课", "lesson observed"), "mentoring": ("师徒说课", "mentoring session"),
        "demo_lesson": ("示范课", "demonstration lesson"),
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
