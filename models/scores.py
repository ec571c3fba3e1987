"""Final scores (成绩) as the analysis reads them: the scores.csv shape, the papers' items and the
cohort's previous exam."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from bundle.spec import EXPORT_COLUMNS

SCORE_COLUMNS = list(EXPORT_COLUMNS["scores"])


def scores_from_db(session: Session, exam_id: str) -> pd.DataFrame:
    """Final item scores of an exam in the scores.csv shape."""
    from models import Score, Student

    rows = session.execute(
        select(Score.exam_id, Score.student_id, Student.school_id, Student.class_id, Score.subject, Score.item_id,
               Score.score).join(Student, Student.student_id == Score.student_id)
        .where(Score.exam_id == exam_id)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=SCORE_COLUMNS)


def items_for(session: Session, exam_id: str, item_ids: set[str]) -> pd.DataFrame:
    """The papers' items (item_id, subject, max_score): locked papers first, else the bank's entries."""
    from models import Item, Paper, PaperItem

    rows = list(session.execute(select(PaperItem.item_id, Paper.subject, PaperItem.max_score)
                                .join(Paper, Paper.paper_id == PaperItem.paper_id)
                                .where(Paper.exam_id == exam_id, Paper.status == "locked")).all())
    known = {r[0] for r in rows}
    missing = sorted(item_ids - known)
    for start in range(0, len(missing), 500):
        rows += session.execute(select(Item.item_id, Item.subject, Item.max_score)
                                .where(Item.item_id.in_(missing[start:start + 500]))).all()
    items = pd.DataFrame([tuple(r) for r in rows], columns=["item_id", "subject", "max_score"])
    unknown = item_ids - set(items["item_id"])
    if unknown:
        raise ValueError(f"scores name item(s) that are on no paper and not in the bank: {', '.join(sorted(unknown)[:10])}")
    return items[items["item_id"].isin(item_ids)].drop_duplicates("item_id")


def previous_exam_of(session: Session, exam_id: str) -> str | None:
    """The cohort's latest earlier joint exam that has scores (for the improvement rate)."""
    from models import Exam, Score

    exam = session.get(Exam, exam_id)
    if exam is None:
        return None
    cohort = exam.school_year - exam.grade + 1
    earlier = session.scalars(select(Exam).where(Exam.exam_id != exam_id, Exam.school_year - Exam.grade + 1 == cohort,
                                                 (Exam.school_year * 10 + Exam.term) <= exam.school_year * 10 + exam.term)
                              .order_by((Exam.school_year * 10 + Exam.term).desc())).all()
    for candidate in earlier:
        if session.scalar(select(Score.exam_id).where(Score.exam_id == candidate.exam_id).limit(1)):
            return candidate.exam_id
    return None
