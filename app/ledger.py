"""The attainment ledger (督导台账) and the exchange teachers' dossiers (交流教师档案) of a school year.

Loads the plain records the pure rules count (cluster_office.rules, cluster_office.dossier):

- the schools, with the rotation policy's quota schools and eligible teachers (app.policies "rotation");
- the current rotation roster of each term of the year (rotation_assignment of the latest plan);
- the activity calendar (helper `cal`'s `models.calendar.activities`; none until it is merged);
- the exchange log (exchange_log.csv, `import_exchange_log`) and the meetings held (app.meetings);
- the bundled teaching-quality score (捆绑评价, analysis) when the year's exams have scores.

The ledger's targets are policy area "ledger" (policies/ledger.toml) of each cluster.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UserError
from app.policies import resolve_in
from bundle.cells import cell_int, cell_text, safe_frame
from bundle.problems import BundleError, Problem
from cluster_office.dossier import Dossier, dossiers
from cluster_office.policy import LedgerPolicy
from cluster_office.records import (LOG_KINDS, ActivityRecord, LedgerInput, LogRecord, MeetingHeld, PostingRecord,
                                    SchoolRecord)
from cluster_office.rules import LedgerLine, ledger_lines, term_of, year_of
from domain.labels import label
from models.db import session_scope
from models.district import Cluster, School, Teacher
from models.meetings import ExchangeLogEntry, Meeting
from models.plans import Plan, RotationAssignment

EXCHANGE_LOG_COLUMNS = ("teacher_id", "school_id", "date", "kind", "count", "note")


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def load_activities(session: Session, cluster_id: str | None, school_year: int) -> list[ActivityRecord]:
    """The calendar's activities of the year (helper `cal`'s repository, `models.calendar.activities`);
    [] while that module or its table is not there (read in a savepoint, so a missing table leaves
    the session usable on PostgreSQL)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        from models import calendar as calendar_repository  # type: ignore[attr-defined]
    except ImportError:
        return []
    read = getattr(calendar_repository, "activities", None)
    if read is None:
        return []
    try:
        with session.begin_nested():
            found = list(read(session, cluster_id=cluster_id, year=school_year))
    except SQLAlchemyError:
        return []
    out = []
    for r in found:
        day = r.date if isinstance(r.date, dt.date) else _day(str(r.date))
        if day is None:
            continue
        out.append(ActivityRecord(str(r.activity_id), str(r.cluster_id), str(r.kind), day,
                                  int(getattr(r, "term", None) or term_of(day)), str(r.host_school_id or ""),
                                  getattr(r, "subject", None) or None, tuple(getattr(r, "teacher_ids", ()) or ()),
                                  str(getattr(r, "status", "held")), getattr(r, "presenter_id", None) or None))
    return out


def _rotation_policy(session: Session, cluster_id: str, school_year: int):
    return resolve_in(session, "rotation", cluster_id=cluster_id, school_year=school_year).policy


