"""The 密封 test: nothing a marker receives from the marker API names a student, a class or a school.

A small exam whose scanned answers sit at paths that name the student (`scan/<exam>/<学籍号>/<题号>.png`,
as a scanning centre might store them), with students' names, classes and schools of their own,
is marked through the API: login, me, next, the scanned images, submit (with the next script), a third mark, the
arbitration queue and arbitration, progress, and every kind of error. Every field of every response
(and every header) is checked against the student table's ids, names, schools and classes.
"""
from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from marking.policy import MarkingPolicy
from marking.sample import SampleItem
from models.district import School, Student
from models.exams import Response
from models.marking import MarkingScript
from service.marker_api import create_app

from .conftest import open_exam

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32  # enough of an image for a browser's type sniffing
ITEMS = (SampleItem(1, "subjective", 10, 1, item_group="G1"), SampleItem(2, "subjective", 6, 1, item_group="G1"))


class Recorder:
    """A test client that keeps every response it got."""

    def __init__(self, client: TestClient):
        self.client, self.seen = client, []

    def __call__(self, method: str, path: str, token: str | None = None, **options):
        headers = options.pop("headers", {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = self.client.request(method, path if path.startswith("/") else f"/api/v1/{path}",
                                       headers=headers, **options)
        self.seen.append((method, path, response))
        return response


def _strings(value) -> list[str]:
    """Every key and value of a JSON document, as text."""
    if isinstance(value, dict):
        return [text for k, v in value.items() for text in [str(k), *_strings(v)]]
    if isinstance(value, list):
        return [text for v in value for text in _strings(v)]
    return [str(value)]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_no_marker_response_names_a_student_class_or_school(migrated_db, tmp_path):
    adjacent = MarkingPolicy.from_dict({"queue": {"second_mark_lag": 0}})  # both marks of a script in turn
    exam = open_exam(migrated_db, policy=adjacent, prefix="Q", students_per_school=2, items=ITEMS,
                     opaque_teachers=True)
    with exam.session() as session:
        for k, student_id in enumerate(exam.sample.student_ids):
            session.execute(update(Student).where(Student.student_id == student_id).values(name=f"王小明{k:02d}"))
        session.commit()
        students = session.execute(select(Student.student_id, Student.name, Student.class_id, Student.school_id)).all()
        schools = session.execute(select(School.school_id, School.name)).all()
        answers = session.scalars(select(Response.answer).where(Response.answer.like("scan/%"))).all()
    forbidden = {v for row in students for v in row} | {v for row in schools for v in row}
    # the test can fail: the files' paths name the students (what the API must not pass on)
    assert answers and all(any(s.student_id in a for s in students) for a in answers)
    for reference in answers:
        (tmp_path / reference).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / reference).write_bytes(PNG)
    tokens = exam.tokens.set_index("teacher_id")
    markers = exam.tokens[exam.tokens["role"] == "marker"]
    by_school = {school: list(group["token"]) for school, group in markers.groupby("school_id")}
    leaders = list(exam.tokens[exam.tokens["role"] == "leader"]["token"])

    with TestClient(create_app(exam.url, policy=exam.policy, scan_root=tmp_path)) as client:
        api = Recorder(client)
        first, other = by_school["Q-SCH2"][:2]
        for token in tokens["token"]:
            assert api("POST", "login", json={"token": token}).status_code == 200
            assert api("GET", "me", token).status_code == 200
        # first mark: the scanned answers by key, to the holder and the group's leader only
        task = api("POST", "next", first).json()["task"]
        assert set(task["scans"]) == {"Q-I01", "Q-I02"} and task["answers"] == {"Q-I01": None, "Q-I02": None}
        for url in task["scans"].values():
            image = api("GET", url, first)
            assert image.status_code == 200 and image.content == PNG and image.headers["content-type"] == "image/png"
            assert api("GET", url, leaders[0]).status_code == 200
            assert api("GET", url, other).json()["detail"]["code"] == "scan_forbidden"  # holds no lease on it
        assert api("GET", "scans/NOSUCHCODE1-1", first).status_code == 404
        assert api("GET", "scans/../../etc/passwd", first).status_code == 404
        scores = {"Q-I01": 1, "Q-I02": 0}
        # the page's path: the submit brings the next script (its fields are checked like /next's)
        marked = api("POST", f"tasks/{task['task_id']}/marks", first, json={"scores": scores, "seconds": 30,
                                                                             "next": True})
        assert marked.status_code == 200 and marked.json()["next"]["task"]["code"] != task["code"]
        # second and third marks (of other schools than the script's) disagree: the script goes to arbitration
        with exam.session() as session:
            school = session.scalar(select(MarkingScript.school_id).where(MarkingScript.code == task["code"]))
        second, third = [t for s, ts in sorted(by_school.items()) if s != school for t in ts if t != first][:2]
        for token, score in ((second, 9), (third, 5)):
            task = api("POST", "next", token).json()["task"]
            given = {i["item_id"]: (score if i["item_id"] == "Q-I01" else 0) for i in task["items"]}
            assert api("POST", f"tasks/{task['task_id']}/marks", token, json={"scores": given}).status_code == 200
        leader = next(t for t in leaders if api("POST", "arbitration/next", t).json()["task"] is not None)
        assert api("GET", "arbitration", leader).json()["waiting"] == 0
        arbitration = api("POST", "arbitration/next", leader).json()["task"]
        assert arbitration["kind"] == "arbitration" and len(arbitration["earlier_marks"]) == 3
        assert api("GET", arbitration["scans"]["Q-I01"], leader).status_code == 200
        assert api("POST", f"tasks/{arbitration['task_id']}/marks", leader,
                   json={"scores": {"Q-I01": 4}}).json()["script_status"] == "final"
        assert api("GET", "me/progress", first).json()["marker"]["marks"] == 1
        assert api("GET", "group/progress", leader).json()["group"]["final"] == 1
        # errors of every kind, some with a student's id in the request
        student = students[0].student_id
        assert api("GET", "me", "not-a-token").status_code == 401
        assert api("GET", "group/progress", first).status_code == 403
        assert api("GET", "no/such/thing", first).status_code == 404
        assert api("POST", f"tasks/{task['task_id']}/marks", first, json={"scores": scores}).status_code == 409
        assert api("POST", "next", first, content=b"x" * (65 * 1024)).status_code == 413
        task = api("POST", "next", first).json()["task"]
        assert api("POST", f"tasks/{task['task_id']}/marks", first,
                   json={"scores": {student: 1}}).status_code == 422
        assert api("POST", f"tasks/{task['task_id']}/marks", first,
                   content=json.dumps({"scores": {"Q-I01": 1, "Q-I02": 0}, "seconds": student}),
                   headers={"Content-Type": "application/json"}).status_code == 422
        assert api("POST", f"tasks/{2 ** 31}/marks", first, json={"scores": scores}).status_code == 422
        assert api("GET", f"scans/{task['code']}-9", first).status_code == 404

    checked = 0
    for method, path, response in api.seen:
        texts = [f"{k}: {v}" for k, v in response.headers.items()]
        if response.headers.get("content-type", "").startswith("application/json"):
            body = response.json()
            texts += _strings(body) + [response.text]
            if response.status_code >= 400:  # every error has the one shape, with a Chinese message
                assert set(body["detail"]) == {"code", "message"}, (method, path, body)
                assert any("\u4e00" <= c <= "\u9fff" for c in body["detail"]["message"]), body
        for text in texts:
            leaked = [value for value in forbidden if value and value in text]
            assert not leaked, f"{method} {path} ({response.status_code}) shows {leaked}: {text[:200]}"
            checked += 1
    assert len(api.seen) > 40 and checked > 500
