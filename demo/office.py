"""The demo county's cluster office: two principals' joint meetings with decisions carried from the
first to the second, a teaching meeting, and an exchange log (exchange_log.csv) simulated from the
rotation roster, so `xuequ demo` writes a ledger with something in every column."""
from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from bundle.cells import safe_frame


def simulate_exchange_log(url: str | None, school_year: int, seed: int = 1) -> pd.DataFrame:
    """exchange_log.csv rows from the stored rosters: days present, weekly logs and mentoring for each
    exchange teacher; lessons observed for each exchanged leader (some below the rule, on purpose)."""
    from models.db import session_scope
    from models.plans import Plan, RotationAssignment

    rng = random.Random(seed)
    rows = []
    with session_scope(url) as session:
        plans = session.scalars(select(Plan).where(Plan.kind == "rotation", Plan.school_year == school_year)).all()
        for a in session.scalars(select(RotationAssignment).where(
                RotationAssignment.plan_id.in_([p.plan_id for p in plans]))):
            start = dt.date.fromisoformat(a.start) if a.start else dt.date(school_year, 9, 1)
            when = (start + dt.timedelta(days=25)).isoformat()
            if a.kind == "teacher":
                rows.append((a.teacher_id, a.to_school_id, when, "attendance", rng.randint(60, 90)))
                rows.append((a.teacher_id, a.to_school_id, when, "log", rng.randint(8, 18)))
                if a.mentor_of:
                    rows.append((a.teacher_id, a.to_school_id, when, "mentoring", rng.randint(5, 30)))
                if rng.random() < 0.4:
                    rows.append((a.teacher_id, a.to_school_id, when, "demo_lesson", rng.randint(1, 2)))
            elif a.kind in ("leader", "principal"):
                rows.append((a.teacher_id, a.to_school_id, (start + dt.timedelta(days=7)).isoformat(), "observation",
                             rng.choice([1, 2, 2, 3])))
    return pd.DataFrame(rows, columns=["teacher_id", "school_id", "date", "kind", "count"]).assign(note="模拟 simulated")


def run_office(out: Path, school_year: int, cluster_id: str, url: str | None = None) -> str:
    """Meetings of one cluster with decisions, the exchange log, and the ledger of every cluster."""
    from app.ledger import build_ledger, import_exchange_log, write_ledger
    from app.meetings import add_agenda_item, agenda, new_meeting, record_minutes, set_decision_state
    from models.db import session_scope
    from models.district import School

    out.mkdir(parents=True, exist_ok=True)
    with session_scope(url) as session:
        schools = session.scalars(select(School).where(School.cluster_id == cluster_id)
                                  .order_by(School.is_lead.desc(), School.school_id)).all()
        ids = [s.school_id for s in schools]
    lead, members = ids[0], ids[1:] or ids[:1]
    actor = "demo 学区办"
    sept = new_meeting(cluster_id, "principals", dt.date(school_year, 9, 7), actor=actor, url=url)
    add_agenda_item(sept.meeting_id, "本学期交流轮岗名单与干部交流安排", actor=actor, school_id=lead, url=url)
    decisions = out / f"decisions_{sept.meeting_id}.csv"
    safe_frame(pd.DataFrame([
        {"text": "组织数学学科同课异构活动", "host_school_id": lead, "assisting_school_ids": ";".join(members[:2]),
         "due": f"{school_year}-09-30"},
        {"text": "统一期中联考命题与阅卷安排", "host_school_id": lead, "assisting_school_ids": ";".join(members),
         "due": f"{school_year}-10-20"},
        {"text": "交流教师师徒结对名单报学区办", "host_school_id": members[0], "assisting_school_ids": "",
         "due": f"{school_year}-09-20"},
    ])).to_csv(decisions, index=False, encoding="utf-8-sig")
    record_minutes(sept.meeting_id, decisions, actor=actor, url=url)
    set_decision_state(f"{sept.meeting_id}-1", "done", actor=actor, url=url)
    set_decision_state(f"{sept.meeting_id}-3", "late", reason="部分徒弟人选待定", actor=actor, url=url)
    teaching = new_meeting(cluster_id, "teaching", dt.date(school_year, 9, 14), actor=actor, url=url)
    record_minutes(teaching.meeting_id, _one_decision(out, teaching.meeting_id, lead, school_year), actor=actor, url=url)
    octo = new_meeting(cluster_id, "principals", dt.date(school_year, 10, 12), actor=actor, url=url)
    add_agenda_item(octo.meeting_id, "期中联考监考与阅卷安排", actor=actor, school_id=members[0], url=url)
    (out / f"agenda_{octo.meeting_id}.md").write_text(agenda(octo.meeting_id, url=url).text("zh"), encoding="utf-8")
    log = out / "exchange_log.csv"
    safe_frame(simulate_exchange_log(url, school_year)).to_csv(log, index=False, encoding="utf-8-sig")
    stored = import_exchange_log(log, url=url)
    ledger = build_ledger(school_year, url=url, quality=True)
    write_ledger(ledger, out / "ledger")
    met = sum(x.met for x in ledger.lines)
    return f"{cluster_id} 会议 3 次、决议 4 项；交流记录 {stored} 行；台账 {met}/{len(ledger.lines)} 项达标"


def _one_decision(out: Path, meeting_id: str, lead: str, school_year: int) -> Path:
    path = out / f"decisions_{meeting_id}.csv"
    safe_frame(pd.DataFrame([{"text": "各学科制定本学期集体备课计划", "host_school_id": lead,
                              "due": f"{school_year}-09-25"}])).to_csv(path, index=False, encoding="utf-8-sig")
    return path
