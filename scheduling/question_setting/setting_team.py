"""The setting team (命题组) of a joint exam, chosen with CP-SAT.

DOMAIN.md (003 part 2, 统一试题): unit tests are set jointly by backbone teachers of the schools; the
midterm by cluster backbone teachers together with district subject researchers (教研员); the final
by the research centre. So a team has backbone teachers of the subject from at least two schools,
plus researchers for midterms and finals (policy `min_researchers`). Balance: nobody sets every exam
(past settings this school year are penalised, growing with their number, and capped), schools take
turns, and one school does not fill the team.
"""
from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
from ortools.sat.python import cp_model

from domain.vocab import BOOL_TRUE, SUBJECTS

from ._common import check_lang, is_missing, say, split_list, subject_code
from .policy import EXAM_KINDS, SettingTeamPolicy

KIND_LABELS = {"teacher": "骨干教师", "researcher": "教研员"}
EXAM_KIND_LABELS = {"unit": "单元检测", "midterm": "期中", "final": "期末", "feedback": "反馈考试"}
TEAM_COLUMNS = {"person_id": "编号", "name": "姓名", "kind": "身份", "school_id": "学校编号",
                "leader": "组长", "settings_this_year": "本学年已命题次数"}


@dataclass(frozen=True)
class SettingCandidate:
    """A backbone teacher of a cluster school, or a district subject researcher (then school_id is None)."""

    person_id: str
    name: str
    subject: str
    kind: str = "teacher"  # teacher or researcher
    school_id: str | None = None
    grades: tuple[int, ...] = ()  # 任教/负责年级
    backbone: bool = False  # 骨干教师
    famous: bool = False  # 名师
    teaching_years: int = 0  # 教龄: used to pick the team leader among teachers

    @property
    def is_researcher(self) -> bool:
        return self.kind == "researcher"


@dataclass
class SettingTeamResult:
    status: str  # optimal, feasible, infeasible, unknown
    members: list[SettingCandidate]
    leader_id: str | None  # 组长: a researcher when there is one, else the most senior teacher
    explanation: list[str]
    solve_seconds: float
    num_workers: int
    objective: float | None = None
    history: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "feasible")

    @property
    def member_ids(self) -> list[str]:
        return [m.person_id for m in self.members]

    @property
    def schools(self) -> list[str]:
        return sorted({m.school_id for m in self.members if m.school_id is not None})

    def to_frame(self, lang: str = "zh") -> pd.DataFrame:
        check_lang(lang)
        rows = [{"person_id": m.person_id, "name": m.name,
                 "kind": KIND_LABELS.get(m.kind, m.kind) if lang == "zh" else m.kind,
                 "school_id": m.school_id, "leader": m.person_id == self.leader_id,
                 "settings_this_year": self.history.get(m.person_id, 0)} for m in self.members]
        frame = pd.DataFrame(rows, columns=list(TEAM_COLUMNS))
        if lang == "zh":
            frame["leader"] = frame["leader"].map({True: "是", False: "否"})
            frame = frame.rename(columns=TEAM_COLUMNS)
        return frame


def _eligible(candidate: SettingCandidate, subject: str, policy: SettingTeamPolicy, researchers_wanted: bool) -> bool:
    if candidate.subject != subject:
        return False
    if candidate.is_researcher:
        return researchers_wanted
    return candidate.backbone or candidate.famous or not policy.backbone_only


def _leader(members: Sequence[SettingCandidate]) -> str | None:
    if not members:
        return None
    ranked = sorted(members, key=lambda m: (not m.is_researcher, not m.famous, -m.teaching_years, m.person_id))
    return ranked[0].person_id


