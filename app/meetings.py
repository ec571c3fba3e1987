"""Joint meetings (联席会议) for the cluster office: schedule one, take agenda items, send the agenda
(the earlier decisions and their state first), record the minutes' decisions, update a decision.

Called alike by `xuequ meeting …`, the demo and the web console. Pure rules: cluster_office.meetings."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UserError
from cluster_office.decisions_csv import read_decisions
from cluster_office.meetings import (MEETING_KINDS, Agenda, AgendaItemRecord, DecisionRecord, DecisionRefused,
                                     MeetingRecord, build_agenda, change_state, state_text)
from domain.labels import label
from models.db import session_scope
from models.district import Cluster, School
from models.meetings import AgendaItem, Meeting, MeetingDecision


def _date(value: str | dt.date) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{value!r} is not a date (YYYY-MM-DD)", f"{value!r} 不是日期（YYYY-MM-DD）") from None


def meeting_record(row: Meeting) -> MeetingRecord:
    return MeetingRecord(row.meeting_id, row.cluster_id, row.kind, dt.date.fromisoformat(row.date), row.title,
                         row.status)


def decision_record(row: MeetingDecision, meeting: Meeting) -> DecisionRecord:
    return DecisionRecord(row.decision_id, row.meeting_id, dt.date.fromisoformat(meeting.date), row.text,
                          row.host_school_id, tuple(row.assisting_school_ids or ()),
                          dt.date.fromisoformat(row.due) if row.due else None, row.status, row.reason or "")


def _meeting(session: Session, meeting_id: str) -> Meeting:
    row = session.get(Meeting, meeting_id)
    if row is None:
        raise UserError(f"no meeting {meeting_id!r}: `xuequ meeting list --cluster C` shows them",
                        f"没有会议 {meeting_id!r}：`xuequ meeting list --cluster 学区编号` 可查看")
    return row


MAX_TITLE = 200  # meeting.title


def new_meeting(cluster_id: str, kind: str, date: str | dt.date, *, actor: str, title: str = "",
                meeting_id: str | None = None, url: str | None = None) -> MeetingRecord:
    """Schedule a meeting of the cluster; its id is cluster-date-kind unless one is given."""
    day = _date(date)
    if kind not in MEETING_KINDS:
        raise UserError(f"unknown meeting kind {kind!r}: one of {', '.join(MEETING_KINDS)}",
                        f"未知的会议类型 {kind!r}：可选 principals（校长联席会议）、teaching（教学工作例会）、monthly（学区管理例会）")
    if len(title) > MAX_TITLE:  # the column's width: a database error must never reach the person
        raise UserError(f"the title is longer than {MAX_TITLE} characters", f"会议名称超过 {MAX_TITLE} 个字，请缩短")
    with session_scope(url) as session:
        cluster = session.get(Cluster, cluster_id)
        if cluster is None:
            raise UserError(f"no cluster {cluster_id!r}", f"没有学区 {cluster_id!r}")
        meeting_id = meeting_id or f"{cluster_id}-{day.isoformat()}-{kind}"
        if session.get(Meeting, meeting_id) is not None:
            raise UserError(f"meeting {meeting_id} already exists", f"会议 {meeting_id} 已存在")
        title = title or f"{cluster.name}{label('meeting_kind', kind, 'zh')}（{day.year}年{day.month}月）"
        row = Meeting(meeting_id=meeting_id, cluster_id=cluster_id, kind=kind, date=day.isoformat(), title=title,
                      status="planned", created_by=actor)
        session.add(row)
        session.flush()
        return meeting_record(row)


def add_agenda_item(meeting_id: str, text: str, *, actor: str, school_id: str | None = None,
                    url: str | None = None) -> AgendaItemRecord:
    """A school's proposed item (议题) for the meeting; the school must belong to the meeting's cluster."""
    text = text.strip()
    if not text:
        raise UserError("the agenda item is empty", "议题为空")
    with session_scope(url) as session:
        meeting = _meeting(session, meeting_id)
        if school_id is not None:
            school = session.get(School, school_id)
            if school is None or school.cluster_id != meeting.cluster_id:
                raise UserError(f"{school_id!r} is not a school of cluster {meeting.cluster_id}",
                                f"{school_id!r} 不是学区 {meeting.cluster_id} 的学校")
        row = AgendaItem(meeting_id=meeting_id, school_id=school_id, text=text, submitted_by=actor)
        session.add(row)
        session.flush()
        return AgendaItemRecord(meeting_id, text, school_id, row.item_id)


@dataclass(frozen=True)
class AgendaView:
    agenda: Agenda
    cluster_name: str
    school_names: dict[str, str]
    meeting_titles: dict[str, str]  # earlier meetings' titles, for the carried decisions

    def text(self, lang: str = "zh") -> str:
        """The agenda as the office sends it (Markdown): earlier decisions and their state first."""
        zh = lang == "zh"
        m = self.agenda.meeting
        name = self.school_names.get
        lines = [f"# {m.title}", "", (f"{m.date.isoformat()}，{self.cluster_name}，"
                                       f"{label('meeting_kind', m.kind, lang)}") if zh else
                 f"{m.date.isoformat()}, {self.cluster_name}, {label('meeting_kind', m.kind, lang)}", ""]
        lines.append("## 一、上次会议决议的落实情况" if zh else "## 1. How the earlier decisions were carried out")
        if not self.agenda.carried:
            lines.append("（无）" if zh else "(none)")
        for d in self.agenda.carried:
            helpers = "、".join(name(s, s) for s in d.assisting_school_ids) or ("无" if zh else "none")
            due = d.due.isoformat() if d.due else "–"
            state = state_text(d, m.date, lang)
            lines.append(f"- [{d.decision_id}] {d.text} — 主办：{name(d.host_school_id, d.host_school_id)}；协助：{helpers}；"
                         f"期限：{due}；状态：{state}" if zh else
                         f"- [{d.decision_id}] {d.text} — host: {name(d.host_school_id, d.host_school_id)}; "
                         f"assisting: {helpers}; due {due}; {state}")
        if self.agenda.needs_reason:
            lines += ["", ("须在会上说明原因的决议：" if zh else "Decisions whose delay must be explained: ")
                      + "、".join(self.agenda.needs_reason)]
        lines += ["", "## 二、本次议题" if zh else "## 2. Items for this meeting"]
        if not self.agenda.items:
            lines.append("（各校尚未报送议题）" if zh else "(no items submitted yet)")
        for index, item in enumerate(self.agenda.items, start=1):
            by = f"（{name(item.school_id, item.school_id)}）" if zh and item.school_id else \
                f" ({name(item.school_id, item.school_id)})" if item.school_id else ""
            lines.append(f"{index}. {item.text}{by}")
        return "\n".join(lines) + "\n"


def _cluster_view(session: Session, cluster_id: str) -> tuple[str, dict[str, str]]:
    cluster = session.get(Cluster, cluster_id)
    names = dict(session.execute(select(School.school_id, School.name)).tuples().all())
    return (cluster.name if cluster else cluster_id), names


def agenda(meeting_id: str, *, url: str | None = None) -> AgendaView:
    with session_scope(url) as session:
        meeting = _meeting(session, meeting_id)
        rows = list(session.scalars(select(Meeting).where(Meeting.cluster_id == meeting.cluster_id)))
        by_id = {r.meeting_id: r for r in rows}
        decisions = [decision_record(d, by_id[d.meeting_id]) for d in session.scalars(
            select(MeetingDecision).where(MeetingDecision.meeting_id.in_(list(by_id))))]
        items = [AgendaItemRecord(i.meeting_id, i.text, i.school_id, i.item_id) for i in session.scalars(
            select(AgendaItem).where(AgendaItem.meeting_id == meeting_id).order_by(AgendaItem.item_id))]
        built = build_agenda(meeting_record(meeting), [meeting_record(r) for r in rows], decisions, items)
        cluster_name, names = _cluster_view(session, meeting.cluster_id)
        return AgendaView(built, cluster_name, names, {r.meeting_id: r.title for r in rows})


def record_minutes(meeting_id: str, decisions_file: str | Path, *, actor: str,
                   url: str | None = None) -> list[DecisionRecord]:
    """The minutes' decisions (decisions.csv) of the meeting; the meeting is then held. Recording again
    replaces this meeting's decisions. A file with any problem changes nothing (BundleError)."""
    with session_scope(url) as session:
        meeting = _meeting(session, meeting_id)
        schools = dict(session.execute(select(School.school_id, School.name)
                                       .where(School.cluster_id == meeting.cluster_id)).tuples().all())
        records = read_decisions(decisions_file, meeting_id=meeting_id, meeting_date=dt.date.fromisoformat(meeting.date),
                                 cluster_schools=set(schools), school_names=schools)
        clash = session.scalars(select(MeetingDecision.decision_id).where(
            MeetingDecision.decision_id.in_([d.decision_id for d in records]),
            MeetingDecision.meeting_id != meeting_id)).all()
        if clash:
            raise UserError(f"decision ids already used by another meeting: {', '.join(clash)}",
                            f"决议编号已被其他会议使用：{', '.join(clash)}")
        for old in session.scalars(select(MeetingDecision).where(MeetingDecision.meeting_id == meeting_id)):
            session.delete(old)
        session.flush()
        for d in records:
            session.add(MeetingDecision(decision_id=d.decision_id, meeting_id=meeting_id, text=d.text,
                                        host_school_id=d.host_school_id, assisting_school_ids=list(d.assisting_school_ids),
                                        due=d.due.isoformat() if d.due else None, status=d.status, reason=d.reason,
                                        updated_by=actor))
        meeting.status = "held"
        return records


