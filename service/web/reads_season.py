"""What the exam season pages read, with names: the papers under review (审题) with their blueprint
coverage, the invigilation plan by site and session and by teacher, the marking groups (题组) and
their live progress, and the 三率一分 summary by school.

Read-only, one session per call, plain dataclasses out. The writes (reviews, repairs) and the
analysis are the use cases of `app/` and `flows/`; the routes call them.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from domain.labels import label
from domain.vocab import COGNITIVE_LEVELS, ITEM_TYPES, SUBJECTS
from models import ExamSession, Item, Plan, Researcher, School, Teacher
from models.db import session_scope
from models.papers import latest_paper

PAPER_STATUS = {"draft": ("待审草稿", "draft, awaiting review"), "locked": ("已批准锁定", "approved and locked"),
                "rejected": ("已驳回", "rejected"), None: ("尚未组卷", "not set yet")}


def subject_name(subject: str, lang: str) -> str:
    return SUBJECTS.get(subject, subject) if lang == "zh" else subject


def paper_status_label(status: str | None, lang: str) -> str:
    zh, en = PAPER_STATUS.get(status, (status or "", status or ""))
    return zh if lang == "zh" else en


def exam_subjects(url: str, exam_id: str) -> list[str]:
    """The exam's subjects in timetable order."""
    with session_scope(url) as session:
        rows = session.execute(select(ExamSession.subject, ExamSession.date, ExamSession.start)
                               .where(ExamSession.exam_id == exam_id)
                               .order_by(ExamSession.date, ExamSession.start)).all()
    return list(dict.fromkeys(subject for subject, _, _ in rows))


# --- papers (审题) ---

@dataclass(frozen=True)
class PaperSummary:
    subject: str
    subject_name: str
    status: str | None
    status_label: str
    version: int
    questions: int
    total: float


@dataclass(frozen=True)
class Question:
    number: int  # 第 N 题
    item_id: str
    points: float
    item_type: str
    knowledge_area: str
    cognitive_level: str
    key: str | None
    rubric: str | None
    tolerance: float | None
    item_group: str | None


@dataclass(frozen=True)
class CoverageCell:
    """One cell of the blueprint (knowledge area × cognitive level): points it requires, points the paper has."""
    knowledge_area: str
    cognitive_level: str
    required: float
    present: float

    @property
    def short(self) -> bool:
        return self.present + 1e-9 < self.required


@dataclass(frozen=True)
class PaperView:
    subject: str
    subject_name: str
    version: int
    status: str
    status_label: str
    total: float
    created_by: str
    created_at: dt.datetime
    reviewed_by: str | None
    review_comment: str | None
    team: tuple[str, ...]
    questions: tuple[Question, ...]
    coverage: tuple[CoverageCell, ...]


def papers(url: str, exam_id: str, lang: str) -> list[PaperSummary]:
    out = []
    with session_scope(url) as session:
        for subject in exam_subjects(url, exam_id):
            paper = latest_paper(session, exam_id, subject)
            out.append(PaperSummary(subject, subject_name(subject, lang), paper.status if paper else None,
                                    paper_status_label(paper.status if paper else None, lang),
                                    paper.version if paper else 0, len(paper.items) if paper else 0,
                                    paper.total if paper else 0.0))
    return out


