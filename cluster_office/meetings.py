"""Joint meetings (联席会议) and their decisions (决议), seed 001 part 3.

"会议决定的问题，须明确主办学校和协助学校 … 如确有困难不能完成的，要在下次会议上向与会者说明原因"
and "本次会议 … 要交流和检查上一次会议决议的贯彻、执行与进度情况": every decision has a host school
(主办), assisting schools (协助), a deadline and a state; a late decision carries its reason; the next
meeting's agenda opens with the earlier decisions and their state.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

MEETING_KINDS = ("principals", "teaching", "monthly")  # 校长联席会议, 教学工作例会, 学区管理例会
DECISION_STATES = ("open", "done", "late")  # 进行中, 已完成, 逾期（须说明原因）


class DecisionRefused(ValueError):
    """A change of a decision's state the rules do not allow, in both languages."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en, self.zh = en, zh


@dataclass(frozen=True)
class DecisionRecord:
    """One decision (决议) of a meeting's minutes."""

    decision_id: str
    meeting_id: str
    date: dt.date  # the meeting's date
    text: str
    host_school_id: str  # 主办学校
    assisting_school_ids: tuple[str, ...] = ()  # 协助学校
    due: dt.date | None = None  # 完成期限
    status: str = "open"
    reason: str = ""  # why it is late (说明原因), required when status is late

    def overdue_on(self, day: dt.date) -> bool:
        """Still open after its deadline: it must be reported late, with a reason, at the next meeting."""
        return self.status == "open" and self.due is not None and self.due < day

    def needs_reason_on(self, day: dt.date) -> bool:
        return self.overdue_on(day) or (self.status == "late" and not self.reason.strip())


@dataclass(frozen=True)
class MeetingRecord:
    meeting_id: str
    cluster_id: str
    kind: str
    date: dt.date
    title: str = ""
    status: str = "planned"  # planned, held (minutes recorded)


@dataclass(frozen=True)
class AgendaItemRecord:
    meeting_id: str
    text: str
    school_id: str | None = None  # the school that proposed it (议题由各校提前报送)
    item_id: int | None = None


@dataclass(frozen=True)
class Agenda:
    """What the office sends before a meeting: first the earlier decisions and their state, then the items."""

    meeting: MeetingRecord
    carried: tuple[DecisionRecord, ...]  # decisions of earlier meetings to review, oldest meeting first
    items: tuple[AgendaItemRecord, ...]
    needs_reason: tuple[str, ...] = field(default=())  # decision ids overdue or late without a reason


def change_state(decision: DecisionRecord, status: str, reason: str | None = None) -> DecisionRecord:
    """The decision in its new state: done, or late with a reason; a done decision stays done."""
    reason = (reason or "").strip()
    if status not in DECISION_STATES:
        raise DecisionRefused(f"unknown state {status!r}: one of {', '.join(DECISION_STATES)}",
                              f"未知状态 {status!r}：可选 open（进行中）、done（已完成）、late（逾期）")
    if decision.status == "done" and status != "done":
        raise DecisionRefused(f"decision {decision.decision_id} is done; a done decision is not reopened "
                              "(record a new decision at the next meeting)",
                              f"决议 {decision.decision_id} 已完成，不能重新打开（请在下次会议另作决议）")
    if status == "late" and not (reason or decision.reason.strip()):
        raise DecisionRefused(f"decision {decision.decision_id} is late: give the reason (--reason)",
                              f"决议 {decision.decision_id} 逾期：须说明原因（--reason）")
    return replace(decision, status=status, reason=reason or (decision.reason if status == "late" else reason))


def carried_decisions(meeting: MeetingRecord, earlier: list[MeetingRecord],
                      decisions: list[DecisionRecord]) -> list[DecisionRecord]:
    """The decisions the meeting reviews first: every decision of the cluster's last earlier meeting
    (whatever its state, so the meeting hears what was done), and every decision of older meetings
    that is not done yet. Earlier means an earlier date (same date: an earlier id)."""
    before = sorted((m for m in earlier if m.cluster_id == meeting.cluster_id and m.meeting_id != meeting.meeting_id
                     and (m.date, m.meeting_id) < (meeting.date, meeting.meeting_id)),
                    key=lambda m: (m.date, m.meeting_id))
    if not before:
        return []
    last = before[-1].meeting_id
    order = {m.meeting_id: i for i, m in enumerate(before)}
    chosen = [d for d in decisions if d.meeting_id in order and (d.meeting_id == last or d.status != "done")]
    return sorted(chosen, key=lambda d: (order[d.meeting_id], d.decision_id))


def build_agenda(meeting: MeetingRecord, earlier: list[MeetingRecord], decisions: list[DecisionRecord],
                 items: list[AgendaItemRecord]) -> Agenda:
    carried = carried_decisions(meeting, earlier, decisions)
    return Agenda(meeting, tuple(carried), tuple(i for i in items if i.meeting_id == meeting.meeting_id),
                  tuple(d.decision_id for d in carried if d.needs_reason_on(meeting.date)))


def state_text(decision: DecisionRecord, on: dt.date, lang: str = "zh") -> str:
    """进行中 / 已完成 / 逾期：原因 / 逾期未说明原因 — as the agenda prints it on the meeting's day."""
    zh = lang == "zh"
    if decision.status == "done":
        return "已完成" if zh else "done"
    if decision.status == "late":
        if decision.reason.strip():
            return f"逾期：{decision.reason}" if zh else f"late: {decision.reason}"
        return "逾期，未说明原因" if zh else "late, no reason given"
    if decision.overdue_on(on):
        return "已过期限仍未完成，须说明原因" if zh else "past its deadline and not done: a reason is due"
    return "进行中" if zh else "open"
