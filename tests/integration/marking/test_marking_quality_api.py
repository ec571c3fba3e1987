"""Marking quality control through the marker API (阅卷质量监控): problem scripts, pause, return, leader
re-mark, trial marking, unannounced checks, monitoring and unmarkable work, on SQLite and PostgreSQL."""
from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from marking.policy import MarkingPolicy
from marking.responses import sheet_from_frame
from marking.sample import SampleItem
from marking.standards import import_standards
from models.db import session_scope
from models.exams import Score
from models.marking import MarkingMark, MarkingScript, MarkingTask
from models.marking_quality import MarkingCheck, MarkingProblem, SetAsideMark
from models.plans import AuditEntry
from service.marker_api import create_app

ONE_ITEM = (SampleItem(1, "subjective", 10, 1),)  # group Q1: max 10, step 1, tolerance 1


def policy(**quality) -> MarkingPolicy:
    """Both marks of a script in turn (lag 0), and the quality keys given."""
    return MarkingPolicy.from_dict({"queue": {"second_mark_lag": 0}, "quality": quality})


def auth(exam, teacher):
    return {"Authorization": f"Bearer {exam.token(teacher)}"}


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def standards(exam, rows) -> None:
    """Import standard scripts of group Q1: rows of (name, expert score, purpose)."""
    frame = pd.DataFrame([{"standard_id": name, "subject": "math", "question": 1, "answer": f"标准答案 {name}",
                           "expert_score": score, "purpose": purpose} for name, score, purpose in rows])
    with session_scope(exam.url) as session:
        import_standards(session, exam.exam_id, [sheet_from_frame(frame, "standard_scripts.csv")])


