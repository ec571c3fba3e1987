"""The term-schedule flow: roster → validate → versioned plan → files; re-planning keeps the rest."""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from sqlalchemy import select

from bundle.spec import EXPORT_COLUMNS
from flows.term_schedule import term_schedule
from models import AuditEntry, Plan
from models.db import session_scope

DEMO_POLICY = str(Path(__file__).resolve().parents[2] / "policies" / "demo_rotation.toml")


def first_cluster(url: str) -> str:
    from models import Cluster

    with session_scope(url) as session:
        return session.scalars(select(Cluster.cluster_id).order_by(Cluster.cluster_id)).first()


def test_term_schedule_stores_versions_and_replans_with_few_changes(demo_db, tmp_path):
    cluster = first_cluster(demo_db)
    first = term_schedule(school_year=2026, term=1, cluster_id=cluster, db_url=demo_db, out_dir=str(tmp_path / "v1"),
                          policy_file=DEMO_POLICY,
                          time_limit_s=20, calendar_time_limit_s=2)
    assert first.status in ("OPTIMAL", "FEASIBLE"), first.explanations
    # after the roster, the cluster's activity calendar, in the same folder, reading the roster just stored
    assert first.calendar is not None and first.calendar.activities > 0 and first.calendar.violations == []
    assert (tmp_path / "v1" / "calendar.csv").exists() and (tmp_path / "v1" / "calendar_notices.xlsx").exists()
    with open(tmp_path / "v1" / "rotation.csv", encoding="utf-8-sig") as handle:
        leaders = [r for r in csv.DictReader(handle) if r["kind"] == "leader"]
    with open(tmp_path / "v1" / "calendar.csv", encoding="utf-8-sig") as handle:
        busy = {(t, r["date"]) for r in csv.DictReader(handle) for t in r["teacher_ids"].split(";")}
    assert leaders and not any(  # no leader takes part in anything on an exchange day
        (r["teacher_id"], day) in busy for r in leaders for day in
        (str(dt.date.fromisoformat(r["start"]) + dt.timedelta(days=n)) for n in range(31))
        if r["start"] <= day <= r["end"] and dt.date.fromisoformat(day).isoweekday() == int(r["weekday"]))
    assert first.violations == []
    assert first.postings > 0 and first.version == 1
    with open(tmp_path / "v1" / "rotation.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [*EXPORT_COLUMNS["rotation"], "hours_per_week"]  # FORMATS allows more columns
    teacher_rows = [r for r in rows if r["kind"] == "teacher"]
    assert len(teacher_rows) == first.postings
    assert (tmp_path / "v1" / "rotation_rosters.xlsx").exists()

    dropped = teacher_rows[0]["teacher_id"]  # falls ill: may not rotate
    second = term_schedule(school_year=2026, term=1, cluster_id=cluster, db_url=demo_db, policy_file=DEMO_POLICY,
                           out_dir=str(tmp_path / "v2"), time_limit_s=20, forbids=[{"teacher_id": dropped}],
                           calendar=False)
    assert second.version == 2 and second.violations == []
    with open(tmp_path / "v2" / "rotation.csv", encoding="utf-8-sig") as handle:
        rows2 = list(csv.DictReader(handle))
    kept = {(r["teacher_id"], r["to_school_id"]) for r in rows2 if r["kind"] == "teacher"}
    before = {(r["teacher_id"], r["to_school_id"]) for r in teacher_rows}
    assert dropped not in {t for t, _ in kept}
    assert second.changed is not None and 1 <= second.changed <= 3
    assert len(before - kept) <= 2  # every other posting stays

    with session_scope(demo_db) as session:
        plans = session.scalars(select(Plan).where(Plan.kind == "rotation").order_by(Plan.version)).all()
        assert [p.version for p in plans] == [1, 2]
        assert plans[1].parent_plan_id == plans[0].plan_id
        assert plans[0].policy_set_id == plans[1].policy_set_id  # same policy text: one policy version
        assert len(plans[1].rotations) == len(rows2)
        audited = session.scalars(select(AuditEntry).where(AuditEntry.entity == "plan")).all()
        assert sorted(a.entity_id.split(":")[0] for a in audited) == ["calendar", "rotation", "rotation"]


def test_a_policy_the_cluster_cannot_meet_still_writes_a_roster_its_reasons_and_attainment(demo_db, tmp_path):
    """The default policy (40 km, 4 excellent teachers a year for each supported school) on the demo
    county: never "blocked" with nothing written."""
    cluster = first_cluster(demo_db)
    out = tmp_path / "strict"
    result = term_schedule(school_year=2026, term=1, cluster_id=cluster, db_url=demo_db, out_dir=str(out),
                           time_limit_s=20, calendar=False)
    assert result.status == "INFEASIBLE" and result.relaxed
    assert result.postings > 0 and result.leader_exchanges > 0
    assert result.violations == []  # everything the validator finds is named by the explanations
    explanations = (out / "rotation_explanations.txt").read_text(encoding="utf-8")
    assert "已重算验证" in explanations and explanations.count("\n") >= len(result.explanations)
    with open(out / "rotation_attainment.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["项目"].startswith("应交流") and rows[0]["硬性规则允许的上限"] != ""
    assert int(rows[0]["本方案"]) <= int(rows[0]["硬性规则允许的上限"])
    assert "硬性规则允许" in result.attainment and "尽力方案" in result.summary
    with open(out / "rotation.csv", encoding="utf-8-sig") as handle:
        assert sum(1 for r in csv.DictReader(handle) if r["kind"] == "teacher") == result.postings
