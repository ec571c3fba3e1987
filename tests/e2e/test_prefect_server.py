"""A real `prefect server start`, `prefect deploy --all`, a process worker, and a flow run through it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_deployment_runs_through_a_worker_on_a_real_server():
    env = dict(os.environ, XUEQU_BIN=str(Path(sys.executable).parent))
    env.pop("PREFECT_API_URL", None)
    result = subprocess.run(["bash", str(ROOT / "scripts" / "prefect_server_e2e.sh"), "question-setting/question-setting"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Completed" in result.stdout and "E2E OK" in result.stdout
