"""Markers' login tokens: the season run again keeps them, one can be reissued, they end with the window."""
from __future__ import annotations

import time

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from app.marking_day import run_marking
from marking.policy import MarkingPolicy
from marking.queue import register_markers, reissue_token
from marking.sample import SampleItem
from models import MarkingAssignment, Plan
from models.db import session_scope
from models.district import Teacher
from models.marking import Marker, MarkingTask
from service.cli_marking import app as marking_cli
from service.marker_api import create_app

from .conftest import open_exam

ONE_ITEM = (SampleItem(1, "subjective", 10, 1),)
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _store_plan(url: str, exam_id: str, plan) -> None:
    """The marking plan as the logistics stage stores it (what the season's marking stage registers)."""
    with session_scope(url) as session:
        version = len(session.scalars(select(Plan).where(Plan.kind == "marking")).all()) + 1
        stored = Plan(kind="marking", scope=exam_id, version=version, exam_id=exam_id, created_by="test")
        session.add(stored)
        session.flush()
        session.add_all([MarkingAssignment(plan_id=stored.plan_id, seq=k, exam_id=exam_id, subject=r.subject,
                                           item_group=r.item_group, teacher_id=r.teacher_id,
                                           teacher_school_id=r.teacher_school_id, role=r.role)
                         for k, r in enumerate(plan.itertuples(index=False))])


def test_running_the_season_again_keeps_every_token_and_lease(migrated_db, tmp_path):
    exam = open_exam(migrated_db, students_per_school=2, items=ONE_ITEM)
    _store_plan(exam.url, exam.exam_id, exam.sample.plan)
    first = run_marking(exam.exam_id, exam.url, out_dir=str(tmp_path), deadline_s=0, say=lambda _: None)
    assert first.status == "waiting"
    marker = exam.markers("Q1", school="S-SCH1")[0].teacher_id
    auth = {"Authorization": f"Bearer {exam.token(marker)}"}
    with TestClient(create_app(exam.url, policy=exam.policy)) as client:
        task = client.post("/api/v1/next", headers=auth).json()["task"]
    with exam.session() as session:
        hashes = dict(session.execute(select(Marker.teacher_id, Marker.token_hash)).tuples().all())
    # the season stops (a crash, or to go on later) and runs again: the marking stage registers the plan again
    moved = exam.sample.plan.copy()
    moved.loc[moved["teacher_id"] == marker, "role"] = "leader"  # the plan changed one teacher's role
    _store_plan(exam.url, exam.exam_id, moved)
    again = run_marking(exam.exam_id, exam.url, out_dir=str(tmp_path), deadline_s=0, say=lambda _: None)
    assert again.status == "waiting"
    with exam.session() as session:
        assert dict(session.execute(select(Marker.teacher_id, Marker.token_hash)).tuples().all()) == hashes
        assert session.scalar(select(Marker.role).where(Marker.teacher_id == marker)) == "leader"
    with TestClient(create_app(exam.url, policy=exam.policy)) as client:  # a new server process: no token cache
        for teacher in exam.tokens["teacher_id"]:
            assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {exam.token(teacher)}"}).status_code \
                == 200
        other = exam.markers("Q1", school="S-SCH2")[0].teacher_id
        held = client.post("/api/v1/next", headers={"Authorization": f"Bearer {exam.token(other)}"}).json()["task"]
        assert held["task_id"] != task["task_id"]  # the lease taken before the rerun is still the first marker's
    # the same plan registered once more changes nothing and shows no token
    with session_scope(exam.url) as session:
        report = register_markers(session, exam.exam_id, moved)
    assert set(report["status"]) == {"kept"} and report["token"].isna().all()


def test_the_seasons_first_registration_hands_the_new_tokens_out(migrated_db, tmp_path):
    exam = open_exam(migrated_db, students_per_school=2, items=ONE_ITEM)
    plan = exam.sample.plan
    newcomer = "S-SCH1-Q1-NEW"
    with session_scope(exam.url) as session:  # a teacher the marking plan adds, not registered yet
        session.add(Teacher(teacher_id=newcomer, school_id="S-SCH1", name="新来的阅卷老师", subject="math",
                            role="teacher", backbone=False, famous=False, years_at_school=3, teaching_years=5,
                            birth_year=1990, volunteer=False))
    extra = plan[plan["teacher_id"] == exam.markers("Q1", school="S-SCH1")[0].teacher_id].copy()
    extra["teacher_id"] = newcomer
    _store_plan(exam.url, exam.exam_id, pd.concat([plan, extra], ignore_index=True))
    said: list[str] = []
    run_marking(exam.exam_id, exam.url, out_dir=str(tmp_path), deadline_s=0, say=said.append)
    tokens = pd.read_csv(tmp_path / "marker_tokens.csv", dtype=str, encoding="utf-8-sig")
    assert list(tokens["teacher_id"]) == [newcomer]  # only the new marker: the others keep theirs
    assert any("marker_tokens.csv" in line for line in said)
    with TestClient(create_app(exam.url, policy=exam.policy)) as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['token'][0]}"})
        assert me.status_code == 200 and me.json()["teacher_name"] == "新来的阅卷老师"
    run_marking(exam.exam_id, exam.url, out_dir=str(tmp_path), deadline_s=0, say=lambda _: None)
    again = pd.read_csv(tmp_path / "marker_tokens.csv", dtype=str, encoding="utf-8-sig")
    assert again.equals(tokens)  # a rerun issues nothing and keeps the file


def test_a_reissued_token_replaces_the_old_one_and_a_token_ends_with_the_window(migrated_db):
    exam = open_exam(migrated_db, students_per_school=2, items=ONE_ITEM)
    teacher, other = [m.teacher_id for m in exam.markers("Q1", school="S-SCH1")]
    old = exam.token(teacher)
    result = CliRunner().invoke(marking_cli, ["token", "--exam", exam.exam_id, "--teacher", teacher, "--db", exam.url])
    assert result.exit_code == 0, result.output
    new = result.stdout.strip().splitlines()[-1]
    assert new and new != old
    unknown = CliRunner().invoke(marking_cli, ["token", "--exam", exam.exam_id, "--teacher", "nobody", "--db",
                                               exam.url])
    assert unknown.exit_code == 2 and "未登记" in unknown.output
    with session_scope(exam.url) as session:  # the marking window of the other marker's token ended yesterday
        late = reissue_token(session, exam.exam_id, other, policy=MarkingPolicy(), now=time.time() - 8 * 86400)
    with TestClient(create_app(exam.url, policy=exam.policy)) as client:
        def me(token):
            return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})

        assert me(new).status_code == 200 and me(new).json()["expires_at"] > time.time() + 6 * 86400
        gone = me(old)
        assert gone.status_code == 401 and gone.json()["detail"]["code"] == "unknown_token"
        expired = me(late)
        assert expired.status_code == 401 and expired.json()["detail"]["code"] == "token_expired"
        assert "过期" in expired.json()["detail"]["message"]
        assert client.post("/api/v1/next", headers={"Authorization": f"Bearer {late}"}).status_code == 401
    with exam.session() as session:
        assert session.scalar(select(MarkingTask.task_id).where(MarkingTask.state == "leased")) is None
