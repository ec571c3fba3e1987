"""The command line speaks to people: season status in pipeline order and in Chinese, an unknown exam is a
one-line error (exit 2) for every command that takes one."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from app.stages import STAGES
from service.cli import app

runner = CliRunner()


@pytest.fixture
def district(mini_bundle, tmp_path) -> str:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    assert runner.invoke(app, ["import", str(mini_bundle), "--db", db]).exit_code == 0
    return db


def test_season_status_lists_every_stage_in_pipeline_order_in_chinese(district):
    from app.stages import StageOutcome
    from flows.common import record_stage

    record_stage(district, "E1", StageOutcome("logistics", "done", "监考安排第 1 版"))
    record_stage(district, "E1", StageOutcome("setting", "done", "3 份试卷"))
    result = runner.invoke(app, ["season", "status", "--exam", "E1", "--db", district])
    assert result.exit_code == 0, result.output
    first_cells = [line.split("│")[1].strip() for line in result.output.splitlines() if line.startswith("│")]
    assert first_cells == [zh for _, zh, _ in STAGES]  # 命题组卷 → 审题 → … → 成绩分析, whatever order they ran in
    assert "2026学年第一学期八年级期中联考" in result.output and "完成" in result.output and "未开始" in result.output
    assert "下一步：审题" in result.output
    english = runner.invoke(app, ["season", "status", "--exam", "E1", "--db", district, "--lang", "en"])
    assert "question setting" in english.output and "next: approval" in english.output


@pytest.mark.parametrize("command", [
    ["season", "status"], ["season", "run"], ["invigilation", "plan"], ["marking", "explain"], ["report"],
])
def test_an_unknown_exam_is_one_line_and_exit_2(district, command):
    result = runner.invoke(app, [*command, "--exam", "NOPE", "--db", district])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == ["没有考试 'NOPE'：请先导入其 exam_sessions.csv（xuequ import），或检查考试编号"]