def test_problem_scripts_pause_return_and_the_leaders_own_mark(make_exam):
    exam = make_exam(policy=policy(), students_per_school=2, items=ONE_ITEM)
    m2, m3, m2b = "S-SCH2-Q1-M1", "S-SCH3-Q1-M1", "S-SCH2-Q1-M2"
    leader = "S-SCH2-Q1-L2"
    with TestClient(create_app(exam.url, policy=exam.policy)) as client:
        def next_task(teacher):
            return client.post("/api/v1/next", headers=auth(exam, teacher)).json()["task"]

        def submit(teacher, task, score):
            return client.post(f"/api/v1/tasks/{task['task_id']}/marks", headers=auth(exam, teacher),
                               json={"scores": {"S-I01": score}})

        # 问题卷: a blank script leaves the queue for the leader, with its sibling task held
        task = next_task(m2)
        problem = client.post(f"/api/v1/tasks/{task['task_id']}/problem", headers=auth(exam, m2),
                              json={"reason": "blank", "note": "整页空白"})
        assert problem.status_code == 200
        assert submit(m2, task, 3).json()["detail"]["code"] == "lease_lost"  # reported: nothing to submit
        assert client.post(f"/api/v1/tasks/{task['task_id']}/problem", headers=auth(exam, m2),
                           json={"reason": "blank"}).status_code == 409
        assert client.post(f"/api/v1/tasks/{task['task_id']}/problem", headers=auth(exam, m2),
                           json={"reason": "lost"}).status_code == 422
        assert client.post(f"/api/v1/tasks/{2 ** 31}/problem", headers=auth(exam, m2),
                           json={"reason": "blank"}).status_code == 422  # never reaches the database
        assert next_task(m3)["code"] != task["code"]  # the sibling second mark is held, not handed out
        assert client.get("/api/v1/problems", headers=auth(exam, m2)).status_code == 403
        [listed] = client.get("/api/v1/problems", headers=auth(exam, leader)).json()["problems"]
        assert (listed["code"], listed["reason"], listed["note"], listed["state"]) == (task["code"], "blank",
                                                                                      "整页空白", "open")
        assert listed["earlier_marks"] == [] and list(listed["answers"]) == ["S-I01"]
        assert listed["reported_by"] == m2  # the sample's teachers are named by their ids
        with exam.session() as session:
            script = session.scalars(select(MarkingScript).where(MarkingScript.code == task["code"])).one()
            assert script.status == "problem"
            states = sorted(session.scalars(select(MarkingTask.state).where(MarkingTask.script_id == script.script_id)))
            assert states == ["held", "problem"]

        # the leader returns it to marking: both tasks wait again, the script marks as usual
        back = client.post(f"/api/v1/problems/{problem.json()['problem_id']}/resolve", headers=auth(exam, leader),
                           json={"action": "return", "note": "可以辨认"})
        assert back.json()["state"] == "returned"
        assert client.post(f"/api/v1/problems/{problem.json()['problem_id']}/resolve", headers=auth(exam, leader),
                           json={"action": "return"}).json()["detail"]["code"] == "problem_settled"
        with exam.session() as session:
            assert session.get(MarkingScript, script.script_id).status == "marking"
            assert sorted(session.scalars(select(MarkingTask.state).where(
                MarkingTask.script_id == script.script_id))) == ["waiting", "waiting"]

        # a problem the leader scores: the leader's mark is final, the open tasks withdrawn
        other = next_task(m2b)
        scored = client.post(f"/api/v1/tasks/{other['task_id']}/problem", headers=auth(exam, m2b),
                             json={"reason": "cheating"}).json()["problem_id"]
        bad = client.post(f"/api/v1/problems/{scored}/resolve", headers=auth(exam, leader),
                          json={"action": "score", "scores": {"S-I01": 11}})
        assert bad.status_code == 422
        settled = client.post(f"/api/v1/problems/{scored}/resolve", headers=auth(exam, leader),
                              json={"action": "score", "scores": {"S-I01": 0}})
        assert settled.json() == {"problem_id": scored, "state": "scored", "final_scores": {"S-I01": 0.0}}
        view = client.get(f"/api/v1/group/scripts/{other['code']}", headers=auth(exam, leader)).json()
        assert (view["status"], view["source"], view["final_scores"]) == ("final", "leader", {"S-I01": 0.0})
        assert [(m["kind"], m["name"]) for m in view["marks"]] == [("leader", leader)]
        assert view["problems"][-1]["state"] == "scored"

        # pause: the marker's held script goes back, /next says why; resume
        held = next_task(m3)
        paused = client.post(f"/api/v1/group/markers/{m3}/pause", headers=auth(exam, leader),
                             json={"paused": True, "reason": "一致率过低，请重读评分标准"})
        assert paused.json() == {"teacher_id": m3, "paused": True, "released": 1}
        blocked = client.post("/api/v1/next", headers=auth(exam, m3)).json()
        assert blocked == {"task": None, "paused": True, "code": "paused",
                           "reason": "题组长已暂停你的评卷：一致率过低，请重读评分标准"}
        assert submit(m3, held, 5).status_code == 409  # the released lease is gone
        assert client.post("/api/v1/group/markers/S-SCH1-G9-M1/pause", headers=auth(exam, leader),
                           json={"paused": True}).status_code == 404  # not of this group
        client.post(f"/api/v1/group/markers/{m3}/pause", headers=auth(exam, leader), json={"paused": False})
        assert next_task(m3) is not None

        # 退回重评: two far-apart marks send a script to a third mark; the leader returns the first mark
        with exam.session() as session:  # hand a fresh script of school 1 to m2 and m3 (both of other schools)
            session.execute(MarkingTask.__table__.update().where(MarkingTask.state == "leased")
                            .values(state="waiting", marker_id=None))
            script_id = session.scalars(select(MarkingScript.script_id).where(
                MarkingScript.school_id == "S-SCH1", MarkingScript.status == "marking",
                MarkingScript.marks_done == 0)).first()
            tasks = session.scalars(select(MarkingTask).where(MarkingTask.script_id == script_id)
                                    .order_by(MarkingTask.kind)).all()
            for task_row, teacher in zip(tasks, (m2, m3)):
                task_row.state, task_row.marker_id, task_row.lease_expires_at = "leased", teacher, 4e9
            session.commit()
        m_other = m3
        first, second = (next_task(m2), next_task(m3))
        assert first["code"] == second["code"] and (first["kind"], second["kind"]) == ("first", "second")
        submit(m2, first, 1)
        assert submit(m3, second, 9).json()["script_status"] == "third"
        ambiguous = client.post(f"/api/v1/group/scripts/{first['code']}/return", headers=auth(exam, leader),
                                json={"reason": "看错了"})
        assert ambiguous.status_code == 422 and ambiguous.json()["detail"]["code"] == "ambiguous_mark"
        assert sorted((m["teacher_id"], m["total"]) for m in ambiguous.json()["detail"]["marks"]) == [(m2, 1), (m3, 9)]
        marks = client.get(f"/api/v1/group/markers/{m2}/marks", headers=auth(exam, leader)).json()["marks"]
        assert (marks[0]["code"], marks[0]["total"], marks[0]["partner_total"]) == (first["code"], 1.0, 9.0)
        returned = client.post(f"/api/v1/group/scripts/{first['code']}/return", headers=auth(exam, leader),
                               json={"reason": "明显给分过低", "teacher_id": m2})
        assert returned.status_code == 200, returned.json()
        assert returned.json()["script_status"] == "marking"
        with exam.session() as session:
            script = session.scalars(select(MarkingScript).where(MarkingScript.code == first["code"])).one()
            assert (script.status, script.marks_done, script.agreed) == ("marking", 1, None)
            assert count(session, MarkingTask, MarkingTask.script_id == script.script_id,
                         MarkingTask.kind == "third") == 0  # the third mark it caused is withdrawn
            aside = session.scalars(select(SetAsideMark)).one()
            assert (aside.marker_id, aside.total, aside.reason, aside.set_aside_by) == (m2, 1.0, "明显给分过低", leader)
        again = next_task(m2b)  # the returned first mark waits in the queue for any marker who may give it
        while again["code"] != first["code"]:
            submit(m2b, again, 5)
            again = next_task(m2b)
        assert again["kind"] == "first"
        assert submit(m2b, again, 9).json()["script_status"] == "final"

        # the leader re-marks a final script: the leader's mark replaces the final, audited
        remark = client.post(f"/api/v1/group/scripts/{first['code']}/remark", headers=auth(exam, leader),
                             json={"scores": {"S-I01": 7}, "reason": "复核"})
        assert remark.json()["final_scores"] == {"S-I01": 7.0}
        assert client.post(f"/api/v1/group/scripts/{first['code']}/return", headers=auth(exam, leader),
                           json={"reason": "x", "teacher_id": m_other}).json()["detail"]["code"] == "script_locked"
    with session_scope(exam.url) as session:
        actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "marking_script")))
        assert {"return_mark", "leader_mark", "return_problem"} <= actions
        # every counted mark still belongs to a done task, one each: none lost, none double counted
        done = count(session, MarkingTask, MarkingTask.state == "done")
        assert done == count(session, MarkingMark)


