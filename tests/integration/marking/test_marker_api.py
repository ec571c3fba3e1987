"""The marker HTTP API with FastAPI's TestClient, on SQLite and PostgreSQL."""
from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from marking.simulate import run_simulated_marking, simulated_markers
from models.marking import MarkingMark, MarkingScript
from service.marker_api import create_app


@pytest.fixture
def client(small_exam):
    with TestClient(create_app(small_exam.url, policy=small_exam.policy)) as test_client:
        yield test_client


def auth(exam, teacher_id):
    return {"Authorization": f"Bearer {exam.token(teacher_id)}"}


def test_login_next_submit_and_progress(small_exam, client):
    teacher = "S-SCH1-Q7-M1"
    assert client.post("/api/v1/login", json={"token": "wrong"}).status_code == 401
    assert client.get("/api/v1/me").status_code == 401
    me = client.post("/api/v1/login", json={"token": small_exam.token(teacher)}).json()
    expires = me.pop("expires_at")
    assert me == {"exam_id": small_exam.exam_id, "exam_name": "S 联考", "teacher_id": teacher,
                  "teacher_name": teacher, "subject": "math", "item_group": "Q7", "group_label": "数学 第7题",
                  "role": "marker"}
    assert expires > time.time() + 6 * 86400  # the policy's marking window (queue.token_days = 7)
    task = client.post("/api/v1/next", headers=auth(small_exam, teacher)).json()["task"]
    assert task["kind"] == "first" and [i["item_id"] for i in task["items"]] == ["S-I07"]
    assert task["items"][0]["max_score"] == 12 and "tolerance" not in task["items"][0]
    # anonymous: a code and the scanned answer by an opaque key, nothing that names the student or school
    assert task["answers"] == {"S-I07": None} and task["scans"] == {"S-I07": f"scans/{task['code']}-1"}
    body = str(task)
    assert "student" not in body and "SCH" not in body and "ST0" not in body
    again = client.post("/api/v1/next", headers=auth(small_exam, teacher)).json()["task"]
    assert again["task_id"] == task["task_id"]  # a reload gets the same script
    bad = client.post(f"/api/v1/tasks/{task['task_id']}/marks", headers=auth(small_exam, teacher),
                      json={"scores": {"S-I07": 13}})
    assert bad.status_code == 422 and bad.json()["detail"]["code"] == "invalid_scores"
    done = client.post(f"/api/v1/tasks/{task['task_id']}/marks", headers=auth(small_exam, teacher),
                       json={"scores": {"S-I07": 8}, "seconds": 40})
    assert done.status_code == 200 and done.json()["duplicate"] is False
    retry = client.post(f"/api/v1/tasks/{task['task_id']}/marks", headers=auth(small_exam, teacher),
                        json={"scores": {"S-I07": 8}, "seconds": 40})
    assert retry.json()["duplicate"] is True and retry.json()["mark_id"] == done.json()["mark_id"]
    progress = client.get("/api/v1/me/progress", headers=auth(small_exam, teacher)).json()
    assert progress["marker"]["marks"] == 1 and progress["marker"]["median_seconds"] == 40
    assert progress["group"]["scripts"] == 12 and progress["group"]["final"] == 0


def test_a_submit_can_lease_the_next_script_in_the_same_request(small_exam, client):
    teacher = "S-SCH1-Q7-M1"
    task = client.post("/api/v1/next", headers=auth(small_exam, teacher)).json()["task"]
    seen = []
    while task is not None:
        seen.append(task["task_id"])
        answer = client.post(f"/api/v1/tasks/{task['task_id']}/marks", headers=auth(small_exam, teacher),
                             json={"scores": {"S-I07": 6}, "seconds": 30, "next": True}).json()
        assert answer["task_id"] == seen[-1] and answer["duplicate"] is False and answer["next"]["paused"] is False
        task = answer["next"]["task"]
        if task is not None:  # the script is leased: a reload (/next) shows the same one
            assert client.post("/api/v1/next", headers=auth(small_exam, teacher)).json()["task"]["task_id"] == \
                task["task_id"]
            assert "SCH" not in str(task) and "student" not in str(task)
    assert len(seen) == len(set(seen)) > 1
    with small_exam.session() as session:
        assert session.scalar(select(func.count()).select_from(MarkingMark)) == len(seen)
    # without "next" the answer is the mark alone
    again = client.post(f"/api/v1/tasks/{seen[-1]}/marks", headers=auth(small_exam, teacher),
                        json={"scores": {"S-I07": 6}}).json()
    assert again["duplicate"] is True and again["next"] is None


def test_markers_only_touch_their_own_groups_work(small_exam, client):
    q7, other_q7, g1 = "S-SCH1-Q7-M1", "S-SCH1-Q7-M2", "S-SCH2-G1-M1"
    task = client.post("/api/v1/next", headers=auth(small_exam, q7)).json()["task"]
    for teacher, scores in ((other_q7, {"S-I07": 1}), (g1, {"S-I05": 1, "S-I06": 1})):
        response = client.post(f"/api/v1/tasks/{task['task_id']}/marks", headers=auth(small_exam, teacher),
                               json={"scores": scores})
        assert response.status_code == 409 and response.json()["detail"]["code"] == "lease_lost"
    g1_task = client.post("/api/v1/next", headers=auth(small_exam, g1)).json()["task"]
    assert [i["item_id"] for i in g1_task["items"]] == ["S-I05", "S-I06"]
    assert client.post(f"/api/v1/tasks/{task['task_id']}/release", headers=auth(small_exam, q7)).json() == {
        "released": True}
    assert client.get("/api/v1/arbitration", headers=auth(small_exam, q7)).status_code == 403
    assert client.get("/api/v1/group/progress", headers=auth(small_exam, q7)).status_code == 403