def load_ledger_input(session: Session, school_year: int, cluster_id: str | None = None) -> LedgerInput:
    from scheduling.rotation.inputs import RotationTeacher
    from scheduling.rotation.rules import is_eligible

    schools_q = select(School).order_by(School.school_id)
    if cluster_id:
        schools_q = schools_q.where(School.cluster_id == cluster_id)
    schools = list(session.scalars(schools_q))
    ids = {s.school_id for s in schools}
    teachers = [t for t in session.scalars(select(Teacher)) if t.school_id in ids]
    policies = {c: _rotation_policy(session, c, school_year) for c in {s.cluster_id for s in schools}}
    eligible: dict[str, int] = {}
    subjects: dict[str, set[str]] = {}
    for t in teachers:
        subjects.setdefault(t.school_id, set()).add(t.subject)
        school_cluster = next(s.cluster_id for s in schools if s.school_id == t.school_id)
        rt = RotationTeacher(t.teacher_id, t.name, t.school_id, t.subject, tuple(t.grades or ()), t.role, t.backbone,
                             t.famous, t.years_at_school, t.teaching_years, t.birth_year, t.volunteer,
                             t.last_rotation_year, t.home_lat, t.home_lon, t.gender)
        if t.role in policies[school_cluster].eligibility.roles and is_eligible(rt, school_year, policies[school_cluster]):
            eligible[t.school_id] = eligible.get(t.school_id, 0) + 1
    records = []
    for s in schools:
        quota = policies[s.cluster_id].quota
        records.append(SchoolRecord(s.school_id, s.name, s.cluster_id, s.is_lead, s.tier, s.locality,
                                    s.tier in quota.sender_tiers or s.locality in quota.sender_localities,
                                    eligible.get(s.school_id, 0), tuple(sorted(subjects.get(s.school_id, ())))))
    postings = []
    for term in (1, 2, None):
        for c in sorted({s.cluster_id for s in schools}):
            scope = f"{school_year}-{term or 'Y'}:{c}"
            plan = session.scalars(select(Plan).where(Plan.kind == "rotation", Plan.scope == scope)
                                   .order_by(Plan.version.desc()).limit(1)).first()
            if plan is None:
                continue
            for a in session.scalars(select(RotationAssignment).where(RotationAssignment.plan_id == plan.plan_id)):
                if a.kind in ("teacher", "leader", "principal"):
                    postings.append(PostingRecord(a.teacher_id, a.from_school_id, a.to_school_id, a.kind, term,
                                                  _day(a.start), bool(a.backbone), a.mentor_of or None))
    logs = [LogRecord(e.teacher_id, e.school_id, day, e.kind, e.count)
            for e in session.scalars(select(ExchangeLogEntry))
            if e.school_id in ids and (day := _day(e.date)) is not None and year_of(day) == school_year]
    meetings = [MeetingHeld(m.cluster_id, m.kind, day, term_of(day))
                for m in session.scalars(select(Meeting).where(Meeting.status == "held"))
                if m.cluster_id in {s.cluster_id for s in schools} and (day := _day(m.date)) and year_of(day) == school_year]
    names = {t.teacher_id: t.name for t in session.scalars(select(Teacher))}
    return LedgerInput(school_year, records, postings, load_activities(session, cluster_id, school_year), logs,
                       meetings, teacher_names=names,
                       teacher_school={t.teacher_id: t.school_id for t in teachers},
                       cluster_names=dict(session.execute(select(Cluster.cluster_id, Cluster.name)).tuples().all()))


