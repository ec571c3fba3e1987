"""Every command that takes `--policy FILE` refuses a bad file in one line, before any work: no traceback."""
from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app

runner = CliRunner()
POLICIES = Path(__file__).resolve().parents[3] / "policies"

#: command line (without --policy) → the area whose policy file it takes
COMMANDS = {
    "rotation plan": (["rotation", "plan", "--year", "2026", "--term", "1"], "rotation"),
    "rotation explain": (["rotation", "explain", "--year", "2026", "--term", "1"], "rotation"),
    "invigilation plan": (["invigilation", "plan", "--exam", "E1"], "exam_logistics"),
    "invigilation forbid": (["invigilation", "forbid", "--exam", "E1", "--teacher", "T1"], "exam_logistics"),
    "invigilation repair": (["invigilation", "repair", "--exam", "E1", "--absent", "T1"], "exam_logistics"),
    "marking plan": (["marking", "plan", "--exam", "E1"], "exam_logistics"),
    "marking open": (["marking", "open", "--exam", "E1"], "marking"),
    "marking finalise": (["marking", "finalise", "--exam", "E1"], "marking"),
    "season run": (["season", "run", "--exam", "E1"], "exam_logistics"),
    "report": (["report", "--exam", "E1"], "analysis"),
    "paper approve": (["paper", "approve", "--exam", "E1", "--subject", "math", "--swap", "Q1"], "question_setting"),
    "paper assemble": (["paper", "assemble", "--exam", "E1", "--subject", "math"], "question_setting"),
}


def bad_files(tmp_path: Path, area: str) -> dict[str, tuple[Path, str]]:
    """Each way a policy file goes wrong → (file, a word the one line must hold)."""
    text = (POLICIES / f"{area}.toml").read_text(encoding="utf-8")
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes(text.encode("gbk", errors="replace"))
    not_toml = tmp_path / "not.toml"
    not_toml.write_text("[quota\nmin_fraction = 0.1\n", encoding="utf-8")
    key = {"rotation": "[distance]\nmax_km", "exam_logistics": "[invigilation]\nmax_km", "marking": "[queue]\nlease_seconds",
           "question_setting": "[assembly]\nchange_weight", "analysis": "t_sd"}[area]
    infinite = tmp_path / "inf.toml"
    infinite.write_text(f"{key} = inf\n", encoding="utf-8")
    return {"missing": (tmp_path / "nowhere.toml", "不存在"), "gbk": (gbk, "GBK"), "not toml": (not_toml, "TOML"),
            "inf": (infinite, "有限数值")}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_bad_policy_file_is_one_line_and_exit_2(command, tmp_path):
    args, area = COMMANDS[command]
    db = f"sqlite:///{tmp_path / 'none.db'}"
    for case, (path, word) in bad_files(tmp_path, area).items():
        result = runner.invoke(app, [*args, "--policy", str(path), "--db", db])
        assert result.exit_code == 2, (case, result.output)
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1, (case, result.output)
        assert str(path) in lines[0] and word in lines[0], (case, lines[0])
        assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not (tmp_path / "none.db").exists()  # refused before touching the database


def test_season_run_names_the_area_of_each_file(tmp_path):
    bad = tmp_path / "analysis.toml"
    bad.write_text("pass_fraction = 1.5\n", encoding="utf-8")
    result = runner.invoke(app, ["season", "run", "--exam", "E1", "--policy", f"analysis={bad}",
                                 "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    assert result.exit_code == 2 and "[analysis] pass_fraction" in result.output and str(bad) in result.output
    result = runner.invoke(app, ["season", "run", "--exam", "E1", "--policy", f"rotation={bad}",
                                 "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    assert result.exit_code == 2 and "exam_logistics" in result.output


def test_policy_edit_refuses_a_gbk_file_in_the_same_one_line(tmp_path, db_url):
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes((POLICIES / "rotation.toml").read_text(encoding="utf-8").encode("gbk", errors="replace"))
    result = runner.invoke(app, ["policy", "edit", "--scope", "C1", "--year", "2026", "--file", str(gbk),
                                 "--db", db_url])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "未保存" in lines[0] and str(gbk) in lines[0] and "GBK" in lines[0]
    nan = tmp_path / "nan.toml"
    nan.write_text("[quota]\nmin_fraction = nan\n", encoding="utf-8")
    result = runner.invoke(app, ["policy", "edit", "--scope", "C1", "--year", "2026", "--file", str(nan),
                                 "--db", db_url])
    assert result.exit_code == 2 and "[quota] min_fraction" in result.output and str(nan) in result.output
