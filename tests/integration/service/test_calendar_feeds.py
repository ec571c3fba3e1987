"""The stored calendar read back and served as feeds, on SQLite and PostgreSQL: the mini bundle with
a hall at every school and a lab at 实验小学 that 城关镇第二小学's class uses weekly (its teacher from
class_teachers.csv). What the console and a subscribed phone read must be what the planner stored."""
from __future__ import annotations

import shutil
from pathlib import Path

import icalendar
from typer.testing import CliRunner

from service.cli import app

FACILITIES = Path(__file__).resolve().parents[2] / "fixtures" / "calendar_facilities"  # the two optional files


def test_the_stored_calendar_and_its_feeds_carry_activities_and_bookings(mini_bundle, tmp_path, db_url):
    from app.activity_calendar import plan_activity_calendar, record_activity
    from app.calendar_feeds import feed_by_token, feed_link
    from app.calendar_view import school_ics, stored_calendar

    for name in ("facilities.csv", "facility_requests.csv"):
        shutil.copy(FACILITIES / name, mini_bundle / name)
    imported = CliRunner().invoke(app, ["import", str(mini_bundle), "--db", db_url])
    assert imported.exit_code == 0, imported.output
    planned = plan_activity_calendar(2026, 1, "C1", url=db_url, out_dir=tmp_path / "cal", time_limit_s=1.0,
                                     actor="学区办")
    assert planned.bookings == 1 and planned.activities > 0

    stored = stored_calendar("C1", 2026, 1, url=db_url)
    assert stored.version == 1 and len(stored.plan.activities) == planned.activities
    assert [s.policy_key for s in stored.shortfalls] and all(s.zh and s.en for s in stored.shortfalls)
    (booking,) = stored.plan.bookings
    assert (booking.request_id, booking.facility_id, booking.kind, booking.teacher_id) == ("R1", "F4", "lab", "T05")
    assert booking.dates and stored.names.teacher("T05") != "T05"

    cancelled = next(a for a in stored.plan.activities if a.host_school_id == "S2")
    record_activity(cancelled.activity_id, status="cancelled", actor="学区办", url=db_url)

    school = feed_link("school", "S2", actor="学区办", url=db_url)
    feed = feed_by_token(school.token, url=db_url)
    assert feed is not None
    events = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(feed.text.encode()).walk("VEVENT")}
    assert str(events[f"{cancelled.activity_id}@xuequ"]["STATUS"]) == "CANCELLED"
    lab_days = [u for u in events if u.startswith("R1-")]
    assert len(lab_days) == len(booking.dates)  # every week's session of the class's lab booking
    assert "实验小学科学实验室" in str(events[lab_days[0]]["LOCATION"])

    teacher = feed_by_token(feed_link("teacher", "T05", actor="学区办", url=db_url).token, url=db_url)
    assert teacher is not None and f"{lab_days[0]}" in teacher.text  # the class's teacher has the lab too
    lab_owner = feed_by_token(feed_link("school", "S1", actor="学区办", url=db_url).token, url=db_url)
    assert lab_owner is not None and lab_days[0] in lab_owner.text  # and the school whose lab it is

    # a teacher's feed has exactly the activities they take part in (found by the database, checked here)
    every = stored_calendar("C1", 2026, 1, url=db_url)
    for teacher_id in sorted({t for a in every.plan.activities for t in a.teacher_ids})[:6]:
        served = feed_by_token(feed_link("teacher", teacher_id, actor="学区办", url=db_url).token, url=db_url)
        uids = {str(e["UID"]) for e in icalendar.Calendar.from_ical(served.text.encode()).walk("VEVENT")
                if "@xuequ" in str(e["UID"]) and not str(e["UID"]).startswith("R1-")}
        assert uids == {f"{a.activity_id}@xuequ" for a in every.plan.activities
                        if teacher_id in a.teacher_ids or a.presenter_id == teacher_id}

    term_file = school_ics(stored_calendar("C1", 2026, 1, url=db_url), "S2")
    assert {u for u in events} == {str(e["UID"]) for e in icalendar.Calendar.from_ical(term_file.encode())
                                   .walk("VEVENT")}  # one term stored: the download and the feed agree


def test_a_posted_teachers_activities_are_in_the_host_schools_feed(mini_bundle, tmp_path, db_url):
    """交流轮岗: for the term a posted teacher belongs to the school they teach at, in the console's calendar
    and in the schools' feeds, as the planner counts them."""
    from app.activity_calendar import plan_activity_calendar
    from app.calendar_feeds import feed_by_token, feed_link
    from app.calendar_view import school_ics, stored_calendar
    from models import Plan, RotationAssignment
    from models.db import session_scope

    imported = CliRunner().invoke(app, ["import", str(mini_bundle), "--db", db_url])
    assert imported.exit_code == 0, imported.output
    plan_activity_calendar(2026, 1, "C1", url=db_url, out_dir=tmp_path / "cal", time_limit_s=1.0, actor="学区办")
    before = stored_calendar("C1", 2026, 1, url=db_url)
    schools = [s.school_id for s in before.data.schools]
    home = before.names.teacher_school
    # an activity one of whose teachers could be posted to a school that neither hosts it nor sends anyone
    activity, teacher, host = next((a, t, y) for a in before.plan.activities for t in a.teacher_ids for y in schools
                                   if y != a.host_school_id and y != home[t]
                                   and all(home.get(u) != y for u in a.teacher_ids))
    uid = f"{activity.activity_id}@xuequ"
    feed = feed_link("school", host, actor="学区办", url=db_url)
    assert uid not in feed_by_token(feed.token, url=db_url).text
    with session_scope(db_url) as session:
        session.info["actor"] = "学区办"
        roster = Plan(kind="rotation", scope="2026-1:C1", version=1, created_by="学区办")
        session.add(roster)
        session.flush()
        session.add(RotationAssignment(plan_id=roster.plan_id, seq=0, teacher_id=teacher, from_school_id=home[teacher],
                                       to_school_id=host, kind="teacher", direction="support", start="2026-09-01",
                                       end="2027-01-31", backbone=False, distance_km=3.0, subsidy_yuan_per_month=0.0))
    after = stored_calendar("C1", 2026, 1, url=db_url)
    assert after.names.teacher_school[teacher] == host
    assert uid in feed_by_token(feed.token, url=db_url).text  # the host school's feed has it now
    assert uid in school_ics(after, host)  # and so has the term's download
    assert uid in feed_by_token(feed_link("teacher", teacher, actor="学区办", url=db_url).token, url=db_url).text