@dataclass
class Ledger:
    school_year: int
    lines: list[LedgerLine]
    dossiers: list[Dossier]
    school_names: dict[str, str]
    cluster_names: dict[str, str]
    teacher_names: dict[str, str]
    policy: str = ""
    notes: list[str] = field(default_factory=list)
    award_places: int = 3  # how many the summary proposes for the award (policy award_places)

    def frame(self, lang: str = "zh") -> pd.DataFrame:
        """ledger.csv: names, not ids (the ids beside them for a program)."""
        zh = lang == "zh"
        rows = []
        for x in self.lines:
            rows.append({
                "cluster_id": x.cluster_id, "cluster": self.cluster_names.get(x.cluster_id, x.cluster_id),
                "school_id": x.school_id or "", "school": self.school_names.get(x.school_id, x.school_id) if x.school_id
                else ("全学区" if zh else "whole cluster"),
                "term": x.term or "", "rule": x.rule, "rule_name": label("ledger_rule", x.rule, lang),
                "target": x.target, "achieved": x.achieved, "met": int(x.met), "figure": x.figure(),
                "source": label("ledger_source", x.source, lang), "detail": x.detail_zh if zh else x.detail_en})
        return pd.DataFrame(rows, columns=["cluster_id", "cluster", "school_id", "school", "term", "rule", "rule_name",
                                           "target", "achieved", "met", "figure", "source", "detail"])

    def dossier_frame(self, lang: str = "zh") -> pd.DataFrame:
        name = self.school_names.get
        rows = [{"rank": d.rank, "teacher_id": d.teacher_id, "teacher": d.name,
                 "home_school": name(d.home_school_id, d.home_school_id),
                 "host_schools": "、".join(name(s, s) for s in d.host_school_ids),
                 "apprentices": "、".join(self.teacher_names.get(a, a) for a in d.apprentice_ids),
                 "attendance_days": d.attendance, "logs": d.logs, "demo_lessons": d.demo_lessons,
                 "mentoring": d.mentoring, "bundled_score": round(d.quality, 2) if d.quality is not None else "",
                 "award_score": round(d.award_score, 3)} for d in self.dossiers]
        return pd.DataFrame(rows, columns=["rank", "teacher_id", "teacher", "home_school", "host_schools",
                                           "apprentices", "attendance_days", "logs", "demo_lessons", "mentoring",
                                           "bundled_score", "award_score"])

    def summary(self, lang: str = "zh") -> str:
        """A short summary a person reads (Chinese by default): per cluster, rules met of rules counted."""
        zh = lang == "zh"
        out = [f"# {self.school_year} 学年督导台账" if zh else f"# Attainment ledger, school year {self.school_year}", ""]
        for cluster_id in sorted({x.cluster_id for x in self.lines}):
            mine = [x for x in self.lines if x.cluster_id == cluster_id]
            met = sum(x.met for x in mine)
            cname = self.cluster_names.get(cluster_id, cluster_id)
            out.append(f"## {cname}：{met} / {len(mine)} 项达标" if zh else f"## {cname}: {met} of {len(mine)} met")
            for x in mine:
                if not x.met:
                    where = self.school_names.get(x.school_id, x.school_id) if x.school_id else (
                        "全学区" if zh else "whole cluster")
                    term = (f"第{x.term}学期" if zh else f"term {x.term}") if x.term else ("全年" if zh else "year")
                    out.append(f"- 未达标：{where}，{term}，{label('ledger_rule', x.rule, lang)}：{x.figure()}"
                               f"（{x.detail_zh}）" if zh else
                               f"- not met: {where}, {term}, {label('ledger_rule', x.rule, lang)}: {x.figure()} "
                               f"({x.detail_en})")
            out.append("")
        if self.dossiers:
            out.append("## 先进交流教师（建议）" if zh else "## Proposed for the 先进交流教师 award")
            for d in [d for d in self.dossiers if d.award_score > 0][:self.award_places]:
                out.append(f"{d.rank}. {d.name}（{self.school_names.get(d.home_school_id, d.home_school_id)}）"
                           f" {d.award_score:.2f}" if zh else f"{d.rank}. {d.name} {d.award_score:.2f}")
        out += [""] + [f"- {n}" for n in self.notes]
        return "\n".join(out).rstrip() + "\n"


def bundled_quality(url: str | None, school_year: int, pairs: list[tuple[str, str]]) -> tuple[dict[str, float], str]:
    """Each mentor's bundled score (捆绑评价: the pair's class scores summed over the year's tests with
    scores) from analysis; {} and a note when no exam of the year has scores."""
    from sqlalchemy import func

    from analysis.pipeline import bundled_evaluation_of
    from app.exam_analysis import analyse, analysis_policy, load_exam_scores
    from models.exams import Exam, Score

    if not pairs:
        return {}, ""
    with session_scope(url) as session:
        exams = [e for e, in session.execute(select(Exam.exam_id).where(Exam.school_year == school_year))]
        scored = [e for e in exams if session.scalar(select(func.count()).select_from(Score)
                                                     .where(Score.exam_id == e).limit(1))]
    if not scored:
        return {}, "本学年没有考试成绩：捆绑评价分暂缺 / no scores this year: no bundled score"
    analyses = []
    for exam_id in scored:
        policy = analysis_policy(url or "", exam_id, None).policy
        analyses.append(analyse(load_exam_scores(url or "", exam_id, None, None), policy))
    result = bundled_evaluation_of(analyses, pd.DataFrame(pairs, columns=["mentor_id", "apprentice_id"]))
    quality = {str(r.mentor_id): float(r.pair_score) for r in result.pairs.itertuples(index=False)}
    return quality, f"捆绑评价：{len(scored)} 次考试（{', '.join(scored)}） / bundled score over {len(scored)} tests"


