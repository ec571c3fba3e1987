"""`xuequ enrollment commit|run|verify` on files: the commitment, a run that must match it, the published
folder verified (with the inputs recomputed), and bad input as rows and columns with nothing written."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from demo.enrollment import generate_zone, write_zone_files
from service.cli import app

SEED = "cli-enrollment-seed-00000001"


def xuequ(*args: str):
    return CliRunner().invoke(app, list(args))


def test_commit_run_with_the_commitment_and_verify(tmp_path):
    made = xuequ("enrollment", "commit")
    assert made.exit_code == 0 and "种子（妥善保管，派位后公布）" in made.output
    committed = xuequ("enrollment", "commit", "--seed", SEED)
    commitment = committed.output.strip().rsplit("：", 1)[1]
    assert len(commitment) == 64 and "种子" not in committed.output  # a given seed is not echoed
    assert xuequ("enrollment", "commit", "--seed", "2026").exit_code == 2  # too short to keep secret

    applications, capacities = write_zone_files(generate_zone(applicants=120, schools=4, seed=5), tmp_path / "in")
    out = tmp_path / "out"
    common = ["enrollment", "run", "--applications", str(applications), "--capacities", str(capacities),
              "--zone", "Z1", "--out", str(out)]
    wrong = xuequ(*common, "--seed", SEED + "!", "--commitment", commitment)
    assert wrong.exit_code == 2 and "与已公布的承诺值不符" in wrong.output and not out.exists()
    done = xuequ(*common, "--seed", SEED, "--commitment", commitment, "--compare-da")
    assert done.exit_code == 0, done.output
    assert "片区 Z1：120 户报名" in done.output and "延迟接受对比" in done.output
    assert json.loads((out / "lottery.json").read_text(encoding="utf-8"))["commitment"] == commitment
    assert (out / "whatif_da.csv").exists()

    verified = xuequ("enrollment", "verify", str(out), "--commitment", commitment,
                     "--applications", str(applications), "--capacities", str(capacities))
    assert verified.exit_code == 0 and "录取结果与按规则重算一致" in verified.output
    other = tmp_path / "other_capacities.csv"
    other.write_text(capacities.read_text(encoding="utf-8-sig").replace(",S01,", ",S01,1"), encoding="utf-8")
    recomputed = xuequ("enrollment", "verify", str(out), "--applications", str(applications), "--capacities", str(other))
    assert recomputed.exit_code == 1 and "differ from the seeds' rule" in recomputed.output


def test_bad_input_is_listed_by_row_and_column_and_nothing_is_written(tmp_path):
    (tmp_path / "applications.csv").write_text(
        "报名编号,姓名,招生片区,原地段学校,第一志愿,第二志愿,第三志愿,积分\nA1,甲,Z1,P,P,,,八十\nA2,乙,Z1,P,Q,Q,,70\n",
        encoding="utf-8")
    (tmp_path / "capacities.csv").write_text("zone_id,school_id,seats,lottery\nZ1,P,1,0\n", encoding="utf-8")
    result = xuequ("enrollment", "run", "--applications", str(tmp_path / "applications.csv"), "--capacities",
                   str(tmp_path / "capacities.csv"), "--zone", "Z1", "--seed", SEED, "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "applications.csv 第2行 列 points" in result.output and "applications.csv 第3行 列 choice1" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()