def choose_setting_team(candidates: Iterable[SettingCandidate], exam_kind: str,
                        policy: SettingTeamPolicy | None = None, history: Mapping[str, int] | None = None, *,
                        subject: str, grade: int | None = None, previous_team: Iterable[str] = (),
                        pinned: Iterable[str] = (), excluded: Iterable[str] = (), time_limit_s: float = 5,
                        num_workers: int = 2, lang: str = "zh", seed: int = 0) -> SettingTeamResult:
    """Choose the 命题组 for one exam of `subject` (and `grade`, to prefer teachers who teach it).

    history: person_id → papers set this school year (the balance input). previous_team: who set
    the last exam. pinned / excluded: people the planner insists on / rules out.
    """
    started = time.perf_counter()
    check_lang(lang)
    policy = policy or SettingTeamPolicy()
    if exam_kind not in EXAM_KINDS:
        raise ValueError(f"exam_kind must be one of {EXAM_KINDS}, not {exam_kind!r}")
    subject = subject_code(subject)
    history = {k: int(v) for k, v in (history or {}).items()}
    previous_team, pinned, excluded = set(previous_team), list(dict.fromkeys(pinned)), set(excluded)
    candidates = list(candidates)
    need_researchers = policy.researchers_needed(exam_kind)
    subject_zh = SUBJECTS.get(subject, subject)

    def finish(status: str, explanation: list[str], members=(), objective=None) -> SettingTeamResult:
        members = sorted(members, key=lambda m: (m.is_researcher is False, m.school_id or "", m.person_id))
        return SettingTeamResult(status, list(members), _leader(members), explanation,
                                 time.perf_counter() - started, num_workers, objective,
                                 {m.person_id: history.get(m.person_id, 0) for m in members})

    # Who may sit on the team, and who is kept off by the yearly cap.
    cap = policy.max_settings_per_year
    pool, capped = [], []
    for c in candidates:
        if c.person_id in excluded or not _eligible(c, subject, policy, need_researchers > 0):
            continue
        if cap and history.get(c.person_id, 0) >= cap and c.person_id not in pinned:
            capped.append(c)
        else:
            pool.append(c)

    header = say(lang, f"无法组成{subject_zh}{EXAM_KIND_LABELS[exam_kind]}命题组：",
                 f"No {subject} {exam_kind} setting team is possible:")
    problems = _precheck(pool, capped, candidates, pinned, excluded, subject, policy, exam_kind, need_researchers, lang)
    if problems:
        return finish("infeasible", [header] + problems)

    model = cp_model.CpModel()
    x = {c.person_id: model.new_bool_var(f"set_{c.person_id}") for c in pool}
    teachers = [c for c in pool if not c.is_researcher]
    researchers = [c for c in pool if c.is_researcher]
    by_school: dict[str, list[SettingCandidate]] = defaultdict(list)
    for c in teachers:
        by_school[c.school_id or ""].append(c)

    size = cp_model.LinearExpr.sum(list(x.values()))
    model.add(size >= policy.team_size_min)
    model.add(size <= policy.team_size_max)
    represented = []
    for school, members in sorted(by_school.items()):
        chosen = cp_model.LinearExpr.sum([x[m.person_id] for m in members])
        model.add(chosen <= policy.max_per_school)
        present = model.new_bool_var(f"school_{school}")
        model.add(chosen >= 1).only_enforce_if(present)
        model.add(chosen == 0).only_enforce_if(present.Not())
        represented.append(present)
    model.add(sum(represented) >= policy.min_schools)
    researcher_count = cp_model.LinearExpr.sum([x[r.person_id] for r in researchers])
    model.add(researcher_count >= need_researchers)
    model.add(researcher_count <= policy.max_researchers)
    for person_id in pinned:
        model.add(x[person_id] == 1)

    terms = _penalties(model, x, pool, by_school, size, history, previous_team, grade, policy, seed)
    model.minimize(sum(terms))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, time_limit_s)
    solver.parameters.num_workers = max(1, num_workers)
    solver.parameters.random_seed = seed
    status = solver.solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        members = [c for c in pool if solver.boolean_value(x[c.person_id])]
        return finish("optimal" if status == cp_model.OPTIMAL else "feasible", [], members, solver.objective_value)
    if status == cp_model.INFEASIBLE:
        return finish("infeasible", [header, say(lang, "命题组人数、学校数、每校人数上限和指定人选无法同时满足",
                                         "team size, number of schools, per-school cap and pinned people "
                                         "cannot all be met")])
    return finish("unknown", [say(lang, "时限内未找到命题组", "no team found within the time limit")])


