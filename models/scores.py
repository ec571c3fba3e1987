"""Final scores (成绩) as the analysis reads them: the scores.csv shape, the papers' items and the
cohort's previous exam."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select
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


ITEM_COLUMNS = ["item_id", "subject", "max_score", "position", "item_type", "key", "knowledge_area", "cognitive_level"]


def items_for(session: Session, exam_id: str, item_ids: set[str]) -> pd.DataFrame:
    """The papers' items in paper order: item_id, subject, max_score, position (第 N 题), item_type,
    key, knowledge_area, cognitive_level (the last four from the bank). Locked papers first, else the
    bank's entries (then numbered in the bank's order)."""
    from models import Item, Paper, PaperItem

    bank = (Item.item_type, Item.key, Item.knowledge_area, Item.cognitive_level)
    rows: list[tuple] = list(session.execute(select(PaperItem.item_id, Paper.subject, PaperItem.max_score, PaperItem.position,
                                       Item.item_type, func.coalesce(PaperItem.key, Item.key), Item.knowledge_area,
                                       Item.cognitive_level)
                                .join(Paper, Paper.paper_id == PaperItem.paper_id)
                                .join(Item, Item.item_id == PaperItem.item_id)
                                .where(Paper.exam_id == exam_id, Paper.status == "locked")
                                .order_by(Paper.subject, Paper.form, PaperItem.position)).all())
    known = {r[0] for r in rows}
    missing = sorted(item_ids - known)
    for start in range(0, len(missing), 500):
        rows += [(*r[:3], None, *r[3:]) for r in session.execute(
            select(Item.item_id, Item.subject, Item.max_score, *bank)
            .where(Item.item_id.in_(missing[start:start + 500])).order_by(Item.subject, Item.item_id)).all()]
    items = pd.DataFrame([tuple(r) for r in rows], columns=ITEM_COLUMNS)
    unknown = item_ids - set(items["item_id"])
    if unknown:
        raise ValueError(f"scores name item(s) that are on no paper and not in the bank: {', '.join(sorted(unknown)[:10])}")
    items = items[items["item_id"].isin(item_ids)].drop_duplicates("item_id")
    if items["position"].isna().any():  # an item on no locked paper: number every paper in its order
        items = items.drop(columns="position")
    return items.reset_index(drop=True)


def blueprints_for(session: Session, exam_id: str) -> dict[str, dict]:
    """subject → the blueprint (双向细目表) of the exam's locked paper, as `Blueprint.to_dict()` stored it."""
    from models import Paper

    out: dict[str, dict] = {}
    for paper in session.scalars(select(Paper).where(Paper.exam_id == exam_id, Paper.status == "locked")
                                 .order_by(Paper.subject, Paper.form)):
        blueprint = (paper.blueprint or {}).get("blueprint")
        if isinstance(blueprint, dict) and paper.subject not in out:
            out[paper.subject] = blueprint
    return out


def responses_for(session: Session, exam_id: str, item_ids: set[str]) -> pd.DataFrame | None:
    """Students' raw answers to the exam's choice items (student_id, subject, item_id, answer), for the
    option analysis (选项分析); None when none are stored."""
    from models import Item, Response

    rows = session.execute(select(Response.student_id, Response.subject, Response.item_id, Response.answer)
                           .join(Item, Item.item_id == Response.item_id)
                           .where(Response.exam_id == exam_id,
                                  Item.item_type.in_(("single_choice", "multiple_choice")))).all()
    if not rows:
        return None
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["student_id", "subject", "item_id", "answer"])
    return frame[frame["item_id"].isin(item_ids)].reset_index(drop=True)


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


def _cohort_key(exam) -> int:
    return exam.school_year - exam.grade + 1


def cohort_exams_of(session: Session, exam_id: str) -> list[str]:
    """The cohort's earlier joint exams that have scores, oldest first (学情档案: the trends)."""
    from models import Exam, Score

    exam = session.get(Exam, exam_id)
    if exam is None:
        return []
    order = exam.school_year * 10 + exam.term
    earlier = session.scalars(select(Exam).where(Exam.exam_id != exam_id,
                                                 Exam.school_year - Exam.grade + 1 == _cohort_key(exam),
                                                 (Exam.school_year * 10 + Exam.term) <= order)).all()
    with_scores = set(session.scalars(select(Score.exam_id).where(Score.exam_id.in_([e.exam_id for e in earlier]))
                                      .distinct()))

    def held(e) -> tuple:
        return (e.school_year, e.term, _first_day(session, e.exam_id), e.exam_id)

    now = held(exam)
    return [e.exam_id for e in sorted(earlier, key=held) if e.exam_id in with_scores and held(e) < now]


def _first_day(session: Session, exam_id: str) -> str:
    from models import ExamSession

    return session.scalar(select(ExamSession.date).where(ExamSession.exam_id == exam_id)
                          .order_by(ExamSession.date).limit(1)) or ""


def exams_of_year(session: Session, school_year: int, cluster_id: str | None = None) -> list[str]:
    """The joint exams of a school year that have scores, in the order they were held (统一考核 of the year).
    cluster_id: only that cluster's exams and the district-wide ones."""
    from models import Exam, Score

    query = select(Exam).where(Exam.school_year == school_year)
    if cluster_id is not None:
        query = query.where((Exam.cluster_id == cluster_id) | Exam.cluster_id.is_(None))
    exams = session.scalars(query).all()
    with_scores = set(session.scalars(select(Score.exam_id).where(Score.exam_id.in_([e.exam_id for e in exams]))
                                      .distinct()))
    return [e.exam_id for e in sorted(exams, key=lambda e: (e.term, _first_day(session, e.exam_id), e.exam_id))
            if e.exam_id in with_scores]


def mentor_pairs(session: Session, school_year: int) -> pd.DataFrame:
    """Mentor–apprentice pairs (师徒结对: rotation.csv's mentor_of) of the school year's current rotation
    plans (the latest version of each scope; what-if scenarios left out): mentor_id, apprentice_id."""
    from models.plans import Plan, RotationAssignment
    from models.scenarios import SEPARATOR

    plans = session.scalars(select(Plan).where(Plan.kind == "rotation", Plan.school_year == school_year)
                            .order_by(Plan.scope, Plan.version)).all()
    latest: dict[str, int] = {}
    for plan in plans:
        if SEPARATOR not in plan.scope:
            latest[plan.scope] = plan.plan_id  # versions ascend: the last is current
    if not latest:
        return pd.DataFrame(columns=["mentor_id", "apprentice_id"])
    rows = session.execute(select(RotationAssignment.teacher_id, RotationAssignment.mentor_of)
                           .where(RotationAssignment.plan_id.in_(list(latest.values())),
                                  RotationAssignment.mentor_of.is_not(None))).all()
    pairs = pd.DataFrame([tuple(r) for r in rows], columns=["mentor_id", "apprentice_id"])
    return pairs[pairs["apprentice_id"].astype(str) != ""].drop_duplicates().reset_index(drop=True)