def build_ledger(school_year: int, cluster_id: str | None = None, *, url: str | None = None,
                 quality: bool = False) -> Ledger:
    """The ledger of the year (a cluster's, or every cluster's side by side) and the dossiers."""
    from models.db import database_url

    url = database_url(url)
    with session_scope(url) as session:
        if cluster_id and session.get(Cluster, cluster_id) is None:
            raise UserError(f"no cluster {cluster_id!r}", f"没有学区 {cluster_id!r}")
        data = load_ledger_input(session, school_year, cluster_id)
        clusters = sorted({s.cluster_id for s in data.schools})
        policies = {c: resolve_in(session, "ledger", cluster_id=c, school_year=school_year) for c in clusters}
    lines: list[LedgerLine] = []
    for c in clusters:
        part = LedgerInput(school_year, [s for s in data.schools if s.cluster_id == c],
                           [p for p in data.postings if p.from_school_id in {s.school_id for s in data.schools
                                                                             if s.cluster_id == c}],
                           [a for a in data.activities if a.cluster_id == c], data.logs,
                           [m for m in data.meetings if m.cluster_id == c], data.teacher_names, data.teacher_school,
                           data.cluster_names)
        lines += ledger_lines(part, policies[c].policy)
    notes = [] if data.activities else ["活动日历尚无记录：示范课、集体备课、培训、教研按 0 计 / no calendar "
                                        "activities recorded: demonstration lessons, lesson prep, trainings and "
                                        "research count 0"]
    scores: dict[str, float] = {}
    if quality:
        pairs = sorted({(p.teacher_id, p.mentor_of) for p in data.postings if p.kind == "teacher" and p.mentor_of})
        scores, note = bundled_quality(url, school_year, pairs)
        if note:
            notes.append(note)
    first = policies[clusters[0]].policy if clusters else LedgerPolicy()
    return Ledger(school_year, lines, dossiers(data, first, scores),
                  {s.school_id: s.name for s in data.schools}, data.cluster_names, data.teacher_names,
                  "；".join(sorted({p.describe("zh") for p in policies.values()})), notes, first.award_places)


def write_ledger(ledger: Ledger, out_dir: str | Path, lang: str = "zh") -> list[Path]:
    """ledger.csv, dossiers.csv, ledger.xlsx (bundle/xlsx.py) and ledger_summary.md."""
    from bundle.xlsx import Sheet, write_workbook

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frame, dossier = ledger.frame(lang), ledger.dossier_frame(lang)
    paths = [out / "ledger.csv", out / "dossiers.csv"]
    safe_frame(frame).to_csv(paths[0], index=False, encoding="utf-8-sig")
    safe_frame(dossier).to_csv(paths[1], index=False, encoding="utf-8-sig")
    zh = lang == "zh"
    shown = frame.drop(columns=["cluster_id", "school_id", "rule"])
    paths.append(write_workbook(out / "ledger.xlsx", [
        Sheet("督导台账" if zh else "ledger", shown, notes=(f"{ledger.school_year} 学年督导台账" if zh else
                                                           f"Attainment ledger {ledger.school_year}", ledger.policy)),
        Sheet("交流教师档案" if zh else "dossiers", dossier.drop(columns=["teacher_id"]))]))
    summary = out / "ledger_summary.md"
    summary.write_text(ledger.summary(lang), encoding="utf-8")
    paths.append(summary)
    return paths