def _penalties(model, x, pool, by_school, size, history, previous_team, grade, policy, seed) -> list:
    """Objective terms (all integers): repeats, consecutive settings, school turns and balance, size."""
    # Scale the policy weights so a seeded tie-break (< 1 weight unit in total) never overrides them.
    unit = 10 * (len(pool) + 1)

    def w(value: float) -> int:
        return round(value * unit)

    terms = []
    school_history: dict[str, int] = defaultdict(int)
    for c in pool:
        if c.school_id is not None:
            school_history[c.school_id] += history.get(c.person_id, 0)
    order = list(range(len(pool)))
    random.Random(seed).shuffle(order)
    for rank, c in zip(order, pool):
        done = history.get(c.person_id, 0)
        cost = w(policy.repeat_weight) * done * done  # the second repeat hurts more than the first
        if c.person_id in previous_team:
            cost += w(policy.consecutive_weight)
        if c.school_id is not None:
            cost += w(policy.school_history_weight) * school_history[c.school_id]
        if grade is not None and int(grade) in c.grades:
            cost -= w(policy.grade_match_weight)
        terms.append((cost + rank) * x[c.person_id])  # rank: deterministic tie-break
    busiest = model.new_int_var(0, policy.max_per_school, "busiest_school")
    for members in by_school.values():
        model.add(busiest >= sum(x[m.person_id] for m in members))
    terms.append(w(policy.school_balance_weight) * busiest)
    off_target = model.new_int_var(0, policy.team_size_max, "size_off_target")
    model.add(off_target >= size - policy.team_size_target)
    model.add(off_target >= policy.team_size_target - size)
    terms.append(w(policy.size_weight) * off_target)
    return terms


def _precheck(pool, capped, candidates, pinned, excluded, subject, policy, exam_kind, need_researchers,
              lang) -> list[str]:
    """Reasons no team can exist, named before any solving."""
    out = []
    subject_zh = SUBJECTS.get(subject, subject)
    teachers = [c for c in pool if not c.is_researcher]
    researchers = [c for c in pool if c.is_researcher]
    schools = sorted({c.school_id for c in teachers if c.school_id is not None})
    capped_schools = sorted({c.school_id for c in capped if not c.is_researcher and c.school_id is not None})
    cap_note_zh = cap_note_en = ""
    if capped:
        ids = "、".join(c.person_id for c in capped)
        cap_note_zh = f"；另有 {len(capped)} 人（{ids}）本学年已命题 {policy.max_settings_per_year} 次，达到上限"
        cap_note_en = (f"; {len(capped)} more ({', '.join(c.person_id for c in capped)}) have already set "
                       f"{policy.max_settings_per_year} papers this year, the cap")
    if len(schools) < policy.min_schools:
        listed = "、".join(schools) if schools else "无"
        who = "骨干教师" if policy.backbone_only else "教师"
        out.append(say(lang, f"只有 {len(schools)} 所学校（{listed}）有可选的{subject_zh}{who}，"
                             f"命题组需要至少 {policy.min_schools} 所学校的教师{cap_note_zh}",
                       f"only {len(schools)} school(s) ({', '.join(schools) or 'none'}) have an eligible "
                       f"{subject} {'backbone ' if policy.backbone_only else ''}teacher; the team needs teachers from "
                       f"at least {policy.min_schools} schools{cap_note_en}"))
        if capped_schools and len(set(schools) | set(capped_schools)) >= policy.min_schools:
            out.append(say(lang, "可考虑提高每人每学年命题次数上限（max_settings_per_year）",
                           "consider raising the yearly cap (max_settings_per_year)"))
    if len(researchers) < need_researchers:
        out.append(say(lang, f"{EXAM_KIND_LABELS[exam_kind]}命题需要至少 {need_researchers} 名{subject_zh}教研员，"
                             f"现只有 {len(researchers)} 名",
                       f"a {exam_kind} needs at least {need_researchers} {subject} researcher(s); "
                       f"{len(researchers)} available"))
    by_school: dict[str, int] = defaultdict(int)
    for c in teachers:
        by_school[c.school_id] += 1
    most = sum(min(n, policy.max_per_school) for n in by_school.values()) + min(len(researchers), policy.max_researchers)
    if most < policy.team_size_min:
        out.append(say(lang, f"命题组至少 {policy.team_size_min} 人，可选人员最多只能凑 {most} 人"
                             f"（每校至多 {policy.max_per_school} 人）{cap_note_zh}",
                       f"the team needs at least {policy.team_size_min} people; at most {most} can be chosen "
                       f"({policy.max_per_school} per school at most){cap_note_en}"))
    pool_ids = {c.person_id for c in pool}
    by_id = {c.person_id: c for c in candidates}
    for person_id in pinned:
        if person_id in pool_ids:
            continue
        c = by_id.get(person_id)
        if c is None:
            reason = say(lang, "不在候选人中", "is not a candidate")
        elif person_id in excluded:
            reason = say(lang, "同时被排除", "is also excluded")
        elif c.subject != subject:
            reason = say(lang, f"不教{subject_zh}", f"does not teach {subject}")
        elif c.is_researcher:
            reason = say(lang, f"是教研员，而{EXAM_KIND_LABELS[exam_kind]}命题不请教研员",
                         f"is a researcher, and {exam_kind} papers are set without researchers")
        else:
            reason = say(lang, "不是骨干教师", "is not a backbone teacher")
        out.append(say(lang, f"指定人选 {person_id} {reason}", f"pinned person {person_id} {reason}"))
    pinned_in = [by_id[p] for p in pinned if p in pool_ids]
    if len(pinned_in) > policy.team_size_max:
        out.append(say(lang, f"指定了 {len(pinned_in)} 人，超过命题组上限 {policy.team_size_max} 人",
                       f"{len(pinned_in)} people pinned, more than the team maximum {policy.team_size_max}"))
    pinned_by_school: dict[str, int] = defaultdict(int)
    for c in pinned_in:
        if not c.is_researcher:
            pinned_by_school[c.school_id] += 1
    for school, n in sorted(pinned_by_school.items()):
        if n > policy.max_per_school:
            out.append(say(lang, f"学校 {school} 指定了 {n} 人，超过每校上限 {policy.max_per_school} 人",
                           f"school {school} has {n} pinned people, above the cap of {policy.max_per_school}"))
    pinned_researchers = sum(c.is_researcher for c in pinned_in)
    if pinned_researchers > policy.max_researchers:
        out.append(say(lang, f"指定了 {pinned_researchers} 名教研员，超过上限 {policy.max_researchers} 名",
                       f"{pinned_researchers} researchers pinned, above the cap of {policy.max_researchers}"))
    return out