def paper(url: str, exam_id: str, subject: str, lang: str) -> PaperView | None:
    """The subject's latest paper, question by question, and how it covers its blueprint."""
    with session_scope(url) as session:
        found = latest_paper(session, exam_id, subject)
        if found is None:
            return None
        bank = {item.item_id: item for item in session.scalars(
            select(Item).where(Item.item_id.in_([i.item_id for i in found.items])))}
        questions = []
        present: dict[tuple[str, str], float] = defaultdict(float)
        for row in found.items:
            item = bank[row.item_id]
            present[item.knowledge_area, item.cognitive_level] += row.max_score
            questions.append(Question(row.position, row.item_id, row.max_score,
                                      ITEM_TYPES.get(item.item_type, item.item_type) if lang == "zh" else item.item_type,
                                      item.knowledge_area,
                                      COGNITIVE_LEVELS.get(item.cognitive_level, item.cognitive_level)
                                      if lang == "zh" else item.cognitive_level,
                                      row.key, row.rubric, row.tolerance, row.item_group))
        required: dict[tuple[str, str], float] = defaultdict(float)
        for cell in (found.blueprint.get("blueprint") or {}).get("cells", []):
            required[cell["knowledge_area"], cell["cognitive_level"]] += float(cell["points"])
        levels = list(COGNITIVE_LEVELS)
        cells = sorted(set(required) | set(present),
                       key=lambda c: (c[0], levels.index(c[1]) if c[1] in levels else len(levels)))
        coverage = tuple(CoverageCell(area, COGNITIVE_LEVELS.get(level, level) if lang == "zh" else level,
                                      required.get((area, level), 0.0), present.get((area, level), 0.0))
                         for area, level in cells)
        team_ids = list(found.blueprint.get("team", []))
        names = dict(session.execute(select(Teacher.teacher_id, Teacher.name).where(Teacher.teacher_id.in_(team_ids))).tuples().all())
        names |= dict(session.execute(select(Researcher.researcher_id, Researcher.name)
                                      .where(Researcher.researcher_id.in_(team_ids))).tuples().all())
        return PaperView(subject, subject_name(subject, lang), found.version, found.status,
                         paper_status_label(found.status, lang), found.total, found.created_by, found.created_at,
                         found.reviewed_by, found.review_comment, tuple(names.get(i, i) for i in team_ids),
                         tuple(questions), coverage)


# --- invigilation (监考) ---

@dataclass(frozen=True)
class Duty:
    session_id: str
    when: str  # date and times
    subject_name: str
    site_id: str
    site_name: str
    room: str
    role: str
    role_label: str
    teacher_id: str
    teacher_name: str
    teacher_school: str
    km: float


@dataclass(frozen=True)
class SessionAtSite:
    site_name: str
    when: str
    subject_name: str
    duties: tuple[Duty, ...]  # rooms in order, chief before assistant, reserves last


@dataclass(frozen=True)
class TeacherDuties:
    teacher_id: str
    name: str
    school: str
    duties: tuple[Duty, ...]

    @property
    def km(self) -> float:
        return sum(d.km for d in self.duties)


@dataclass
class InvigilationView:
    version: int
    status_label: str
    created_by: str
    created_at: dt.datetime
    parent_version: int | None
    by_site: list[SessionAtSite] = field(default_factory=list)
    by_teacher: list[TeacherDuties] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


ROLE_ORDER = {"chief": 0, "assistant": 1, "reserve": 2}


def invigilation(url: str, exam_id: str, lang: str) -> InvigilationView | None:
    """The exam's current invigilation plan (its latest version), with names."""
    with session_scope(url) as session:
        plan = session.scalars(select(Plan).where(Plan.kind == "invigilation", Plan.scope == exam_id)
                               .order_by(Plan.version.desc()).limit(1)).first()
        if plan is None:
            return None
        parent = session.get(Plan, plan.parent_plan_id) if plan.parent_plan_id else None
        schools = dict(session.execute(select(School.school_id, School.name)).tuples().all())
        ids = {a.teacher_id for a in plan.invigilations}
        teachers = dict(session.execute(select(Teacher.teacher_id, Teacher.name).where(Teacher.teacher_id.in_(ids)))
                        .tuples().all())
        sessions = {s.session_id: s for s in session.scalars(select(ExamSession).where(ExamSession.exam_id == exam_id))}
        duties = []
        for a in plan.invigilations:
            s = sessions.get(a.session_id)
            when = f"{s.date} {s.start}–{s.end}" if s else a.session_id
            duties.append(Duty(a.session_id, when, subject_name(s.subject, lang) if s else "", a.site_school_id,
                               schools.get(a.site_school_id, a.site_school_id),
                               a.room_id or ("备用" if lang == "zh" else "reserve"), a.role,
                               label("duty_role", a.role, lang), a.teacher_id, teachers.get(a.teacher_id, a.teacher_id),
                               schools.get(a.teacher_school_id, a.teacher_school_id), float(a.distance_km or 0.0)))
        view = InvigilationView(plan.version, label("plan_status", plan.solver_status, lang), plan.created_by,
                                plan.created_at, parent.version if parent else None,
                                notes=list((plan.summary or {}).get("explanations", [])))
    groups: dict[tuple[str, str], list[Duty]] = defaultdict(list)
    for d in duties:
        groups[d.site_id, d.session_id].append(d)
    for (_, _), rows in sorted(groups.items(), key=lambda kv: (kv[1][0].site_name, kv[1][0].when)):
        rows.sort(key=lambda d: (d.role == "reserve", d.room, ROLE_ORDER.get(d.role, 3), d.teacher_name))
        view.by_site.append(SessionAtSite(rows[0].site_name, rows[0].when, rows[0].subject_name, tuple(rows)))
    per_teacher: dict[str, list[Duty]] = defaultdict(list)
    for d in duties:
        per_teacher[d.teacher_id].append(d)
    view.by_teacher = sorted((TeacherDuties(tid, rows[0].teacher_name, rows[0].teacher_school,
                                            tuple(sorted(rows, key=lambda d: d.when)))
                              for tid, rows in per_teacher.items()), key=lambda t: (t.school, t.name))
    return view