def test_leaders_see_and_work_the_arbitration_queue(make_exam):
    from marking.sample import SampleItem

    from marking.policy import MarkingPolicy

    adjacent = MarkingPolicy.from_dict({"queue": {"second_mark_lag": 0}})  # both marks of a script in turn
    exam = make_exam(policy=adjacent, students_per_school=1, items=(SampleItem(1, "subjective", 10, 1),))
    with TestClient(create_app(exam.url, policy=exam.policy)) as client:
        def mark(teacher, score):
            task = client.post("/api/v1/next", headers=auth(exam, teacher)).json()["task"]
            response = client.post(f"/api/v1/tasks/{task['task_id']}/marks", headers=auth(exam, teacher),
                                   json={"scores": {"S-I01": score}})
            return task, response.json()

        mark("S-SCH2-Q1-M1", 1)
        mark("S-SCH3-Q1-M1", 9)
        _, third = mark("S-SCH2-Q1-M2", 5)
        assert third["script_status"] == "arbitration"
        leader = "S-SCH2-Q1-L2"
        queue = client.get("/api/v1/arbitration", headers=auth(exam, leader)).json()
        assert queue["waiting"] == 1
        [waiting] = queue["scripts"]
        assert sorted(m["scores"]["S-I01"] for m in waiting["marks"]) == [1, 5, 9] and not waiting["recused"]
        own = client.get("/api/v1/arbitration", headers=auth(exam, "S-SCH1-Q1-L1")).json()
        assert own["scripts"][0]["recused"] is True
        assert client.post("/api/v1/arbitration/next", headers=auth(exam, "S-SCH1-Q1-L1")).json()["task"] is None
        task = client.post("/api/v1/arbitration/next", headers=auth(exam, leader)).json()["task"]
        assert task["kind"] == "arbitration" and len(task["earlier_marks"]) == 3
        final = client.post(f"/api/v1/tasks/{task['task_id']}/marks", headers=auth(exam, leader),
                            json={"scores": {"S-I01": 4}}).json()
        assert final["script_status"] == "final"
        group = client.get("/api/v1/group/progress", headers=auth(exam, leader)).json()
        assert group["group"]["final"] == 1 and {m["teacher_id"] for m in group["markers"]} >= {leader}


def test_simulated_markers_can_mark_a_whole_exam_through_the_api(small_exam, client):
    tokens = dict(zip(small_exam.tokens["teacher_id"], small_exam.tokens["token"]))
    markers = simulated_markers(small_exam.sample.plan, seed=4, tokens=tokens)
    report = run_simulated_marking(small_exam.url, small_exam.exam_id, markers, small_exam.sample.true_scores,
                                   threads=4, seed=4, client=client, retry_share=0.2)
    with small_exam.session() as session:
        assert session.scalar(select(func.count()).select_from(MarkingScript).where(
            MarkingScript.status != "final")) == 0
        assert session.scalar(select(func.count()).select_from(MarkingMark)) == report.marks


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_bad_numbers_ids_and_sizes_are_refused_with_one_error_shape(small_exam, client):
    teacher = "S-SCH1-Q7-M1"
    headers = {**auth(small_exam, teacher), "Content-Type": "application/json"}
    task = client.post("/api/v1/next", headers=auth(small_exam, teacher)).json()["task"]
    url = f"/api/v1/tasks/{task['task_id']}/marks"
    refused = {
        "NaN seconds": (url, '{"scores": {"S-I07": 5}, "seconds": NaN}', 422),
        "Infinity seconds": (url, '{"scores": {"S-I07": 5}, "seconds": Infinity}', 422),
        "Infinity score": (url, '{"scores": {"S-I07": Infinity}}', 422),
        "-Infinity score": (url, '{"scores": {"S-I07": -Infinity}}', 422),
        "NaN score": (url, '{"scores": {"S-I07": NaN}}', 422),
        "task id 2^31": ("/api/v1/tasks/2147483648/marks", '{"scores": {"S-I07": 5}}', 422),
        "task id 2^63": ("/api/v1/tasks/9223372036854775808/marks", '{"scores": {"S-I07": 5}}', 422),
        "not JSON": (url, '{"scores": ', 422),
        "65 KB": (url, '{"scores": {"S-I07": 5}, "note": "' + "x" * 65 * 1024 + '"}', 413),
    }
    for name, (path, body, status) in refused.items():
        response = client.post(path, content=body, headers=headers)
        assert response.status_code == status, (name, response.text)
        detail = response.json()["detail"]
        assert set(detail) == {"code", "message"} and any("\u4e00" <= c <= "\u9fff" for c in detail["message"]), name
    release = client.post(f"/api/v1/tasks/{2 ** 31}/release", headers=auth(small_exam, teacher))
    assert release.status_code == 422
    # nothing was written by any of them: the script is still held and takes a good mark
    good = client.post(url, json={"scores": {"S-I07": 5}, "seconds": 12.5}, headers=auth(small_exam, teacher))
    assert good.status_code == 200 and good.json()["duplicate"] is False
