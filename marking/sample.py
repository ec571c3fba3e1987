"""A small marked-exam fixture built straight in the database: for tests, the benchmark and demos.

`build_sample_exam` creates a district with a few schools, students, teachers, an exam with one
locked paper (objective items and subjective items in groups), every student's responses, the
marking plan (marking.csv shape) and the true score of each script's items.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import insert
from sqlalchemy.orm import Session

from models.district import Cluster, District, School, SchoolClass, Student, Teacher
from models.exams import Exam, Item, Paper, PaperItem, Response


@dataclass(frozen=True)
class SampleItem:
    position: int
    item_type: str  # single_choice, multiple_choice, fill_in, subjective
    max_score: float
    step: float = 1.0
    key: str | None = None
    item_group: str | None = None  # None: one group per subjective item, named Q<position>
    tolerance: float | None = None

    @property
    def answer_key(self) -> str:
        """The key of an objective item (a subjective item has none)."""
        if self.key is None:
            raise ValueError(f"sample item {self.position} ({self.item_type}) has no key")
        return self.key


DEFAULT_ITEMS = (
    SampleItem(1, "single_choice", 3, 3, "B"),
    SampleItem(2, "single_choice", 3, 3, "D"),
    SampleItem(3, "multiple_choice", 4, 1, "ACD"),
    SampleItem(4, "fill_in", 4, 4, "1/2|0.5|50%"),
    SampleItem(5, "subjective", 10, 1, item_group="G1"),
    SampleItem(6, "subjective", 6, 0.5, item_group="G1"),
    SampleItem(7, "subjective", 12, 1),
)


@dataclass
class SampleExam:
    exam_id: str
    subject: str
    school_ids: list[str]
    student_ids: list[str]
    items: tuple[SampleItem, ...]
    plan: pd.DataFrame  # marking.csv shape: exam_id, subject, item_group, teacher_id, teacher_school_id, role
    true_scores: pd.DataFrame  # student_id, item_id, true_score (subjective items)
    item_ids: dict[int, str] = field(default_factory=dict)  # position -> item_id
    responses: pd.DataFrame | None = None  # exam_id, student_id, item_id, subject, answer (as drawn)


def item_id_for(prefix: str, position: int) -> str:
    return f"{prefix}-I{position:02d}"


def build_sample_exam(session: Session, *, prefix: str = "S", subject: str = "math", schools: int = 3,
                      students_per_school: int = 20, markers_per_school: int = 2, leaders_per_group: int = 2,
                      items: tuple[SampleItem, ...] = DEFAULT_ITEMS, seed: int = 0,
                      with_responses: bool = True, opaque_teachers: bool = False) -> SampleExam:
    """Create the sample in the caller's transaction (ids start with `prefix`).

    `with_responses=False` leaves the responses out (they are still drawn: `SampleExam.responses`).
    `opaque_teachers=True` numbers teachers `<prefix>-T001`… (named 教师1…) instead of naming them by
    school and group (as a district's real teacher ids are: nothing in them names a school).
    """
    rng = np.random.default_rng(seed)
    exam_id = f"{prefix}-EXAM"
    district_id, cluster_id = f"{prefix}-D", f"{prefix}-C"
    session.add(District(district_id=district_id, name=f"{prefix} 区"))
    session.add(Cluster(cluster_id=cluster_id, district_id=district_id, name=f"{prefix} 学区"))
    school_ids = [f"{prefix}-SCH{k + 1}" for k in range(schools)]
    for k, school_id in enumerate(school_ids):
        session.add(School(school_id=school_id, cluster_id=cluster_id, name=f"第{k + 1}中学", is_lead=k == 0,
                           stage="junior", locality="urban" if k == 0 else "rural", tier="ordinary",
                           lat=30.0 + 0.01 * k, lon=120.0 + 0.01 * k, hardship=0))
    session.flush()
    students: list[dict[str, Any]] = []  # rows of students and teachers as inserted
    teachers: list[dict[str, Any]] = []
    for k, school_id in enumerate(school_ids):
        class_id = f"{school_id}-C1"
        session.add(SchoolClass(class_id=class_id, school_id=school_id, grade=8, size=students_per_school))
        for n in range(students_per_school):
            students.append({"student_id": f"{school_id}-ST{n + 1:04d}", "class_id": class_id,
                             "school_id": school_id, "name": None, "ability": float(rng.normal())})
    session.flush()
    session.execute(insert(Student), students)
    session.add(Exam(exam_id=exam_id, name=f"{prefix} 联考", kind="midterm", school_year=2026, term=1, grade=8,
                     cluster_id=cluster_id))
    item_ids = {it.position: item_id_for(prefix, it.position) for it in items}
    for it in items:
        session.add(Item(item_id=item_ids[it.position], subject=subject, grade=8, item_type=it.item_type,
                         max_score=it.max_score, key=it.key, knowledge_area="代数", cognitive_level="apply",
                         difficulty=0.6, discrimination=1.0, options=4 if "choice" in it.item_type else None,
                         score_step=it.step, enemies=[], stem=None, rubric=None))
    session.flush()
    paper = Paper(exam_id=exam_id, subject=subject, form="A", version=1, status="locked", blueprint={},
                  total=float(sum(it.max_score for it in items)))
    paper.items = [PaperItem(position=it.position, item_id=item_ids[it.position], item_group=it.item_group,
                             max_score=it.max_score, score_step=it.step, tolerance=it.tolerance, key=it.key)
                   for it in items]
    session.add(paper)
    session.flush()
    responses, truths = [], []
    for student in students:
        theta = student["ability"]
        for it in items:
            p = 1 / (1 + np.exp(-(theta + 0.4)))
            item_id = item_ids[it.position]
            if it.item_type == "subjective":
                steps = int(round(it.max_score / it.step))
                true = float(rng.binomial(steps, p)) * it.step
                truths.append((student["student_id"], item_id, true))
                answer = f"scan/{exam_id}/{student['student_id']}/{it.position}.png"
            elif it.item_type == "fill_in":
                answer = it.answer_key.split("|")[0] if rng.random() < p else "2"
            elif it.item_type == "multiple_choice":
                answer = it.answer_key if rng.random() < p else ("AC" if rng.random() < 0.5 else "AB")
            else:
                answer = it.answer_key if rng.random() < p else "A"
            responses.append({"exam_id": exam_id, "student_id": student["student_id"], "item_id": item_id,
                              "subject": subject, "answer": answer})
    if with_responses:
        session.execute(insert(Response), responses)
    groups = sorted({it.item_group or f"Q{it.position}" for it in items if it.item_type == "subjective"})
    plan_rows = []

    def teacher(school_id: str, name: str) -> str:
        teacher_id = f"{prefix}-T{len(teachers) + 1:03d}" if opaque_teachers else name
        teachers.append({"teacher_id": teacher_id, "school_id": school_id,
                         "name": f"教师{len(teachers) + 1}" if opaque_teachers else teacher_id})
        return teacher_id

    for group in groups:
        for k, school_id in enumerate(school_ids):
            for n in range(markers_per_school):
                plan_rows.append((exam_id, subject, group, teacher(school_id, f"{school_id}-{group}-M{n + 1}"),
                                  school_id, "marker"))
        for n in range(leaders_per_group):
            school_id = school_ids[n % len(school_ids)]
            plan_rows.append((exam_id, subject, group, teacher(school_id, f"{school_id}-{group}-L{n + 1}"),
                              school_id, "leader"))
    session.execute(insert(Teacher), [
        {**t, "subject": subject, "grades": [8], "role": "teacher", "backbone": False,
         "famous": False, "years_at_school": 5, "teaching_years": 10, "birth_year": 1985, "volunteer": False,
         "last_rotation_year": None, "home_lat": None, "home_lon": None, "gender": None} for t in teachers])
    session.flush()
    plan = pd.DataFrame(plan_rows, columns=["exam_id", "subject", "item_group", "teacher_id", "teacher_school_id",
                                            "role"])
    return SampleExam(exam_id, subject, school_ids, [s["student_id"] for s in students], tuple(items), plan,
                      pd.DataFrame(truths, columns=["student_id", "item_id", "true_score"]), item_ids,
                      pd.DataFrame(responses, columns=["exam_id", "student_id", "item_id", "subject", "answer"]))
