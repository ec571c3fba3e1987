"""The stages of an exam season (考试季) in pipeline order, and what a stage run returns."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from models.db import session_scope

#: Pipeline order, with the words a person reads (命题 → 审题 → 监考与阅卷安排 → 答卷导入 → 阅卷 → 定分 → 分析).
STAGES: tuple[tuple[str, str, str], ...] = (
    ("setting", "命题组卷", "question setting"),
    ("approval", "审题", "paper review"),
    ("logistics", "监考与阅卷安排", "invigilation and marking plans"),
    ("ingest", "答卷导入", "response import"),
    ("marking", "阅卷", "marking"),
    ("finalise", "定分", "final scores"),
    ("analysis", "成绩分析", "analysis"),
)
STAGE_ORDER = {name: n for n, (name, _, _) in enumerate(STAGES)}

#: A stage's status as a person reads it.
STATUS_LABELS = {
    "done": ("完成", "done"), "already-done": ("已完成", "already done"), "waiting": ("等待中", "waiting"),
    "blocked": ("受阻", "blocked"), "failed": ("失败", "failed"), "skipped": ("跳过", "skipped"),
    "pending": ("未开始", "not started"),
}


def stage_label(stage: str, lang: str = "zh") -> str:
    for name, zh, en in STAGES:
        if name == stage:
            return zh if lang == "zh" else en
    return stage


def status_label(status: str, lang: str = "zh") -> str:
    pair = STATUS_LABELS.get(status)
    return status if pair is None else (pair[0] if lang == "zh" else pair[1])


@dataclass
class StageOutcome:
    stage: str
    status: str  # done, waiting, blocked, skipped, failed, already-done
    message: str
    detail: dict[str, Any] = field(default_factory=dict)


# --- where a season stands (season_stage), so reruns continue where they stopped ---

def stage_status(url: str, exam_id: str, stage: str) -> tuple[str, str | None] | None:
    from models import SeasonStage

    with session_scope(url) as session:
        row = session.get(SeasonStage, (exam_id, stage))
        return (row.status, row.message) if row else None


def record_stage(url: str, exam_id: str, outcome: StageOutcome) -> None:
    from models import SeasonStage

    with session_scope(url) as session:
        row = session.get(SeasonStage, (exam_id, outcome.stage))
        if row is None:
            row = SeasonStage(exam_id=exam_id, stage=outcome.stage, status=outcome.status)
            session.add(row)
        row.status, row.message, row.detail = outcome.status, outcome.message, _jsonable(outcome.detail)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "item"):
        return value.item()
    return str(value)