# --- marking (阅卷) ---

def group_name(item_group: str, lang: str) -> str:
    """第2组 for the planner's group ids (math-G2) in Chinese; the id in English."""
    from marking.assist import group_label

    return group_label(item_group) if lang == "zh" else item_group


@dataclass(frozen=True)
class Person:
    name: str
    school: str


@dataclass(frozen=True)
class MarkingGroupView:
    subject_name: str
    item_group: str
    questions: tuple[int, ...]  # 第 N 题 of the locked paper marked in this group
    leaders: tuple[Person, ...]
    markers: tuple[Person, ...]


def marking_groups(url: str, exam_id: str, lang: str) -> list[MarkingGroupView]:
    """The latest marking plan's groups, leaders (题组长) and markers by name and school."""
    from app.marking_day import marking_plan
    from models.papers import locked_papers

    plan = marking_plan(url, exam_id)
    if plan.empty:
        return []
    with session_scope(url) as session:
        schools = dict(session.execute(select(School.school_id, School.name)).tuples().all())
        teachers = dict(session.execute(select(Teacher.teacher_id, Teacher.name)
                                        .where(Teacher.teacher_id.in_(set(plan["teacher_id"])))).tuples().all())
        questions: dict[tuple[str, str], list[int]] = defaultdict(list)
        for found in locked_papers(session, exam_id):
            for item in found.items:
                if item.item_group:
                    questions[found.subject, item.item_group].append(item.position)
    order = {s: n for n, s in enumerate(exam_subjects(url, exam_id))}
    out = []
    for (subject, group), rows in sorted(plan.groupby(["subject", "item_group"]),
                                         key=lambda kv: (order.get(kv[0][0], 99), kv[0][1])):
        people = {role: tuple(sorted((Person(teachers.get(r.teacher_id, r.teacher_id),
                                             schools.get(r.teacher_school_id, r.teacher_school_id))
                                      for r in rows.itertuples() if r.role == role), key=lambda p: (p.school, p.name)))
                  for role in ("leader", "marker")}
        out.append(MarkingGroupView(subject_name(str(subject), lang), group_name(str(group), lang),
                                    tuple(sorted(questions.get((str(subject), str(group)), []))),
                                    people["leader"], people["marker"]))
    return out


@dataclass(frozen=True)
class ProgressRow:
    subject_name: str
    item_group: str
    scripts: int
    final: int
    done_pct: float
    waiting_third: int
    waiting_arbitration: int
    markers: int
    marks_per_marker_hour: float | None
    agreement_rate: float | None


def _number(value) -> float | None:
    """A figure, or None where pandas has none (NaN, NA)."""
    import pandas as pd

    return None if value is None or pd.isna(value) else float(value)


