"""Decisions of joint meetings: late ones need a reason; the next agenda opens with the earlier decisions."""
from __future__ import annotations

import datetime as dt

import pytest

from bundle.problems import BundleError
from cluster_office.decisions_csv import read_decisions, write_decisions_csv
from cluster_office.meetings import (AgendaItemRecord, DecisionRecord, DecisionRefused, MeetingRecord, build_agenda,
                                     change_state, state_text)

D = dt.date
SEPT = MeetingRecord("C1-0907", "C1", "principals", D(2026, 9, 7), status="held")
OCT = MeetingRecord("C1-1005", "C1", "principals", D(2026, 10, 5), status="held")
NOV = MeetingRecord("C1-1102", "C1", "principals", D(2026, 11, 2))
OTHER = MeetingRecord("C2-1001", "C2", "principals", D(2026, 10, 1), status="held")


def decision(did, meeting, due, status="open", reason=""):
    return DecisionRecord(did, meeting.meeting_id, meeting.date, f"决议 {did}", "L", ("A",), due, status, reason)


def test_a_late_decision_needs_a_reason_and_a_done_one_stays_done():
    d = decision("d1", SEPT, D(2026, 9, 30))
    with pytest.raises(DecisionRefused) as refused:
        change_state(d, "late")
    assert "原因" in refused.value.zh
    late = change_state(d, "late", "场地未落实")
    assert (late.status, late.reason) == ("late", "场地未落实")
    assert change_state(late, "late").reason == "场地未落实"  # the reason already given is kept
    done = change_state(late, "done")
    assert done.status == "done"
    with pytest.raises(DecisionRefused):
        change_state(done, "open")
    with pytest.raises(DecisionRefused):
        change_state(d, "finished")


def test_next_agenda_opens_with_the_last_decisions_and_older_open_ones():
    decisions = [decision("s1", SEPT, D(2026, 9, 30), "done"), decision("s2", SEPT, D(2026, 10, 20)),
                 decision("s3", SEPT, D(2026, 9, 20), "late", "教师外出培训"),
                 decision("o1", OCT, D(2026, 10, 25), "done"), decision("o2", OCT, D(2026, 10, 31)),
                 decision("o3", OCT, D(2026, 12, 31)), decision("x1", OTHER, D(2026, 10, 2))]
    items = [AgendaItemRecord("C1-1102", "期中联考安排", "A"), AgendaItemRecord("C1-1005", "旧议题", "B")]
    agenda = build_agenda(NOV, [SEPT, OCT, OTHER, NOV], decisions, items)
    # October's decisions all (o1 done too), September's not done (s2 open, s3 late); none of C2's
    assert [d.decision_id for d in agenda.carried] == ["s2", "s3", "o1", "o2", "o3"]
    assert [i.text for i in agenda.items] == ["期中联考安排"]
    # on 2 November: s2 (due 20 Oct) and o2 (due 31 Oct) are past their deadline and still open
    assert agenda.needs_reason == ("s2", "o2")
    by_id = {d.decision_id: d for d in agenda.carried}
    assert state_text(by_id["s3"], NOV.date) == "逾期：教师外出培训"
    assert "须说明原因" in state_text(by_id["o2"], NOV.date)
    assert state_text(by_id["o3"], NOV.date) == "进行中"
    # the first meeting of a cluster carries nothing
    assert build_agenda(SEPT, [SEPT, OCT], decisions, items).carried == ()


def test_decisions_csv_round_trip_and_row_column_messages(tmp_path):
    good = tmp_path / "decisions.csv"
    good.write_text("meeting_id,decision_id,date,text,host_school_id,assisting_school_ids,due,status,reason\n"
                    ",,,组织数学同课异构,L,A;西河小学,2026-10-30,,\n"
                    "C1-1005,k2,,统一期中命题,城关一小,,2026-10-20,逾期,命题教师未定\n", encoding="utf-8-sig")
    names = {"L": "城关一小", "A": "东山小学", "B": "西河小学"}
    rows = read_decisions(good, meeting_id="C1-1005", meeting_date=D(2026, 10, 5), cluster_schools=set(names),
                          school_names=names)
    assert [(d.decision_id, d.host_school_id, d.assisting_school_ids, d.status) for d in rows] == [
        ("C1-1005-1", "L", ("A", "B"), "open"), ("k2", "L", (), "late")]
    again = read_decisions(write_decisions_csv(rows, tmp_path / "out.csv"), meeting_id="C1-1005",
                           meeting_date=D(2026, 10, 5), cluster_schools=set(names))
    assert again == rows

    bad = tmp_path / "bad.csv"
    bad.write_text("text,host_school_id,due,status,reason\n"
                   "a,Z,2026-10-30,,\n"
                   "b,L,2026-09-01,,\n"
                   "c,L,2026-10-30,late,\n"
                   ",L,soon,,\n", encoding="utf-8")
    with pytest.raises(BundleError) as error:
        read_decisions(bad, meeting_id="C1-1005", meeting_date=D(2026, 10, 5), cluster_schools=set(names))
    found = {(p.row, p.column) for p in error.value.problems}
    assert found == {(2, "host_school_id"), (3, "due"), (4, "reason"), (5, "text"), (5, "due")}
