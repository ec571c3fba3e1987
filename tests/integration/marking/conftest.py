"""Marking fixtures: a sample exam built in the test database (SQLite and PostgreSQL via `db_url`)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest
from sqlalchemy.orm import Session, sessionmaker

from marking.policy import MarkingPolicy
from marking.queue import MarkerRef, get_marker, open_marking, register_markers
from marking.sample import SampleExam, build_sample_exam
from models.db import get_engine, session_scope


@dataclass
class OpenExam:
    url: str
    sample: SampleExam
    tokens: pd.DataFrame  # teacher_id, subject, item_group, role, school_id, token
    policy: MarkingPolicy

    @property
    def exam_id(self) -> str:
        return self.sample.exam_id

    def session(self) -> Session:
        return sessionmaker(get_engine(self.url), expire_on_commit=False)()

    def marker(self, teacher_id: str) -> MarkerRef:
        with self.session() as session:
            return get_marker(session, self.exam_id, teacher_id)

    def markers(self, group: str, role: str = "marker", school: str | None = None) -> list[MarkerRef]:
        rows = self.tokens[(self.tokens["item_group"] == group) & (self.tokens["role"] == role)]
        if school is not None:
            rows = rows[rows["school_id"] == school]
        return [self.marker(t) for t in rows["teacher_id"]]

    def token(self, teacher_id: str) -> str:
        return str(self.tokens.set_index("teacher_id").loc[teacher_id, "token"])


def open_exam(url: str, *, policy: MarkingPolicy | None = None, seed: int = 0, **sample_options) -> OpenExam:
    """Build a sample exam, open its marking queue and register its markers."""
    policy = policy or MarkingPolicy()
    with session_scope(url) as session:
        sample = build_sample_exam(session, **sample_options)
        open_marking(session, sample.exam_id, policy=policy, seed=seed)
        tokens = register_markers(session, sample.exam_id, sample.plan)
    return OpenExam(url, sample, tokens, policy)


@pytest.fixture
def make_exam(migrated_db):
    """open_exam on the test database: make_exam(policy=..., students_per_school=..., items=...)."""
    return lambda **options: open_exam(migrated_db, **options)


@pytest.fixture
def small_exam(migrated_db) -> OpenExam:
    """3 schools × 4 students, groups G1 (two items) and Q7; 2 markers per school and group, 2 leaders."""
    return open_exam(migrated_db, students_per_school=4)