def test_trial_marking_before_live_marking(make_exam):
    exam = make_exam(policy=policy(trial_scripts=2, trial_retakes=1), students_per_school=1, items=ONE_ITEM)
    standards(exam, [("B01", 2, "trial"), ("B02", 8, "trial"), ("B03", 5, "both"), ("B04", 6, "seed")])
    good, poor, leader = "S-SCH2-Q1-M1", "S-SCH3-Q1-M1", "S-SCH1-Q1-L1"
    expert = {"B01": 2, "B02": 8, "B03": 5}
    with TestClient(create_app(exam.url, policy=exam.policy)) as client:
        def trial_task(teacher):
            return client.post("/api/v1/next", headers=auth(exam, teacher)).json()

        def mark(teacher, task, score):
            return client.post(f"/api/v1/tasks/{task['task_id']}/marks", headers=auth(exam, teacher),
                               json={"scores": {"S-I01": score}, "seconds": 30}).json()

        assert client.get("/api/v1/trial", headers=auth(exam, good)).json()["state"] == "not_started"
        first = trial_task(good)["task"]
        assert first["kind"] == "trial" and first["answers"] == {"S-I01": "标准答案 B01"}
        assert trial_task(good)["task"]["task_id"] == first["task_id"]  # a reload shows the same trial script
        assert mark(good, first, 2)["script_status"] == "trial"
        status = client.get("/api/v1/trial", headers=auth(exam, good)).json()
        assert (status["required"], status["state"], status["done"], status["total"]) == (True, "in_progress", 1, 2)
        assert status["results"] == []  # no expert scores shown before the trial ends
        second = trial_task(good)["task"]
        assert second["answers"] == {"S-I01": "标准答案 B02"}
        mark(good, second, 9)  # within the tolerance of 1 point
        status = client.get("/api/v1/trial", headers=auth(exam, good)).json()
        assert status["state"] == "passed" and [(r["expert"], r["given"], r["within"]) for r in status["results"]] == [
            (2, 2, True), (8, 9, True)]
        live = trial_task(good)["task"]
        assert live["kind"] in ("first", "second")  # passed: live marking

        # a marker far off the experts fails, retakes once on the next trial scripts, then the leader decides
        task = trial_task(poor)["task"]
        mark(poor, task, 10 - expert[task["answers"]["S-I01"].split()[-1]])
        task = trial_task(poor)["task"]
        # the last trial script, sent with "next": the answer already says why there is no next script
        answer = client.post(f"/api/v1/tasks/{task['task_id']}/marks", headers=auth(exam, poor),
                             json={"scores": {"S-I01": 10 - expert[task["answers"]["S-I01"].split()[-1]]},
                                   "seconds": 30, "next": True}).json()
        assert answer["script_status"] == "trial" and answer["next"]["paused"] is True
        blocked = trial_task(poor)
        assert blocked["task"] is None and blocked["code"] == "trial_failed" and "可重新试评" in blocked["reason"]
        assert {k: answer["next"][k] for k in blocked} == blocked
        assert client.get("/api/v1/trial", headers=auth(exam, poor)).json()["retakes_left"] == 1
        retake = client.post("/api/v1/trial/retake", headers=auth(exam, poor)).json()
        assert (retake["state"], retake["round"], retake["total"], retake["done"]) == ("in_progress", 2, 2, 0)
        shown = []
        for _ in range(2):
            task = trial_task(poor)["task"]
            shown.append(task["answers"]["S-I01"])
            mark(poor, task, 0)
        assert shown == ["标准答案 B03", "标准答案 B01"]  # the next trial scripts in turn
        assert "等待题组长" in trial_task(poor)["reason"]
        assert client.post("/api/v1/trial/retake", headers=auth(exam, poor)).json()["detail"]["code"] == "no_retakes"
        markers = {m["teacher_id"]: m for m in client.get("/api/v1/group/markers", headers=auth(exam, leader)).json()[
            "markers"]}
        assert markers[poor]["trial_state"] == "failed" and markers[poor]["alerts"][0]["key"] == "trial"
        assert markers[good]["trial_state"] == "passed" and markers[leader]["trial_state"] == "not_required"
        decided = client.post(f"/api/v1/group/markers/{poor}/trial", headers=auth(exam, leader),
                              json={"decision": "pass"}).json()
        assert decided["state"] == "waived"
        assert trial_task(poor)["task"]["kind"] in ("first", "second")  # let through: live marking
    with exam.session() as session:
        assert count(session, MarkingMark) == 0  # trial marks never reach a script
        assert count(session, MarkingCheck, MarkingCheck.kind == "trial", MarkingCheck.state == "done") == 6


