"""The exam season (考试季) as the research office follows it: where each stage stands, in pipeline order."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UnknownExam
from app.stages import STAGES, STAGE_ORDER, stage_label, status_label
from models.db import session_scope


def require_exam(session: Session, exam_id: str):
    """The exam, or UnknownExam (a one-line refusal)."""
    from models import Exam

    exam = session.get(Exam, exam_id)
    if exam is None:
        raise UnknownExam(exam_id)
    return exam


def check_exam(exam_id: str, url: str | None = None) -> str:
    """The exam's name, or UnknownExam: for interfaces to refuse an unknown exam before any work."""
    with session_scope(url) as session:
        return require_exam(session, exam_id).name


@dataclass(frozen=True)
class StageRow:
    stage: str
    label: str
    status: str  # pending when the stage has not run
    status_label: str
    updated: dt.datetime | None
    message: str


@dataclass(frozen=True)
class SeasonStatus:
    exam_id: str
    exam_name: str
    rows: tuple[StageRow, ...]

    @property
    def next_stage(self) -> str | None:
        return next((r.stage for r in self.rows if r.status not in ("done", "already-done")), None)


def season_status(exam_id: str, *, url: str | None = None, lang: str = "zh") -> SeasonStatus:
    """Every stage of the season in pipeline order (命题 → … → 分析), those not run yet as pending."""
    from models import SeasonStage

    with session_scope(url) as session:
        exam = require_exam(session, exam_id)
        stored = {row.stage: row for row in session.scalars(select(SeasonStage).where(SeasonStage.exam_id == exam_id))}
        names = [name for name, _, _ in STAGES] + sorted(set(stored) - set(STAGE_ORDER))
        rows = []
        for name in names:
            row = stored.get(name)
            status = row.status if row is not None else "pending"
            rows.append(StageRow(name, stage_label(name, lang), status, status_label(status, lang),
                                 row.updated_at if row is not None else None, (row.message or "") if row else ""))
        return SeasonStatus(exam_id, exam.name, tuple(rows))
