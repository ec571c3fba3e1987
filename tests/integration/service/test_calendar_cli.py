"""`xuequ calendar plan|held` on the mini bundle, on SQLite and PostgreSQL: the calendar is stored,
written (CSV, .ics, notices), an activity recorded as held stays as it was when the term is planned again.
(The planner itself is tested on generated counties in tests/unit/calendar.)"""
from __future__ import annotations

import csv

import icalendar
from sqlalchemy import select
from typer.testing import CliRunner

from service.cli import app

runner = CliRunner()


def test_plan_record_held_and_plan_again(mini_bundle, tmp_path, db_url):
    from models import AuditEntry, Plan
    from models.calendar import activities
    from models.db import session_scope

    assert runner.invoke(app, ["import", str(mini_bundle), "--db", db_url]).exit_code == 0
    out = tmp_path / "cal"
    args = ["calendar", "plan", "--cluster", "C1", "--year", "2026", "--term", "1", "--time-limit", "0.5",
            "--db", db_url]
    first = runner.invoke(app, [*args, "--out", str(out)])
    assert first.exit_code == 0, first.output
    assert "学区活动日历" in first.output and "李庄乡中心小学" in first.output and "第 1 版" in first.output
    assert "S1" not in first.output.split("日历 2026-1:C1")[0]  # names, not ids, in the summary
    assert "demo_lesson.presenter" in first.output  # a best-effort calendar names the policy key
    with open(out / "calendar.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:11] == ["cluster_id", "activity_id", "kind", "subject", "grade", "date", "start", "end",
                                  "host_school_id", "teacher_ids", "title"]
    assert (out / "calendar_notices.xlsx").exists() and (out / "calendar_explanations.txt").exists()
    school_feed = icalendar.Calendar.from_ical((out / "ics" / "school" / "S3.ics").read_bytes())
    assert 0 < sum(1 for r in rows if r["host_school_id"] == "S3") <= len(list(school_feed.walk("VEVENT")))

    chosen = rows[0]["activity_id"]
    held = runner.invoke(app, ["calendar", "held", "--activity", chosen, "--db", db_url])
    assert held.exit_code == 0 and "计划 → 已开展" in held.output
    unknown = runner.invoke(app, ["calendar", "held", "--activity", "C1-nothing", "--db", db_url])
    assert unknown.exit_code == 2 and "C1-nothing" in unknown.output and "Traceback" not in unknown.output

    second = runner.invoke(app, [*args, "--out", str(tmp_path / "again")])
    assert second.exit_code == 0, second.output
    with session_scope(db_url) as session:
        records = activities(session, "C1", 2026, 1)
        versions = [p.version for p in session.scalars(select(Plan).where(Plan.kind == "calendar"))]
        audited = session.scalars(select(AuditEntry).where(AuditEntry.entity == "calendar_activity")).all()
    kept = next(r for r in records if r.activity_id == chosen)
    assert kept.status == "held" and kept.date.isoformat() == rows[0]["date"] and kept.recorded_by
    assert sorted(versions) == [1, 2] and [a.entity_id for a in audited] == [chosen]
    assert len(records) == len(rows) and sum(r.status == "held" for r in records) == 1

    # the subscription addresses (日历订阅): one per school or teacher, the same one again, reissued on demand
    from app.calendar_feeds import feed_by_token

    def address(*extra: str) -> list[str]:
        done = runner.invoke(app, ["calendar", "feed", *extra, "--base-url", "https://xq.example.cn/", "--db", db_url])
        assert done.exit_code == 0, done.output
        return [line for line in done.output.split() if "://" in line]

    webcal, https = address("--school", "S3")
    assert webcal.startswith("webcal://xq.example.cn/feeds/") and https == "https://" + webcal[len("webcal://"):]
    assert address("--school", "S3") == [webcal, https]  # reused
    token = https.rsplit("/", 1)[1].removesuffix(".ics")
    feed = feed_by_token(token, url=db_url)
    assert feed is not None and "李庄乡中心小学" in feed.name
    events = list(icalendar.Calendar.from_ical(feed.text.encode()).walk("VEVENT"))
    assert {str(e["UID"]) for e in events} >= {f"{r.activity_id}@xuequ" for r in records
                                               if r.host_school_id == "S3"}
    assert any(str(e["STATUS"]) == "CONFIRMED" for e in events)
    new = address("--school", "S3", "--reissue")
    assert new != [webcal, https] and feed_by_token(token, url=db_url) is None  # the old address stops working
    teacher = address("--teacher", records[0].teacher_ids[0])
    assert teacher[0].startswith("webcal://")
    refused = runner.invoke(app, ["calendar", "feed", "--school", "S404", "--db", db_url])
    assert refused.exit_code == 2 and "S404" in refused.output and "Traceback" not in refused.output
