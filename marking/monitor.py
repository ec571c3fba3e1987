"""Marking quality monitoring (阅卷质量监控) from the database: per-marker figures and alerts, and the
work nobody may do (third marks and arbitrations included) as it arises.

The figures are the pure rules of marking/quality.py applied to the marks, checks and marker states
stored; every reader (CLI `xuequ marking status` and `quality`, the leader's API, the demo's
marking_progress.md) goes through `marker_rows` and `unmarkable_work`. Names, not ids, where a
person reads.
"""
from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.labels import label
from domain.vocab import SUBJECTS
from marking.assist import group_label
from marking.policy import MarkingPolicy, load_policy
from marking.quality import (Alert, CheckData, GroupFigures, GroupMarks, MarkData, MarkerFigures, group_figures,
                             marker_alerts, marker_figures)
from marking.rules import ItemStandard
from models.district import School, Teacher
from models.marking import Marker, MarkingGroup, MarkingMark, MarkingScript, MarkingTask
from models.marking_quality import MarkerState, MarkingCheck, MarkingProblem, MarkingStandard


@dataclass
class MarkerRow:
    """One marker's figures, state and alerts in their item group."""

    teacher_id: str
    name: str
    subject: str
    item_group: str
    role: str
    figures: MarkerFigures
    group: GroupFigures
    trial_state: str  # not_required, not_started, in_progress, passed, failed, waived
    paused: bool = False
    pause_reason: str | None = None
    problems: int = 0  # problem scripts reported
    alerts: list[Alert] = field(default_factory=list)

    def to_dict(self, lang: str = "zh") -> dict:
        """The shape of GET /group/markers (NaN as null)."""
        f, g = self.figures, self.group
        return {"teacher_id": self.teacher_id, "name": self.name, "role": self.role, "marks": f.marks,
                "paired": f.paired, "marks_per_hour": _num(f.marks_per_hour), "median_seconds": _num(f.median_seconds),
                "agreement_rate": _num(f.agreement_rate), "third_rate": _num(f.third_rate),
                "mean_score": _num(f.mean_score), "score_sd": _num(f.score_sd), "group_mean": _num(g.mean_score),
                "group_sd": _num(g.score_sd), "rechecks": f.rechecks, "self_consistency": _num(f.self_consistency),
                "standards": f.standards, "standard_accuracy": _num(f.standard_accuracy),
                "trial_state": self.trial_state, "paused": self.paused, "pause_reason": self.pause_reason,
                "problems": self.problems, "alerts": [a.to_dict(lang) for a in self.alerts]}


