"""`xuequ season run` stops cleanly: a kill leaves no temporary Prefect server, a review timeout is one line."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from sqlalchemy import select

from models.db import session_scope

ROOT = Path(__file__).resolve().parents[2]


def _exam_id(url: str) -> str:
    from models import ExamSession

    with session_scope(url) as session:
        return session.scalars(select(ExamSession.exam_id).limit(1)).one()


def _server_children(process: psutil.Process) -> list[psutil.Process]:
    """The temporary Prefect API servers among a process's descendants (`python -m uvicorn … prefect.server`)."""
    found = []
    for child in process.children(recursive=True):
        try:
            command = " ".join(child.cmdline())
        except psutil.Error:
            continue
        if "uvicorn" in command and "prefect.server" in command:
            found.append(child)
    return found


def _listening(server: psutil.Process) -> bool:
    try:
        return any(c.status == psutil.CONN_LISTEN for c in server.net_connections(kind="tcp"))
    except psutil.Error:
        return False


@pytest.mark.slow
def test_a_killed_season_run_leaves_no_prefect_server_behind(demo_db, tmp_path):
    """SIGTERM (a supervisor, `kill`): Python's default ends at once, past Prefect's atexit hook that stops
    the server. (SIGINT takes the same path through `stops_cleanly`; one signal keeps this test short.)"""
    signum = signal.SIGTERM
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PREFECT_HOME": str(tmp_path / "prefect")}
    env.pop("PREFECT_API_URL", None)  # as a user runs it: no server, so the season starts a temporary one
    season = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "season", "run", "--exam", _exam_id(demo_db), "--db", demo_db,
         "--out", str(tmp_path / "out"), "--approval-timeout", "600"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    servers: list[psutil.Process] = []
    try:
        parent = psutil.Process(season.pid)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and season.poll() is None:
            servers = _server_children(parent)
            if servers and all(_listening(s) for s in servers):
                break
            time.sleep(0.2)
        assert servers, "the season never started a temporary Prefect server"
        time.sleep(1.0)  # into the season's flows, past the server's start
        season.send_signal(signum)
        _, err = season.communicate(timeout=60)
        assert season.returncode == 130, err
        assert "考试季已停止" in err and "Traceback" not in err
        gone, alive = psutil.wait_procs(servers, timeout=10)
        assert not alive, f"temporary Prefect server still running: {[p.pid for p in alive]}"
    finally:  # never leave our own processes behind, whatever failed above
        for process in [*servers, season]:
            try:
                process.kill()
            except (psutil.Error, ProcessLookupError):
                pass


@pytest.mark.slow
def test_a_review_timeout_prints_one_line_not_a_traceback(demo_db, tmp_path, monkeypatch):
    """The pause times out: the season is left waiting, and the command says so in one line, exit 0."""
    from typer.testing import CliRunner

    from domain.vocab import SUBJECTS
    from app.paper_setting import exam_context
    from models import SeasonStage
    from service.cli import app

    monkeypatch.setenv("XUEQU_DATABASE_URL", demo_db)  # the CLI sets both; restore them afterwards
    monkeypatch.setenv("PREFECT_LOGGING_LEVEL", os.environ.get("PREFECT_LOGGING_LEVEL", "INFO"))
    exam_id = _exam_id(demo_db)
    facts = exam_context(demo_db, exam_id)
    records: list[logging.LogRecord] = []
    collect = logging.Handler(level=logging.INFO)
    collect.emit = records.append  # Prefect's loggers do not propagate to the root (caplog would see nothing)
    prefect_logger = logging.getLogger("prefect")
    prefect_logger.addHandler(collect)
    try:
        result = CliRunner().invoke(app, ["season", "run", "--exam", exam_id, "--db", demo_db, "--out",
                                          str(tmp_path / "out"), "--approval-timeout", "2"])
    finally:
        prefect_logger.removeHandler(collect)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    names = "、".join(SUBJECTS[s] for s in facts["subjects"])  # nothing reviewed yet: every paper waits
    assert lines[0] == (f"{facts['name']} {names}试卷待审：请用 xuequ paper approve --exam {exam_id} --subject "
                        f"{facts['subjects'][0]} 审核后再运行 xuequ season run --exam {exam_id}")
    assert any("Pausing flow" in r.getMessage() for r in records)  # the handler saw the pause ...
    errors = [r.getMessage() for r in records if r.levelno >= logging.ERROR or "Failed" in r.getMessage()]
    assert not errors  # ... and no error, no "Failed": the pause timing out is the season waiting
    with session_scope(demo_db) as session:
        assert session.get(SeasonStage, (exam_id, "approval")).status == "waiting"
