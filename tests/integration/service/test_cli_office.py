"""`xuequ meeting …` and `xuequ ledger` as the cluster office types them, on the small hand-made bundle."""
from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from service.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_meetings_decisions_carry_over_and_the_ledger(mini_bundle, tmp_path):
    # SQLite only, to keep the suite's time (the tables are plain; migrations run on PostgreSQL elsewhere)
    db_url = f"sqlite:///{tmp_path / 'office.db'}"
    assert run("import", str(mini_bundle), "--db", db_url).exit_code == 0
    first = run("meeting", "new", "--cluster", "C1", "--kind", "principals", "--date", "2026-09-07", "--db", db_url)
    assert first.exit_code == 0, first.output
    sept = "C1-2026-09-07-principals"
    assert sept in first.output
    minutes = tmp_path / "decisions.csv"
    minutes.write_text("text,host_school_id,assisting_school_ids,due\n"
                       "组织数学同课异构,S1,S2;李庄乡中心小学,2026-09-30\n"
                       "统一期中命题,城关镇第二小学,,2026-10-30\n", encoding="utf-8-sig")
    recorded = run("meeting", "minutes", "--meeting", sept, "--decisions", str(minutes), "--db", db_url)
    assert recorded.exit_code == 0 and "2" in recorded.output, recorded.output

    refused = run("meeting", "decision", "--id", f"{sept}-1", "--state", "late", "--db", db_url)
    assert refused.exit_code == 2 and "须说明原因" in refused.output and "Traceback" not in refused.output
    assert run("meeting", "decision", "--id", f"{sept}-1", "--state", "late", "--reason", "场地冲突",
               "--db", db_url).exit_code == 0

    octo = "C1-2026-10-12-principals"
    assert run("meeting", "new", "--cluster", "C1", "--date", "2026-10-12", "--db", db_url).exit_code == 0
    assert run("meeting", "agenda-item", "--meeting", octo, "--text", "期中联考安排", "--school", "S3",
               "--db", db_url).exit_code == 0
    out = tmp_path / "agenda.md"
    shown = run("meeting", "agenda", "--meeting", octo, "--out", str(out), "--db", db_url)
    assert shown.exit_code == 0, shown.output
    text = out.read_text(encoding="utf-8")
    # the agenda opens with September's decisions (names, not ids), then the item
    assert text.index("上次会议决议") < text.index("组织数学同课异构") < text.index("本次议题") < text.index("期中联考安排")
    assert "逾期：场地冲突" in text and "主办：实验小学" in text and "协助：城关镇第二小学、李庄乡中心小学" in text
    assert "（李庄乡中心小学）" in text

    bad_school = tmp_path / "bad.csv"
    bad_school.write_text("text,host_school_id,due\nx,S4,2026-10-30\n", encoding="utf-8")  # S4 is in C2
    wrong = run("meeting", "minutes", "--meeting", octo, "--decisions", str(bad_school), "--db", db_url)
    assert wrong.exit_code == 2 and "第2行" in wrong.output and "host_school_id" in wrong.output

    log = tmp_path / "exchange_log.csv"
    log.write_text("teacher_id,school_id,date,kind,count\nT01,S3,2026-09-20,attendance,20\n"
                   "T01,S3,2026-09-20,sleeping,1\n", encoding="utf-8")
    refused_log = run("ledger", "--year", "2026", "--out", str(tmp_path / "l"), "--log", str(log), "--db", db_url)
    assert refused_log.exit_code == 2 and "第3行" in refused_log.output
    ledger = run("ledger", "--year", "2026", "--out", str(tmp_path / "ledger"), "--no-quality", "--db", db_url)
    assert ledger.exit_code == 0, ledger.output
    frame = pd.read_csv(tmp_path / "ledger" / "ledger.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert {"ledger.xlsx", "ledger_summary.md", "dossiers.csv"} <= {p.name for p in (tmp_path / "ledger").iterdir()}
    # one principals' meeting held in September (minutes recorded), October's only planned: 1 of 4 months
    meetings = frame[(frame["rule"] == "principals_meetings") & (frame["cluster_id"] == "C1")]
    assert meetings[["target", "achieved", "school"]].values.tolist() == [["4", "1", "全学区"]]
    assert "实验小学" in set(frame["school"])  # names, not ids, in the person's column
    assert "## 城关第一学区：" in ledger.output  # the Chinese summary, by cluster name

    from models.db import dispose_engines

    dispose_engines(db_url)