def marking_progress(url: str, exam_id: str, lang: str) -> list[ProgressRow]:
    """Live progress per item group (marking.progress), read anew on every call."""
    from marking.progress import marking_progress as progress

    with session_scope(url) as session:
        frame = progress(session, exam_id)
    order = {s: n for n, s in enumerate(exam_subjects(url, exam_id))}
    rows = [ProgressRow(subject_name(r.subject, lang), group_name(r.item_group, lang), int(r.scripts), int(r.final), float(r.done_pct),
                        int(r.waiting_third), int(r.waiting_arbitration), int(r.markers),
                        _number(r.marks_per_marker_hour), _number(r.agreement_rate))
            for r in frame.itertuples()]
    keys = {id(row): (order.get(s, 99), row.item_group) for row, s in zip(rows, frame["subject"], strict=True)}
    return sorted(rows, key=lambda row: keys[id(row)])


# --- the 三率一分 summary by school (成绩分析) ---

@dataclass(frozen=True)
class SchoolResult:
    school_id: str
    school_name: str
    cluster_id: str | None
    subject: str
    subject_name: str
    students: int
    mean: float
    excellent_rate: float
    pass_rate: float
    low_rate: float
    rank: int | None
    peers: int | None
    improvement_rate: float | None


TOTAL = "total"


def school_results(url: str, exam_id: str, lang: str) -> list[SchoolResult] | None:
    """三率一分 (优秀率, 及格率, 低分率, 平均分) of every school and subject (and the total), computed on
    demand by `app.exam_analysis` from the final scores in the database; None when there are none yet.

    The report files a season writes (report.html, school_summary.csv) live in its output folder,
    outside the database; computing from the stored scores with the policy in force gives the same
    figures wherever the console runs.
    """
    from app.exam_analysis import analyse, analysis_policy, load_exam_scores

    policy = analysis_policy(url, exam_id, None)
    fingerprint = (scores_fingerprint(url), policy.text)
    cached = _RESULTS.get((url, exam_id, lang))
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    data = load_exam_scores(url, exam_id, None, None)
    if data["scores"].empty:
        return None
    result = analyse(data, policy.policy)
    rows = result.summary[result.summary["level"] == "school"]
    names = dict(zip(result.schools["school_id"], result.schools["name"]))
    clusters = dict(zip(result.schools["school_id"], result.schools["cluster_id"]))
    order = {s: n for n, s in enumerate(result.subjects)} | {TOTAL: len(result.subjects)}
    out = [SchoolResult(str(r.school_id), str(names.get(r.school_id, r.school_id)),
                        None if clusters.get(r.school_id) is None else str(clusters[r.school_id]), str(r.subject),
                        ("总分" if lang == "zh" else "total") if r.subject == TOTAL else subject_name(str(r.subject), lang),
                        int(r.students), float(r.mean), float(r.excellent_rate), float(r.pass_rate), float(r.low_rate),
                        None if _number(r.rank) is None else int(r.rank),
                        None if _number(r.peers) is None else int(r.peers), _number(r.improvement_rate))
           for r in rows.itertuples()]
    rows_out = sorted(out, key=lambda r: (order.get(r.subject, 99), r.school_id))
    if len(_RESULTS) > 32:  # a few exams and languages at a time; never grows without bound
        _RESULTS.clear()
    _RESULTS[url, exam_id, lang] = (fingerprint, rows_out)
    return rows_out


# The analysis takes a second or more; its inputs change only when scores (this exam's, or the
# previous one's for the improvement rate) or the policy do. Computed results are kept per exam and
# language with a fingerprint of both, and computed again when either changes.
_RESULTS: dict[tuple[str, str, str], tuple[tuple, list[SchoolResult]]] = {}


def scores_fingerprint(url: str) -> tuple:
    """How many final scores the database holds and their sum: changes whenever a score does."""
    from sqlalchemy import func

    from models import Score

    with session_scope(url) as session:
        return tuple(session.execute(select(func.count(), func.sum(Score.score))).one())
