"""`xuequ calendar plan|held` on a generated county, on SQLite and PostgreSQL: the calendar is stored,
written (CSV, .ics, notices), an activity recorded as held stays as it was when the term is planned again."""
from __future__ import annotations

import csv

import icalendar
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from service.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def county_bundle(tmp_path_factory):
    from bundle.io import write_bundle
    from demo.district import generate_district

    folder = tmp_path_factory.mktemp("county")
    write_bundle(generate_district(seed=2, schools=3), folder)
    return folder


def test_plan_record_held_and_plan_again(county_bundle, tmp_path, db_url):
    from models import AuditEntry, Plan
    from models.calendar import activities
    from models.db import session_scope

    assert runner.invoke(app, ["import", str(county_bundle), "--db", db_url]).exit_code == 0
    out = tmp_path / "cal"
    args = ["calendar", "plan", "--cluster", "C01", "--year", "2026", "--term", "1", "--time-limit", "1",
            "--db", db_url]
    first = runner.invoke(app, [*args, "--out", str(out)])
    assert first.exit_code == 0, first.output
    assert "学区活动日历" in first.output and "实验中学" in first.output and "第 1 版" in first.output
    assert "S001" not in first.output.split("日历 2026-1:C01")[0]  # names, not ids, in the summary
    with open(out / "calendar.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:11] == ["cluster_id", "activity_id", "kind", "subject", "grade", "date", "start", "end",
                                  "host_school_id", "teacher_ids", "title"]
    assert (out / "calendar_notices.xlsx").exists() and (out / "calendar_explanations.txt").exists()
    school_feed = icalendar.Calendar.from_ical((out / "ics" / "school" / "S001.ics").read_bytes())
    assert len(list(school_feed.walk("VEVENT"))) >= sum(1 for r in rows if r["host_school_id"] == "S001")

    chosen = rows[0]["activity_id"]
    held = runner.invoke(app, ["calendar", "held", "--activity", chosen, "--db", db_url])
    assert held.exit_code == 0 and "计划 → 已开展" in held.output
    unknown = runner.invoke(app, ["calendar", "held", "--activity", "C01-nothing", "--db", db_url])
    assert unknown.exit_code == 2 and "C01-nothing" in unknown.output and "Traceback" not in unknown.output

    second = runner.invoke(app, [*args, "--out", str(tmp_path / "again")])
    assert second.exit_code == 0, second.output
    with session_scope(db_url) as session:
        records = activities(session, "C01", 2026, 1)
        versions = [p.version for p in session.scalars(select(Plan).where(Plan.kind == "calendar"))]
        audited = session.scalars(select(AuditEntry).where(AuditEntry.entity == "calendar_activity")).all()
    kept = next(r for r in records if r.activity_id == chosen)
    assert kept.status == "held" and kept.date.isoformat() == rows[0]["date"] and kept.recorded_by
    assert sorted(versions) == [1, 2] and [a.entity_id for a in audited] == [chosen]
    assert len(records) == len(rows) and sum(r.status == "held" for r in records) == 1
