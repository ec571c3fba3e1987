"""`xuequ marking serve` with two worker processes on PostgreSQL: markers log in, lease and submit over HTTP."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from marking.queue import open_marking, register_markers
from marking.sample import SampleItem, build_sample_exam
from models.db import session_scope
from models.marking import MarkingMark

ONE_ITEM = (SampleItem(1, "subjective", 10, 1),)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(base: str, server: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the server stopped: {server.stdout.read()}")
        try:
            if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("the marker API did not come up")


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_markers_mark_through_the_served_api_with_two_worker_processes(migrated_db):
    with session_scope(migrated_db) as session:
        exam = build_sample_exam(session, students_per_school=3, items=ONE_ITEM)
        open_marking(session, exam.exam_id)
        tokens = register_markers(session, exam.exam_id, exam.plan)
    markers = tokens[tokens["role"] == "marker"]
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    xuequ = str(Path(sys.executable).parent / "xuequ")
    server = subprocess.Popen([xuequ, "marking", "serve", "--db", migrated_db, "--port", str(port), "--workers", "2"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env=dict(os.environ))
    try:
        _wait_until_up(base, server)
        submitted = 0
        with httpx.Client(base_url=base, timeout=10) as client:
            for token, school in zip(markers["token"], markers["school_id"]):
                auth = {"Authorization": f"Bearer {token}"}
                assert client.post("/api/v1/login", json={"token": token}).json()["role"] == "marker"
                task = client.post("/api/v1/next", headers=auth).json()["task"]
                assert task is not None and set(task) >= {"task_id", "code", "items", "answers"}
                assert school not in task["code"]  # anonymous: a code, no school or student
                reply = client.post(f"/api/v1/tasks/{task['task_id']}/marks", headers=auth,
                                    json={"scores": {task["items"][0]["item_id"]: 5}, "seconds": 30})
                assert reply.status_code == 200 and reply.json()["duplicate"] is False
                again = client.post(f"/api/v1/tasks/{task['task_id']}/marks", headers=auth,
                                    json={"scores": {task["items"][0]["item_id"]: 5}, "seconds": 30})
                assert again.json()["duplicate"] is True  # a retried submit counts once
                submitted += 1
            assert client.post("/api/v1/next", headers={"Authorization": "Bearer nope"}).status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=30)
    with session_scope(migrated_db) as session:
        assert session.scalar(select(func.count()).select_from(MarkingMark)) == submitted == len(markers)
