"""The stages of an exam season (考试季) in pipeline order, and what a stage run returns."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.labels import label
from models.db import session_scope

#: Pipeline order (命题 → 审题 → 监考与阅卷安排 → 答卷导入 → 阅卷 → 定分 → 分析); words from domain/labels.py.
STAGES: tuple[tuple[str, str, str], ...] = tuple(
    (name, label("season_stage", name, "zh"), label("season_stage", name, "en"))
    for name in ("setting", "approval", "logistics", "ingest", "marking", "finalise", "analysis"))
STAGE_ORDER = {name: n for n, (name, _, _) in enumerate(STAGES)}


def stage_label(stage: str, lang: str = "zh") -> str:
    return label("season_stage", stage, lang)


def status_label(status: str, lang: str = "zh") -> str:
    return label("stage_status", status, lang)


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