def _num(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(float(value), 4)


def _items(session: Session, exam_id: str) -> dict[tuple[str, str], list[ItemStandard]]:
    return {(g.subject, g.item_group): [ItemStandard.from_dict(d) for d in g.items]
            for g in session.scalars(select(MarkingGroup).where(MarkingGroup.exam_id == exam_id))}


def group_marks(session: Session, exam_id: str, *, subject: str | None = None,
                item_group: str | None = None) -> dict[tuple[str, str], GroupMarks]:
    """What the figures are computed from, per item group: counted marks, which scripts went to a third
    mark, and the finished re-marks and standard scripts with their references."""
    items = _items(session, exam_id)
    where = [MarkingScript.exam_id == exam_id]
    if subject is not None:
        where.append(MarkingScript.subject == subject)
    if item_group is not None:
        where.append(MarkingScript.item_group == item_group)
    marks: dict[tuple[str, str], list[MarkData]] = defaultdict(list)
    for row in session.execute(select(MarkingMark.script_id, MarkingMark.marker_id, MarkingMark.kind,
                                      MarkingMark.scores, MarkingMark.total, MarkingMark.seconds,
                                      MarkingScript.subject, MarkingScript.item_group)
                               .join(MarkingScript, MarkingScript.script_id == MarkingMark.script_id).where(*where)):
        marks[(row.subject, row.item_group)].append(MarkData(row.script_id, row.marker_id, row.kind, row.scores,
                                                             row.total, row.seconds))
    third = {script_id: True for script_id, in session.execute(
        select(MarkingScript.script_id).where(*where, MarkingScript.agreed.is_(False)))}
    expert: dict[int, dict] = dict(session.execute(select(MarkingStandard.standard_id, MarkingStandard.expert_scores)
                                  .where(MarkingStandard.exam_id == exam_id)).tuples().all())
    check_where = [MarkingCheck.exam_id == exam_id, MarkingCheck.state == "done",
                   MarkingCheck.kind.in_(("recheck", "standard"))]
    if subject is not None:
        check_where.append(MarkingCheck.subject == subject)
    if item_group is not None:
        check_where.append(MarkingCheck.item_group == item_group)
    checks: dict[tuple[str, str], list[CheckData]] = defaultdict(list)
    for c in session.scalars(select(MarkingCheck).where(*check_where)):
        reference = c.original_scores if c.kind == "recheck" else expert.get(c.standard_id or 0)
        if reference:
            checks[(c.subject, c.item_group)].append(CheckData(c.teacher_id, c.kind, c.scores or {}, reference))
    groups = [k for k in items if (subject is None or k[0] == subject) and (item_group is None or k[1] == item_group)]
    return {k: GroupMarks(items[k], marks.get(k, []), third, checks.get(k, [])) for k in groups}


def trial_groups(session: Session, exam_id: str) -> set[tuple[str, str]]:
    """Groups with standard scripts for trial marking."""
    return set(session.execute(select(MarkingStandard.subject, MarkingStandard.item_group)
                               .where(MarkingStandard.exam_id == exam_id,
                                      MarkingStandard.purpose.in_(("trial", "both"))).distinct()).tuples().all())


def marker_rows(session: Session, exam_id: str, *, policy: MarkingPolicy | None = None, subject: str | None = None,
                item_group: str | None = None, lang: str = "zh") -> list[MarkerRow]:
    """Every registered marker (of one group if given) with figures, trial and pause state, and alerts."""
    policy = policy or load_policy()
    query = select(Marker.teacher_id, Marker.subject, Marker.item_group, Marker.role, Teacher.name) \
        .join(Teacher, Teacher.teacher_id == Marker.teacher_id).where(Marker.exam_id == exam_id)
    if subject is not None:
        query = query.where(Marker.subject == subject)
    if item_group is not None:
        query = query.where(Marker.item_group == item_group)
    registered = session.execute(query.order_by(Marker.subject, Marker.item_group, Marker.role.desc(),
                                                Teacher.name)).all()
    data = group_marks(session, exam_id, subject=subject, item_group=item_group)
    states = {s.teacher_id: s for s in session.scalars(select(MarkerState).where(MarkerState.exam_id == exam_id))}
    problems = dict(session.execute(select(MarkingProblem.reported_by, func.count())
                                    .where(MarkingProblem.exam_id == exam_id)
                                    .group_by(MarkingProblem.reported_by)).tuples().all())
    with_trial = trial_groups(session, exam_id)
    session.commit()
    share = policy.quality.trial_tolerance
    group_cache: dict[tuple[str, str], GroupFigures] = {}
    rows = []
    for teacher_id, subj, group, role, name in registered:
        marks = data.get((subj, group)) or GroupMarks([], [])
        if (subj, group) not in group_cache:
            group_cache[(subj, group)] = group_figures(marks)
        state = states.get(teacher_id)
        required = policy.quality.trial_required and (subj, group) in with_trial and role == "marker"
        trial = (state.trial_state if state is not None else "not_started") if required else (
            state.trial_state if state is not None and state.trial_state != "not_started" else "not_required")
        figures = marker_figures(teacher_id, marks, share)
        alerts = marker_alerts(figures, group_cache[(subj, group)], policy.quality, policy.progress,
                               trial_state=trial)
        rows.append(MarkerRow(teacher_id, name, subj, group, role, figures, group_cache[(subj, group)], trial,
                              bool(state and state.paused), state.pause_reason if state else None,
                              int(problems.get(teacher_id, 0)), alerts))
    return rows


# --- work nobody may do (无人可评), as it arises --------------------------------------------------------

@dataclass(frozen=True)
class UnmarkableWork:
    """Waiting tasks of one kind, one item group and one school's scripts that no registered marker may take."""

    subject: str
    item_group: str
    school_id: str
    kind: str  # first, second, third, arbitration
    tasks: int
    waiting_since: float  # unix seconds: the oldest of them
    school_name: str = ""

    def _where(self, lang: str) -> str:
        school = self.school_name or self.school_id
        if lang == "en":
            return f"{self.subject} {self.item_group}: {self.tasks} script(s) of {school}"
        return f"{SUBJECTS.get(self.subject, self.subject)} {group_label(self.item_group)}：{school} 的 {self.tasks} 份答卷"

    def message(self, lang: str = "zh", now: float | None = None) -> str:
        minutes = max(0, int(((now or time.time()) - self.waiting_since) // 60))
        where = self._where(lang)
        if lang == "en":
            waited = f" (the oldest waiting {minutes} min)"
            if self.kind == "third":
                return (f"{where} wait for a third mark, but no marker of another school who has not marked them is "
                        f"in the group{waited}; let the leaders arbitrate (xuequ marking escalate) or add markers")
            if self.kind == "arbitration":
                return (f"{where} wait for arbitration, but no leader of another school who has not marked them is "
                        f"registered{waited}; add leaders of other schools (xuequ marking markers)")
            return (f"{where} still need a first or second mark, but no marker of another school may give it"
                    f"{waited}; add markers of other schools (xuequ marking markers)")
        waited = f"（最早的已等待 {minutes} 分钟）"
        if self.kind == "third":
            return (f"{where}待三评，但本组没有未评过这些答卷的外校阅卷教师{waited}；可交题组长仲裁"
                    f"（xuequ marking escalate），或增加外校阅卷教师")
        if self.kind == "arbitration":
            return (f"{where}待仲裁，但没有未评过这些答卷的外校题组长{waited}；请增派外校题组长"
                    f"（xuequ marking markers）")
        return f"{where}还缺一评或二评，但没有可评的外校阅卷教师{waited}；请增加外校阅卷教师（xuequ marking markers）"

    def to_dict(self, lang: str = "zh") -> dict:
        return {"subject": self.subject, "item_group": self.item_group, "school": self.school_name or self.school_id,
                "kind": self.kind, "tasks": self.tasks, "waiting_since": self.waiting_since,
                "message": self.message(lang)}


def unmarkable_work(session: Session, exam_id: str, *, policy: MarkingPolicy | None = None,
                    subject: str | None = None, item_group: str | None = None) -> list[UnmarkableWork]:
    """Waiting first, second and third marks and arbitrations that nobody registered may give now: every
    one who could is of the script's school or has marked it (counting a best-effort plan's fill-ins).
    Waiting does not help these; the message says what does."""
    from marking.assist_store import _stuck_rows, load_assists

    policy = policy or load_policy()
    rows = [r for r in _stuck_rows(session, exam_id, load_assists(session, exam_id), policy)
            if (subject is None or r.subject == subject) and (item_group is None or r.item_group == item_group)]
    since = dict(session.execute(select(MarkingTask.task_id, MarkingTask.created_at).where(
        MarkingTask.task_id.in_([r.task_id for r in rows]))).tuples().all()) if rows else {}
    schools = dict(session.execute(select(School.school_id, School.name)).tuples().all())
    session.commit()
    grouped: dict[tuple[str, str, str, str], list[float]] = defaultdict(list)
    for r in rows:
        grouped[(r.subject, r.item_group, r.school_id, r.kind)].append(float(since.get(r.task_id, time.time())))
    order = {"first": 0, "second": 1, "third": 2, "arbitration": 3}
    return [UnmarkableWork(s, g, school, kind, len(times), min(times), schools.get(school, school))
            for (s, g, school, kind), times in sorted(grouped.items(), key=lambda kv: (kv[0][0], kv[0][1],
                                                                                      order.get(kv[0][3], 9),
                                                                                      kv[0][2]))]


def groups_without_standards(session: Session, exam_id: str, policy: MarkingPolicy | None = None
                             ) -> list[tuple[str, str]]:
    """Item groups that mark without trial marking because no trial standard scripts were imported."""
    policy = policy or load_policy()
    if not policy.quality.trial_required:
        return []
    groups = session.execute(select(MarkingGroup.subject, MarkingGroup.item_group)
                             .where(MarkingGroup.exam_id == exam_id)).tuples().all()
    with_trial = trial_groups(session, exam_id)
    session.commit()
    return sorted(g for g in groups if g not in with_trial)


def open_problem_counts(session: Session, exam_id: str) -> dict[tuple[str, str], int]:
    counts = {(s, g): int(n) for s, g, n in session.execute(
        select(MarkingProblem.subject, MarkingProblem.item_group, func.count())
        .where(MarkingProblem.exam_id == exam_id, MarkingProblem.state == "open")
        .group_by(MarkingProblem.subject, MarkingProblem.item_group)).tuples()}
    session.commit()
    return counts


# --- for people: lines, a table, Markdown ------------------------------------------------------------

def alert_lines(rows: Sequence[MarkerRow], lang: str = "zh") -> list[str]:
    """One line per marker with alerts (or paused): group, name, what is wrong."""
    lines = []
    for row in rows:
        parts = [a.message(lang) for a in row.alerts]
        if row.paused:
            parts.insert(0, (f"已暂停：{row.pause_reason or ''}" if lang == "zh" else f"paused: {row.pause_reason or ''}"))
        if parts:
            where = (f"{SUBJECTS.get(row.subject, row.subject)} {group_label(row.item_group)} {row.name}" if lang == "zh"
                     else f"{row.subject} {row.item_group} {row.name}")
            lines.append(f"{where}：{'；'.join(parts)}" if lang == "zh" else f"{where}: {'; '.join(parts)}")
    return lines


QUALITY_COLUMNS = [("name", "教师", "teacher"), ("group", "题组", "group"), ("marks", "评卷", "marks"),
                   ("marks_per_hour", "份/小时", "per hour"), ("agreement_rate", "一致率", "agreement"),
                   ("third_rate", "三评率", "third rate"), ("mean_score", "平均分", "mean"),
                   ("score_sd", "标准差", "SD"), ("group_sd", "本组标准差", "group SD"),
                   ("self_consistency", "回评一致率", "re-mark consistency"),
                   ("standard_accuracy", "标准卷准确率", "standard accuracy"), ("trial", "试评", "trial"),
                   ("alerts", "报警", "alerts")]


def _percent(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.0%}"


def _decimal(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.1f}"


def quality_frame(rows: Sequence[MarkerRow], lang: str = "zh") -> pd.DataFrame:
    """The per-marker figures as a table of text cells, headed in `lang`."""
    records = []
    for row in rows:
        f = row.figures
        group = (f"{SUBJECTS.get(row.subject, row.subject)} {group_label(row.item_group)}" if lang == "zh"
                 else f"{row.subject} {row.item_group}")
        rechecks = f"{_percent(f.self_consistency)} ({f.rechecks})" if f.rechecks else "–"
        standards = f"{_percent(f.standard_accuracy)} ({f.standards})" if f.standards else "–"
        alerts = [label("quality_alert", a.key, lang) for a in row.alerts]
        if row.paused:
            alerts.insert(0, "已暂停" if lang == "zh" else "paused")
        records.append({"name": row.name + ("（题组长）" if row.role == "leader" and lang == "zh" else
                                            " (leader)" if row.role == "leader" else ""),
                        "group": group, "marks": str(f.marks), "marks_per_hour": _decimal(f.marks_per_hour),
                        "agreement_rate": _percent(f.agreement_rate), "third_rate": _percent(f.third_rate),
                        "mean_score": _decimal(f.mean_score), "score_sd": _decimal(f.score_sd),
                        "group_sd": _decimal(row.group.score_sd), "self_consistency": rechecks,
                        "standard_accuracy": standards, "trial": label("trial_state", row.trial_state, lang),
                        "alerts": ("、" if lang == "zh" else ", ").join(alerts) or "–"})
    frame = pd.DataFrame(records, columns=[c for c, _, _ in QUALITY_COLUMNS])
    frame.columns = [zh if lang == "zh" else en for _, zh, en in QUALITY_COLUMNS]
    return frame


def quality_markdown(rows: Sequence[MarkerRow], lang: str = "zh", *, heading: str = "##") -> str:
    """Per-marker quality figures as Markdown, then the alerts in words."""
    frame = quality_frame(rows, lang)
    title = "阅卷质量（每位评卷教师）" if lang == "zh" else "Marking quality per marker"
    lines = [f"{heading} {title}", ""]
    lines.append("| " + " | ".join(frame.columns) + " |")
    lines.append("|" + "|".join("---" for _ in frame.columns) + "|")
    for record in frame.itertuples(index=False):
        lines.append("| " + " | ".join(str(v).replace("|", "\\|") for v in record) + " |")
    alerts = alert_lines(rows, lang)
    lines += ["", f"{heading}# {'报警' if lang == 'zh' else 'Alerts'}", ""]
    lines += [f"- {line}" for line in alerts] or ["无" if lang == "zh" else "none"]
    return "\n".join(lines) + "\n"