def test_rechecks_and_standard_scripts_come_unannounced_and_never_change_a_score(make_exam, db_url):
    from marking.monitor import marker_rows
    from marking.quality import within_tolerance
    from marking.simulate import SimulatedMarker, run_simulated_marking
    from models.marking_quality import CHECK_ID_BASE
    from tests.integration.marking.test_marking_concurrency import assert_every_script_has_exactly_the_marks_it_needs

    every = policy(recheck_share=1.0, recheck_after_marks=0, standard_share=0.5, trial_required=False)
    exam = make_exam(policy=every, students_per_school=3, items=ONE_ITEM)
    standards(exam, [("B01", 2, "seed"), ("B02", 7, "both")])
    marker = exam.markers("Q1", school="S-SCH1")[0]
    with TestClient(create_app(exam.url, policy=exam.policy)) as client:
        task = client.post("/api/v1/next", headers=auth(exam, marker.teacher_id)).json()["task"]
        client.post(f"/api/v1/tasks/{task['task_id']}/marks", headers=auth(exam, marker.teacher_id),
                    json={"scores": {"S-I01": 4}})
        recheck = client.post("/api/v1/next", headers=auth(exam, marker.teacher_id)).json()["task"]
        # the re-mark of the script just marked: an ordinary first mark with a fresh code
        assert recheck["kind"] == "first" and recheck["code"] != task["code"]
        assert recheck["answers"] == task["answers"]
        assert (recheck["task_id"] >= CHECK_ID_BASE) == db_url.startswith("sqlite")  # PostgreSQL: the tasks' ids
        done = client.post(f"/api/v1/tasks/{recheck['task_id']}/marks", headers=auth(exam, marker.teacher_id),
                           json={"scores": {"S-I01": 6}}).json()
        assert (done["kind"], done["script_status"], done["duplicate"]) == ("first", "marking", False)
        again = client.post(f"/api/v1/tasks/{recheck['task_id']}/marks", headers=auth(exam, marker.teacher_id),
                            json={"scores": {"S-I01": 6}}).json()
        assert again["duplicate"] is True
    with exam.session() as session:
        assert count(session, MarkingMark) == 1  # the re-mark went to the check, not to the script
    markers = [SimulatedMarker(t, noise=0.05) for t in exam.sample.plan["teacher_id"]]
    report = run_simulated_marking(exam.url, exam.exam_id, markers, exam.sample.true_scores, threads=2, seed=1,
                                   policy=every)
    assert report.check_marks > 0 and not report.timed_out
    assert_every_script_has_exactly_the_marks_it_needs(exam)  # finals are the rules applied to the marks alone
    with session_scope(exam.url) as session:
        checks = session.scalars(select(MarkingCheck).where(MarkingCheck.state == "done")).all()
        rechecks = [c for c in checks if c.kind == "recheck"]
        assert rechecks and {c.kind for c in checks} == {"recheck", "standard"}
        for c in rechecks:  # compared with the marker's own mark of that script
            own = session.scalars(select(MarkingMark).where(MarkingMark.script_id == c.script_id,
                                                            MarkingMark.marker_id == c.teacher_id)).one()
            assert c.original_scores == own.scores
        rows = {r.teacher_id: r for r in marker_rows(session, exam.exam_id, policy=every)}
        items = exam_items(session, exam)
        for teacher in {c.teacher_id for c in rechecks}:
            mine = [c for c in rechecks if c.teacher_id == teacher]
            expected = sum(within_tolerance(items, c.scores, c.original_scores) for c in mine) / len(mine)
            assert rows[teacher].figures.rechecks == len(mine)
            assert rows[teacher].figures.self_consistency == pytest.approx(expected)


