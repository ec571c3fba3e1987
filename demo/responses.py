"""The demo county's schools send their response files (答题数据): simulated students answer the locked papers.

Written where a real school's files would arrive (`responses_dir`), so the season's ingest stage reads
them like any school's; the true scores a perfect marker would give go beside them (TRUTH_FILE) for
the simulated markers. A few students miss each paper (缺考, `ABSENT_RATE`): a school sends no answers
for them, so they have no scores of that paper and the analysis lists them as absent.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import select

from bundle.cells import safe_frame
from marking.simulate import TRUTH_FILE
from models.db import session_scope


ABSENT_RATE = 0.01  # share of the students who miss a paper (ill, away): a few per school and subject


def simulate_response_files(url: str, exam_id: str, folder: str, seed: int) -> list[str]:
    """The demo's schools send response files: simulated students answer the locked papers."""
    from demo.season import exam_students, school_drift
    from demo.simulate import simulate_item_scores, simulate_responses
    from models import Exam, Item, Paper, PaperItem, School, SchoolClass, Student

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    with session_scope(url) as session:
        exam = session.get_one(Exam, exam_id)
        rows = session.execute(select(Paper.subject, PaperItem.position, Item.item_id, Item.item_type, Item.key,
                                      Item.difficulty, Item.discrimination, PaperItem.max_score, PaperItem.score_step)
                               .join(PaperItem, PaperItem.paper_id == Paper.paper_id)
                               .join(Item, Item.item_id == PaperItem.item_id)
                               .where(Paper.exam_id == exam_id, Paper.status == "locked")).all()
        students = pd.DataFrame(session.execute(select(Student.student_id, Student.class_id, Student.school_id,
                                                       Student.ability)).all(),
                                columns=["student_id", "class_id", "school_id", "ability"])
        classes = pd.DataFrame(session.execute(select(SchoolClass.class_id, SchoolClass.grade)).all(),
                               columns=["class_id", "grade"])
        schools = pd.DataFrame(session.execute(select(School.school_id)).all(), columns=["school_id"])
        grade = exam.grade
    items = pd.DataFrame(rows, columns=["subject", "position", "item_id", "item_type", "key", "difficulty",
                                        "discrimination", "max_score", "score_step"])
    sitting = exam_students(students, classes, grade)
    drift = school_drift(schools, seed=seed + 1)
    theta = sitting["ability"].to_numpy(dtype=float) + sitting["school_id"].map(drift).fillna(0.0).to_numpy()
    rng = np.random.default_rng(seed)
    absence = np.random.default_rng([seed, 13])  # its own stream: the answers of those present do not change
    answers, truths = [], []
    for subject, paper in items.groupby("subject", sort=True):
        present = (absence.random(len(sitting)) >= ABSENT_RATE)
        paper = paper.sort_values("position")
        step = np.where(paper["item_type"] == "single_choice", np.nan, paper["score_step"].to_numpy(dtype=float))
        scores = simulate_item_scores(theta, paper["difficulty"].to_numpy(dtype=float),
                                      paper["discrimination"].fillna(1.0).to_numpy(dtype=float),
                                      paper["max_score"].to_numpy(dtype=float), step, rng)
        raw = simulate_responses(paper, theta, rng, correct=scores >= paper["max_score"].to_numpy(dtype=float))
        subjective = (paper["item_type"] == "subjective").to_numpy()
        for j, (item_id, position) in enumerate(zip(paper["item_id"], paper["position"])):
            if subjective[j]:
                text = [f"scan/{s}/{subject}-{position}.png" for s in sitting["student_id"]]
                truths.append(pd.DataFrame({"student_id": sitting["student_id"], "item_id": item_id,
                                            "true_score": scores[:, j]})[present])
            else:
                text = ["" if a is None else str(a) for a in raw[:, j]]
            answers.append(pd.DataFrame({"student_id": sitting["student_id"], "school_id": sitting["school_id"],
                                         "subject": subject, "item_id": item_id, "answer": text})[present])
    long = pd.concat(answers, ignore_index=True)
    files = []
    for school_id, part in long.groupby("school_id", sort=True):  # one file per school, as schools send them
        path = out / f"responses_{school_id}.csv"
        safe_frame(part.drop(columns="school_id")).to_csv(path, index=False, encoding="utf-8-sig")
        files.append(str(path))
    safe_frame(pd.concat(truths, ignore_index=True)).to_csv(out / TRUTH_FILE, index=False)
    return files