def import_exchange_log(path: str | Path, *, url: str | None = None) -> int:
    """exchange_log.csv (cluster_office/FORMAT.md) into the database; every row checked first, nothing
    stored when any row is wrong (BundleError with file, row, column). Returns the rows stored."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise BundleError([Problem(path.name, None, None, f"无法读取（{type(error).__name__}）：请提供 UTF-8 CSV",
                                   f"cannot be read ({type(error).__name__}): give a UTF-8 CSV")]) from None
    missing = [c for c in EXCHANGE_LOG_COLUMNS[:4] if c not in frame.columns]
    if missing:
        raise BundleError([Problem(path.name, 1, c, f"缺少列 {c}", f"missing column {c}") for c in missing])
    problems: list[Problem] = []
    rows = []
    with session_scope(url) as session:
        teachers = set(session.scalars(select(Teacher.teacher_id)))
        schools = set(session.scalars(select(School.school_id)))
        for index, r in enumerate(frame.to_dict("records")):
            row = index + 2
            tid, sid, kind = cell_text(r["teacher_id"]), cell_text(r["school_id"]), cell_text(r["kind"])
            if tid not in teachers:
                problems.append(Problem(path.name, row, "teacher_id", f"没有教师 {tid!r}", f"no teacher {tid!r}"))
            if sid not in schools:
                problems.append(Problem(path.name, row, "school_id", f"没有学校 {sid!r}", f"no school {sid!r}"))
            if kind not in LOG_KINDS:
                problems.append(Problem(path.name, row, "kind", f"类型 {kind!r} 无效：{'、'.join(LOG_KINDS)}",
                                        f"kind {kind!r} is not one of {', '.join(LOG_KINDS)}"))
            if _day(cell_text(r["date"])) is None:
                problems.append(Problem(path.name, row, "date", "日期须为 YYYY-MM-DD", "the date must be YYYY-MM-DD"))
            count = cell_int(r.get("count"), 1) if cell_text(r.get("count")) else 1
            if count is None or count < 0:
                problems.append(Problem(path.name, row, "count", "次数须为非负整数", "count must be a whole number ≥ 0"))
            rows.append(ExchangeLogEntry(teacher_id=tid, school_id=sid, date=cell_text(r["date"]), kind=kind,
                                         count=count or 0, note=cell_text(r.get("note"))))
        if problems:
            raise BundleError(problems)
        session.add_all(rows)
    return len(rows)


def ledger_years(url: str | None = None) -> list[int]:
    """School years with a rotation roster or a meeting, latest first (the console's year choice)."""
    with session_scope(url) as session:
        years = {y for y in session.scalars(select(Plan.school_year).where(Plan.kind == "rotation")) if y}
        years |= {year_of(d) for m in session.scalars(select(Meeting.date)) if (d := _day(m))}
    return sorted(years, reverse=True)


@dataclass(frozen=True)
class SideBySideRow:
    rule: str
    term: int | None
    cells: dict[str, tuple[int, int]]  # cluster → (lines met, lines counted)


def side_by_side(ledger: Ledger) -> list[SideBySideRow]:
    """The bureau's view: per rule and term, each cluster's lines met of lines counted."""
    from cluster_office.rules import RULES

    order = {rule.__name__: i for i, rule in enumerate(RULES)}
    keys = sorted({(x.rule, x.term) for x in ledger.lines}, key=lambda k: (order.get(k[0], 99), k[1] or 0))
    rows = []
    for rule, term in keys:
        cells: dict[str, tuple[int, int]] = {}
        for x in ledger.lines:
            if (x.rule, x.term) == (rule, term):
                met, n = cells.get(x.cluster_id, (0, 0))
                cells[x.cluster_id] = (met + int(x.met), n + 1)
        rows.append(SideBySideRow(rule, term, cells))
    return rows