def set_decision_state(decision_id: str, status: str, *, actor: str, reason: str | None = None,
                       url: str | None = None) -> DecisionRecord:
    """done, or late with a reason (说明原因); refused (UserError) otherwise."""
    with session_scope(url) as session:
        row = session.get(MeetingDecision, decision_id)
        if row is None:
            raise UserError(f"no decision {decision_id!r}", f"没有决议 {decision_id!r}")
        meeting = session.get(Meeting, row.meeting_id)
        assert meeting is not None
        try:
            changed = change_state(decision_record(row, meeting), status, reason)
        except DecisionRefused as refused:
            raise UserError(refused.en, refused.zh) from None
        row.status, row.reason, row.updated_by = changed.status, changed.reason, actor
        return changed


@dataclass(frozen=True)
class MeetingView:
    meeting: MeetingRecord
    items: int
    decisions: tuple[DecisionRecord, ...]
    agenda_items: tuple[AgendaItemRecord, ...] = ()  # the schools' proposed items (议题), in order


def cluster_meetings(cluster_id: str, *, url: str | None = None) -> list[MeetingView]:
    """The cluster's meetings, latest first, with their decisions (the console's meetings page)."""
    with session_scope(url) as session:
        rows = list(session.scalars(select(Meeting).where(Meeting.cluster_id == cluster_id)
                                    .order_by(Meeting.date.desc(), Meeting.meeting_id.desc())))
        out = []
        for r in rows:
            decisions = [decision_record(d, r) for d in session.scalars(
                select(MeetingDecision).where(MeetingDecision.meeting_id == r.meeting_id)
                .order_by(MeetingDecision.decision_id))]
            items = tuple(AgendaItemRecord(i.meeting_id, i.text, i.school_id, i.item_id) for i in session.scalars(
                select(AgendaItem).where(AgendaItem.meeting_id == r.meeting_id).order_by(AgendaItem.item_id)))
            out.append(MeetingView(meeting_record(r), len(items), tuple(decisions), items))
        return out