# --- reading bundle tables -----------------------------------------------------------------------

def _bool(value) -> bool:
    return not is_missing(value) and str(value).strip().lower() in BOOL_TRUE | {"1.0"}


def _grades(value) -> tuple[int, ...]:
    return tuple(int(float(g)) for g in split_list(value))


def candidates_from_tables(tables: Mapping[str, pd.DataFrame], subject: str,
                           school_ids: Iterable[str] | None = None) -> list[SettingCandidate]:
    """Backbone and famous teachers of `subject` (from `teachers`, optionally only the cluster's
    schools) and the subject's researchers (from the optional `researchers` table)."""
    from bundle.spec import RESEARCHERS, TEACHERS

    from .bank import _rename_to_contract

    subject = subject_code(subject)
    schools = set(school_ids) if school_ids is not None else None
    out: list[SettingCandidate] = []
    if "teachers" in tables:
        for row in _rename_to_contract(tables["teachers"], TEACHERS).to_dict("records"):
            if subject_code(row["subject"]) != subject:
                continue
            if schools is not None and str(row["school_id"]).strip() not in schools:
                continue
            backbone, famous = _bool(row.get("backbone")), _bool(row.get("famous"))
            if not (backbone or famous):
                continue
            years = row.get("teaching_years")
            out.append(SettingCandidate(str(row["teacher_id"]).strip(), str(row.get("name", "")).strip(), subject,
                                        "teacher", str(row["school_id"]).strip(), _grades(row.get("grades")),
                                        backbone, famous, 0 if is_missing(years) else int(float(years))))
    if "researchers" in tables:
        for row in _rename_to_contract(tables["researchers"], RESEARCHERS).to_dict("records"):
            if subject_code(row["subject"]) != subject:
                continue
            out.append(SettingCandidate(str(row["researcher_id"]).strip(), str(row.get("name", "")).strip(),
                                        subject, "researcher", None, _grades(row.get("grades"))))
    return out
