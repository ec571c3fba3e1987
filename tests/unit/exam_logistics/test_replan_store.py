"""`xuequ invigilation forbid / pin / repair`: each stores a new version and prints what changed."""
from collections import Counter

import pytest

from typer.testing import CliRunner

from service.cli import app

runner = CliRunner()


@pytest.mark.slow
def test_forbid_and_repair_store_new_versions(mini_bundle, tmp_path):
    from app.exam_logistics import LOGISTICS_TABLES, latest_invigilation, store_logistics
    from models.bundles import export_tables
    from models.db import session_scope
    from scheduling.exam_logistics import invigilation_input_from_tables, load_policies, plan_invigilation

    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert runner.invoke(app, ["import", str(mini_bundle), "--db", url]).exit_code == 0
    policy, _ = load_policies()
    with session_scope(url) as session:
        tables = export_tables(session, LOGISTICS_TABLES)
    data = invigilation_input_from_tables(tables, "E1")
    first = plan_invigilation(data, policy, time_limit_s=10)
    assert first.ok
    store_logistics(url, "E1", first, None, {}, "test")

    # E1 is cluster C2's exam of 2026, term 1: C2's stored exam-logistics policy is the one in force
    from pathlib import Path as _Path

    own = tmp_path / "c2.toml"
    own.write_text("# 河口学区的版本\n" + (_Path(__file__).resolve().parents[3] / "policies" / "exam_logistics.toml")
                   .read_text(encoding="utf-8"), encoding="utf-8")
    assert runner.invoke(app, ["policy", "edit", "--area", "exam_logistics", "--scope", "C2", "--year", "2026",
                               "--term", "1", "--file", str(own), "--db", url]).exit_code == 0

    busy = Counter(a.teacher_id for a in first.assignments).most_common(1)[0][0]
    out = runner.invoke(app, ["invigilation", "forbid", "--exam", "E1", "--teacher", busy, "--db", url,
                              "--out", str(tmp_path / "out"), "--time-limit", "10"])
    assert out.exit_code == 0, out.output
    name = data.teacher_by_id[busy].label
    assert "第 2 版" in out.output and f"撤下 {name}" in out.output
    _, version, rows, _, pins, forbids = latest_invigilation(url, "E1")
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from models import Plan, PolicySet

    engine = create_engine(url)
    with Session(engine) as session:
        stored = session.scalars(select(Plan).where(Plan.kind == "invigilation", Plan.version == 2)).one()
        policy_id = session.scalars(select(PolicySet.policy_set_id).where(PolicySet.scope == "C2/exam_logistics")).one()
        assert stored.policy_set_id == policy_id and stored.summary["policy"]["source"] == "cluster"
        assert stored.policy_content.startswith("# 河口学区的版本")
    engine.dispose()
    assert version == 2 and busy not in {a.teacher_id for a in rows} and [f.teacher_id for f in forbids] == [busy]
    assert (tmp_path / "out" / "invigilation.csv").exists() and (tmp_path / "out" / "invigilation_relaxations.csv").exists()

    absent = next(a.teacher_id for a in rows)
    out = runner.invoke(app, ["invigilation", "repair", "--exam", "E1", "--absent", absent, "--db", url,
                              "--out", str(tmp_path / "out"), "--lang", "en"])
    assert out.exit_code == 0, out.output
    assert "v3" in out.output and "removed" in out.output
    _, version, rows3, _, _, forbids = latest_invigilation(url, "E1")
    assert version == 3 and {f.teacher_id for f in forbids} == {busy, absent}
    assert absent not in {a.teacher_id for a in rows3} and busy not in {a.teacher_id for a in rows3}
    # the repair touched only the absent teacher's places and their fillers
    assert len({(a.teacher_id, a.session_id, a.site_school_id, a.room_id, a.role) for a in rows}
               ^ {(a.teacher_id, a.session_id, a.site_school_id, a.room_id, a.role) for a in rows3}) \
        <= 4 * sum(a.teacher_id == absent for a in rows) + 2

    missing = runner.invoke(app, ["invigilation", "forbid", "--exam", "NOPE", "--teacher", busy, "--db", url])
    assert missing.exit_code == 2 and "invigilation plan --exam NOPE" in missing.output