def add_decision(meeting_id: str, text: str, host_school_id: str, *, actor: str,
                 assisting_school_ids: tuple[str, ...] | list[str] = (), due: str | dt.date | None = None,
                 url: str | None = None) -> DecisionRecord:
    """One decision of the minutes recorded from a form (决议: 主办、协助、期限), beside any recorded before;
    the same rules as a decisions.csv row: a host school of the meeting's cluster, assisting schools of
    it, a deadline not before the meeting. Its id is the next `<meeting>-<n>`; the meeting is then held."""
    text = text.strip()
    if not text:
        raise UserError("the decision's text is empty", "决议内容为空：请填写决议")
    if not due:
        raise UserError("every decision has a deadline (YYYY-MM-DD)", "每项决议须有完成期限（YYYY-MM-DD）")
    deadline = _date(due)
    with session_scope(url) as session:
        meeting = _meeting(session, meeting_id)
        names = dict(session.execute(select(School.school_id, School.name)
                                     .where(School.cluster_id == meeting.cluster_id)).tuples().all())
        if host_school_id not in names:
            raise UserError("every decision names its host school (主办学校), a school of the meeting's cluster",
                            "每项决议须明确主办学校（本学区的学校）")
        strangers = [s for s in assisting_school_ids if s not in names]
        if strangers:
            raise UserError(f"not schools of this cluster: {', '.join(strangers)}",
                            f"协助学校须为本学区的学校：{'、'.join(strangers)}")
        day = dt.date.fromisoformat(meeting.date)
        if deadline < day:
            raise UserError(f"deadline {deadline} is before the meeting's date {day}",
                            f"完成期限 {deadline} 早于会议日期 {day}")
        taken = set(session.scalars(select(MeetingDecision.decision_id)))
        number = 1
        while f"{meeting_id}-{number}" in taken:
            number += 1
        assisting = tuple(dict.fromkeys(s for s in assisting_school_ids if s != host_school_id))
        row = MeetingDecision(decision_id=f"{meeting_id}-{number}", meeting_id=meeting_id, text=text,
                              host_school_id=host_school_id, assisting_school_ids=list(assisting),
                              due=deadline.isoformat(), status="open", reason="", updated_by=actor)
        session.add(row)
        meeting.status = "held"
        session.flush()
        return decision_record(row, meeting)
