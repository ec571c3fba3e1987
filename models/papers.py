"""Storing and reviewing papers: versions, locking, and the usage history they leave in the bank."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import audit
from models.base import utcnow
from models.exams import Exam, ExamSession, ItemUsage, Paper, PaperItem

OPEN_STATUSES = ("draft",)
FINAL_STATUSES = ("locked",)


@dataclass(frozen=True)
class PaperItemRow:
    position: int
    item_id: str
    max_score: float
    score_step: float
    tolerance: float | None
    key: str | None
    rubric: str | None
    item_group: str | None


def latest_paper(session: Session, exam_id: str, subject: str, form: str = "A") -> Paper | None:
    return session.scalars(select(Paper).where(Paper.exam_id == exam_id, Paper.subject == subject, Paper.form == form)
                           .order_by(Paper.version.desc()).limit(1)).first()


def store_paper(session: Session, exam_id: str, subject: str, items: list[PaperItemRow], *, blueprint: dict,
                form: str = "A", created_by: str = "system") -> Paper:
    """A new draft version of the subject's paper."""
    version = (session.scalar(select(func.max(Paper.version)).where(
        Paper.exam_id == exam_id, Paper.subject == subject, Paper.form == form)) or 0) + 1
    paper = Paper(exam_id=exam_id, subject=subject, form=form, version=version, status="draft", blueprint=blueprint,
                  total=float(sum(i.max_score for i in items)), created_by=created_by)
    paper.items = [PaperItem(position=i.position, item_id=i.item_id, item_group=i.item_group, max_score=i.max_score,
                             score_step=i.score_step, tolerance=i.tolerance, key=i.key, rubric=i.rubric)
                   for i in items]
    session.add(paper)
    session.flush()
    audit.record(session, "insert", "paper", f"{exam_id}:{subject}:{form}:v{version}", {"items": len(items)})
    return paper


def review_paper(session: Session, paper: Paper, *, decision: str, reviewer: str, comment: str = "") -> Paper:
    """Record a review: approve locks the paper and writes its usage history; reject marks it rejected."""
    if paper.status in FINAL_STATUSES:
        raise ValueError(f"paper {paper.exam_id}/{paper.subject} v{paper.version} is locked and cannot change")
    paper.reviewed_by, paper.reviewed_at, paper.review_comment = reviewer, utcnow(), comment or None
    if decision == "approve":
        paper.status = "locked"  # approved papers are locked: the exam is printed from this version
        exam = session.get_one(Exam, paper.exam_id)  # a paper always belongs to an exam (foreign key)
        first_day = session.scalar(select(func.min(ExamSession.date)).where(ExamSession.exam_id == paper.exam_id))
        cohort = exam.school_year - exam.grade + 1
        for item in paper.items:
            if session.get(ItemUsage, (item.item_id, paper.exam_id)) is None:
                session.add(ItemUsage(item_id=item.item_id, exam_id=paper.exam_id, cohort=cohort,
                                      used_on=first_day or f"{exam.school_year}-01-01"))
    elif decision in ("reject", "swap"):
        paper.status = "rejected"
    else:
        raise ValueError(f"unknown decision {decision!r}: approve, reject or swap")
    audit.record(session, decision, "paper", f"{paper.exam_id}:{paper.subject}:{paper.form}:v{paper.version}",
                 {"status": paper.status}, note=comment or None)
    return paper


def locked_papers(session: Session, exam_id: str) -> list[Paper]:
    return list(session.scalars(select(Paper).where(Paper.exam_id == exam_id, Paper.status == "locked")
                                .order_by(Paper.subject, Paper.form)))