def exam_items(session, exam):
    from marking.queue import group_items

    return group_items(session, exam.exam_id, "math", "Q1")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # reads through the ORM: one database is enough
def test_third_marks_and_arbitrations_nobody_may_give_are_reported_as_they_arise(make_exam):
    from typer.testing import CliRunner

    from service.cli_marking import app

    # one marker per school: a script's first two marks use up every marker of other schools
    exam = make_exam(policy=policy(), students_per_school=1, markers_per_school=1, items=ONE_ITEM,
                     leaders_per_group=1)
    leader = "S-SCH1-Q1-L1"
    with TestClient(create_app(exam.url, policy=exam.policy)) as client:
        for teacher in ("S-SCH2-Q1-M1", "S-SCH3-Q1-M1", "S-SCH1-Q1-M1"):
            while (task := client.post("/api/v1/next", headers=auth(exam, teacher)).json()["task"]) is not None:
                score = 10 if task["kind"] == "first" else 0  # always far apart
                client.post(f"/api/v1/tasks/{task['task_id']}/marks", headers=auth(exam, teacher),
                            json={"scores": {"S-I01": score}})
        stuck = client.get("/api/v1/group/unmarkable", headers=auth(exam, leader)).json()["unmarkable"]
        assert stuck and {w["kind"] for w in stuck} == {"third"}
        assert all("待三评" in w["message"] and "xuequ marking escalate" in w["message"] for w in stuck)
        shown = CliRunner().invoke(app, ["status", "--exam", exam.exam_id, "--db", exam.url])
        assert "待三评，但本组没有未评过这些答卷的外校阅卷教师" in shown.output
        escalated = CliRunner().invoke(app, ["escalate", "--exam", exam.exam_id, "--db", exam.url])
        assert escalated.exit_code == 0 and "转交题组长仲裁" in escalated.output
        # the one leader (of school 1) may arbitrate the other schools' scripts, not school 1's
        left = client.get("/api/v1/group/unmarkable", headers=auth(exam, leader)).json()["unmarkable"]
        assert [(w["kind"], w["school"], w["tasks"]) for w in left] == [("arbitration", "第1中学", 1)]
        assert "待仲裁，但没有未评过这些答卷的外校题组长" in left[0]["message"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_finalised_scores_take_the_leaders_mark(make_exam):
    from marking.finalise import finalise_scores

    exam = make_exam(policy=policy(), students_per_school=1, items=ONE_ITEM)
    leader = exam.markers("Q1", role="leader")[1]
    with exam.session() as session:
        code = session.scalars(select(MarkingScript.code).where(MarkingScript.school_id == "S-SCH1")).first()
    from marking.queue.remarking import leader_mark

    with exam.session() as session:
        result = leader_mark(session, leader, code, {"S-I01": 6})
    assert result["tasks_withdrawn"] == 2  # both waiting marks withdrawn
    with session_scope(exam.url) as session:
        finalise_scores(session, exam.exam_id)
    with session_scope(exam.url) as session:
        sources = set(session.scalars(select(Score.source).where(Score.item_id == "S-I01")))
        problems = count(session, MarkingProblem)
    assert sources == {"leader"} and problems == 0
