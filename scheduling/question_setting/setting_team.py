"""The setting team (命题组) of a joint exam, chosen with CP-SAT.

DOMAIN.md (003 part 2, 统一试题): unit tests are set jointly by backbone teachers of the schools; the
midterm by cluster backbone teachers together with district subject researchers (教研员); the final
by the research centre. So a team has backbone teachers of the subject from at least two schools,
plus researchers for midterms and finals (policy `min_researchers`). Balance: nobody sets every exam
(past settings this school year are penalised, growing with their number, and capped), schools take
turns, and one school does not fill the team.

Policy numbers are targets (issue 12: a stage is never left blocked). When no team meets every rule,
the team that gives up the fewest rules is chosen, tier by tier in `relaxation_order` (default: an
experienced non-backbone teacher, 教龄 ≥ `experienced_years`, where backbone is required; someone at
the yearly cap; more than `max_per_school` from a school; fewer than `min_schools` schools; fewer than
`team_size_min` people; last a less experienced non-backbone teacher): a use of a later tier costs
more than every use of earlier ones together. Each use is a `SettingRelaxation` on the result, with
its text (numbers, names, the policy key) and a value of that key checked by re-solving. Researchers
that do not exist are a forced shortfall; a subject with no teacher in the exam's schools is set by
its researchers, and with neither the explanation names the file to import.
"""
from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import pandas as pd
from ortools.sat.python import cp_model

from domain.labels import labels
from bundle.cells import cell_bool, cell_int
from domain.vocab import SUBJECTS

from ._common import check_lang, say, split_list, subject_code
from .policy import EXAM_KINDS, PolicyError, SettingTeamPolicy

KIND_LABELS = labels("setter_kind")  # from the one registry (domain/labels.py)
EXAM_KIND_LABELS = labels("exam_kind")
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


@dataclass(frozen=True)
class SettingRelaxation:
    """One rule the best-effort team breaks, how often, and the policy value that would avoid it.

    tier: a name of `SETTING_RELAXATIONS`, or a shortfall nothing can choose around: `researchers`
    (fewer researchers exist than the exam kind needs) or `no_teachers` (no teacher of the subject in
    the exam's schools: the team is the researchers). rank: the tier's place in the policy's
    `relaxation_order` (1 = given up first); 0 for those two. suggested_value: checked by re-solving
    with it (None: no single value of this key avoids the relaxation).
    """

    tier: str
    rank: int
    count: int  # people standing in, people above a cap, schools or members missing
    policy_key: str
    policy_value: object
    suggested_value: object | None
    people: tuple[str, ...] = ()
    schools: tuple[str, ...] = ()
    text: str = ""

    def to_dict(self) -> dict:
        return {"tier": self.tier, "rank": self.rank, "count": self.count, "policy_key": self.policy_key,
                "policy_value": self.policy_value, "suggested_value": self.suggested_value,
                "people": list(self.people), "schools": list(self.schools), "text": self.text}


@dataclass
class SettingTeamResult:
    status: str  # optimal, feasible, infeasible, unknown
    members: list[SettingCandidate]
    leader_id: str | None  # 组长: a researcher when there is one, else the most senior teacher
    explanation: list[str]  # why there is no team, or (best effort) what the team falls short of
    solve_seconds: float
    num_workers: int
    objective: float | None = None
    history: dict[str, int] = field(default_factory=dict)
    relaxations: list[SettingRelaxation] = field(default_factory=list)  # empty: every rule holds
    strict_explanation: list[str] = field(default_factory=list)  # why no team meets every rule

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "feasible")

    @property
    def best_effort(self) -> bool:
        """A team that breaks some policy rule (listed in `relaxations`)."""
        return self.ok and bool(self.relaxations)

    @property
    def member_ids(self) -> list[str]:
        return [m.person_id for m in self.members]

    @property
    def schools(self) -> list[str]:
        return sorted({m.school_id for m in self.members if m.school_id is not None})

    def uses(self, tier: str) -> int:
        """How many times the team uses a relaxation tier (0 when it does not)."""
        return sum(r.count for r in self.relaxations if r.tier == tier)

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


def _strictly_eligible(candidate: SettingCandidate, policy: SettingTeamPolicy) -> bool:
    """A backbone or famous teacher, or any teacher when the policy does not ask for backbone ones."""
    return candidate.backbone or candidate.famous or not policy.backbone_only


def _leader(members: Sequence[SettingCandidate]) -> str | None:
    if not members:
        return None
    ranked = sorted(members, key=lambda m: (not m.is_researcher, not m.famous, -m.teaching_years, m.person_id))
    return ranked[0].person_id


@dataclass
class _Pool:
    """Who may sit on the team, and under which relaxation tier each person would."""

    strict: list[SettingCandidate]  # meets every rule
    capped: list[SettingCandidate]  # eligible but at the yearly cap (tier yearly_cap)
    experienced: list[SettingCandidate]  # non-backbone, 教龄 ≥ experienced_years (tier experienced)
    junior: list[SettingCandidate]  # non-backbone, less experienced (tier junior)
    subject_teachers: int  # teachers of the subject in the candidates, whatever their status
    researchers_available: int  # researchers of the subject not excluded (one at the yearly cap counts as yearly_cap)
    researchers_wanted: bool

    def everyone(self, relaxed: bool) -> list[SettingCandidate]:
        if not relaxed:
            return list(self.strict)
        return list(dict.fromkeys(self.strict + self.capped + self.experienced + self.junior))


def _classify(candidates: Sequence[SettingCandidate], subject: str, policy: SettingTeamPolicy, need_researchers: int,
              history: Mapping[str, int], pinned: Sequence[str], excluded: set[str], relaxed: bool) -> _Pool:
    of_subject = [c for c in candidates if c.subject == subject and c.person_id not in excluded]
    subject_teachers = sum(not c.is_researcher for c in of_subject)
    # Researchers sit when the exam kind asks for them, or (best effort) when no teacher of the subject exists.
    researchers_wanted = need_researchers > 0 or (relaxed and subject_teachers == 0)
    cap = policy.max_settings_per_year
    pool = _Pool([], [], [], [], subject_teachers, 0, researchers_wanted)
    for c in of_subject:
        if c.is_researcher and not researchers_wanted:
            continue
        at_cap = bool(cap) and history.get(c.person_id, 0) >= cap and c.person_id not in pinned
        if c.is_researcher or _strictly_eligible(c, policy):
            (pool.capped if at_cap else pool.strict).append(c)
            pool.researchers_available += c.is_researcher
            continue
        if not relaxed:
            continue
        (pool.experienced if c.teaching_years >= policy.experienced_years else pool.junior).append(c)
        if at_cap:
            pool.capped.append(c)
    return pool


def _tier_weights(policy: SettingTeamPolicy) -> dict[str, int]:
    """Lexicographic weights: one use of a later tier costs more than every possible use of earlier ones."""
    most = {"experienced": policy.team_size_max, "yearly_cap": policy.team_size_max,
            "per_school": policy.team_size_max, "schools": policy.min_schools, "team_size": policy.team_size_min,
            "junior": policy.team_size_max}
    weights, below = {}, 0
    for tier in policy.relaxation_order:
        weights[tier] = below + 1
        below += weights[tier] * most[tier]
    return weights


@dataclass
class _Solved:
    status: str
    members: list[SettingCandidate]
    uses: dict[str, int]  # tier → count in the chosen team
    objective: float | None


def _solve(pool: _Pool, policy: SettingTeamPolicy, need_researchers: int, history: Mapping[str, int],
           previous_team: set[str], grade: int | None, pinned: Sequence[str], relaxed: bool, time_limit_s: float,
           num_workers: int, seed: int) -> _Solved:
    """The team model. Strict: every rule is a constraint. Relaxed: each rule has a slack counted by its tier;
    the tiers are minimised first (lexicographically, in policy order), then the balance objective."""
    people = pool.everyone(relaxed)
    model = cp_model.CpModel()
    x = {c.person_id: model.new_bool_var(f"set_{c.person_id}") for c in people}
    teachers = [c for c in people if not c.is_researcher]
    researchers = [c for c in people if c.is_researcher]
    by_school: dict[str, list[SettingCandidate]] = defaultdict(list)
    for c in teachers:
        by_school[c.school_id or ""].append(c)

    def total(group) -> cp_model.LinearExpr:
        return cp_model.LinearExpr.sum([x[c.person_id] for c in group])

    size = total(people)
    model.add(size <= policy.team_size_max)
    uses: dict[str, cp_model.LinearExprT] = {}
    if relaxed:
        size_short = model.new_int_var(0, policy.team_size_min, "team_size_short")
        model.add(size + size_short >= policy.team_size_min)
        if people:
            model.add(size >= 1)  # never an empty team while anyone may sit on it
        uses["team_size"] = size_short
    else:
        model.add(size >= policy.team_size_min)
    represented, over = [], []
    for school, members in sorted(by_school.items()):
        chosen = total(members)
        if relaxed:
            excess = model.new_int_var(0, policy.team_size_max, f"over_cap_{school}")
            model.add(chosen <= policy.max_per_school + excess)
            over.append(excess)
        else:
            model.add(chosen <= policy.max_per_school)
        present = model.new_bool_var(f"school_{school}")
        model.add(chosen >= 1).only_enforce_if(present)
        model.add(chosen == 0).only_enforce_if(present.Not())
        represented.append(present)
    if relaxed:
        schools_short = model.new_int_var(0, policy.min_schools, "schools_short")
        model.add(sum(represented) + schools_short >= policy.min_schools)
        uses["schools"] = schools_short
        uses["per_school"] = cp_model.LinearExpr.sum(over)
        uses["experienced"] = total(pool.experienced)
        uses["junior"] = total(pool.junior)
        uses["yearly_cap"] = total([c for c in pool.capped if c.person_id in x])
    else:
        model.add(sum(represented) >= policy.min_schools)
    # Researchers the exam kind asks for; best effort: as many as exist (the shortfall is forced).
    researcher_count = total(researchers)
    model.add(researcher_count >= (min(need_researchers, pool.researchers_available) if relaxed
                                   else need_researchers))
    model.add(researcher_count <= policy.max_researchers)
    for person_id in pinned:
        if person_id in x:
            model.add(x[person_id] == 1)

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = max(1, num_workers)
    solver.parameters.random_seed = seed
    if relaxed:
        # First the relaxations alone (a small model), then the balance among the teams that use them as little.
        weights = _tier_weights(policy)
        relaxation = cp_model.LinearExpr.weighted_sum([uses[t] for t in weights], list(weights.values()))
        model.minimize(relaxation)
        solver.parameters.max_time_in_seconds = max(0.05, time_limit_s / 2)
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return _Solved("infeasible" if status == cp_model.INFEASIBLE else "unknown", [], {}, None)
        model.add(relaxation <= round(solver.objective_value))
        for c in people:
            model.add_hint(x[c.person_id], solver.boolean_value(x[c.person_id]))
        time_limit_s /= 2
    terms = _penalties(model, x, people, by_school, size, history, previous_team, grade, policy, seed,
                       busiest_max=policy.team_size_max if relaxed else policy.max_per_school)
    model.minimize(sum(terms))
    solver.parameters.max_time_in_seconds = max(0.05, time_limit_s)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _Solved("infeasible" if status == cp_model.INFEASIBLE else "unknown", [], {}, None)
    members = [c for c in people if solver.boolean_value(x[c.person_id])]
    counts = {tier: int(solver.value(expr)) for tier, expr in uses.items()}
    return _Solved("optimal" if status == cp_model.OPTIMAL else "feasible", members,
                   {t: n for t, n in counts.items() if n}, solver.objective_value)


def choose_setting_team(candidates: Iterable[SettingCandidate], exam_kind: str,
                        policy: SettingTeamPolicy | None = None, history: Mapping[str, int] | None = None, *,
                        subject: str, grade: int | None = None, previous_team: Iterable[str] = (),
                        pinned: Iterable[str] = (), excluded: Iterable[str] = (), time_limit_s: float = 5,
                        num_workers: int = 2, lang: str = "zh", seed: int = 0,
                        suggest: bool = True) -> SettingTeamResult:
    """Choose the 命题组 for one exam of `subject` (and `grade`, to prefer teachers who teach it).

    history: person_id → papers set this school year (the balance input). previous_team: who set
    the last exam. pinned / excluded: people the planner insists on / rules out.

    When no team meets every rule and `policy.best_effort` is on, the result is still `ok`: the team
    that gives up as few rules as possible, tier by tier in `policy.relaxation_order`, with each use in
    `relaxations` (explained, with the policy key and a value checked by re-solving when `suggest`),
    and the strict reasons in `strict_explanation`. It is empty only when the exam's schools have no
    teacher and no researcher of the subject (the explanation names what to import) or the pins conflict.
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

    def finish(status: str, explanation: list[str], solved: _Solved | None = None, relaxations=(),
               strict=()) -> SettingTeamResult:
        members = sorted(solved.members if solved else (),
                         key=lambda m: (m.is_researcher is False, m.school_id or "", m.person_id))
        return SettingTeamResult(status, list(members), _leader(members), explanation,
                                 time.perf_counter() - started, num_workers, solved.objective if solved else None,
                                 {m.person_id: history.get(m.person_id, 0) for m in members},
                                 list(relaxations), list(strict))

    strict_pool = _classify(candidates, subject, policy, need_researchers, history, pinned, excluded, relaxed=False)
    header = say(lang, f"无法组成{subject_zh}{EXAM_KIND_LABELS[exam_kind]}命题组：",
                 f"No {subject} {exam_kind} setting team is possible:")
    shortages = _precheck(strict_pool.strict, strict_pool.capped, subject, policy, exam_kind, need_researchers, lang)
    pin_problems = _pin_problems(strict_pool.strict, candidates, pinned, excluded, subject, policy, exam_kind, lang)
    if pin_problems or (shortages and not policy.best_effort):
        return finish("infeasible", [header] + shortages + pin_problems, strict=[header] + shortages + pin_problems)
    args = (need_researchers, history, previous_team, grade, pinned)
    if not shortages:
        solved = _solve(strict_pool, policy, *args, relaxed=False, time_limit_s=time_limit_s,
                        num_workers=num_workers, seed=seed)
        if solved.status in ("optimal", "feasible"):
            return finish(solved.status, [], solved)
        if solved.status == "unknown":
            return finish("unknown", [say(lang, "时限内未找到命题组", "no team found within the time limit")])
        shortages = [say(lang, "命题组人数、学校数、每校人数上限和指定人选无法同时满足",
                         "team size, number of schools, per-school cap and pinned people cannot all be met")]
        if not policy.best_effort:
            return finish("infeasible", [header] + shortages, strict=[header] + shortages)
    strict = [header] + shortages

    pool = _classify(candidates, subject, policy, need_researchers, history, pinned, excluded, relaxed=True)
    if not pool.everyone(True):
        return finish("infeasible", strict + [_nothing_to_import(candidates, subject, exam_kind, lang)], strict=strict)
    solved = _solve(pool, policy, *args, relaxed=True, time_limit_s=time_limit_s, num_workers=num_workers, seed=seed)
    if solved.status == "infeasible":  # only the hard limits are left: the team maximum, the researcher cap
        return finish("infeasible", strict + [say(
            lang, f"放宽全部可放宽的规则后仍无法组队：教研员至多 {policy.max_researchers} 名（max_researchers），"
                  f"命题组至多 {policy.team_size_max} 人（team_size_max）",
            f"no team even with every relaxation: at most {policy.max_researchers} researchers (max_researchers), "
            f"at most {policy.team_size_max} people (team_size_max)")], strict=strict)
    if solved.status != "optimal" and solved.status != "feasible":
        return finish(solved.status, strict + [say(lang, "时限内未找到命题组", "no team found within the time limit")],
                      strict=strict)
    relaxations = _relaxations(solved, pool, policy, exam_kind, need_researchers, history, subject, lang)
    explanation = [say(lang, f"{subject_zh}{EXAM_KIND_LABELS[exam_kind]}命题组未能满足全部政策，已按放宽顺序组成最接近的"
                             f"命题组（{len(solved.members)} 人）：",
                       f"the {subject} {exam_kind} setting team cannot meet every policy rule; the closest team "
                       f"({len(solved.members)} people) relaxes, in policy order:")]
    if suggest:
        def again(changed: SettingTeamPolicy, best_effort: bool) -> SettingTeamResult:
            return choose_setting_team(candidates, exam_kind, replace(changed, best_effort=best_effort), history,
                                       subject=subject, grade=grade, previous_team=previous_team, pinned=pinned,
                                       excluded=excluded, time_limit_s=min(time_limit_s, 2), num_workers=num_workers,
                                       lang=lang, seed=seed, suggest=False)
        relaxations, together = _checked_suggestions(relaxations, policy, again, lang)
    else:
        together = []
    explanation += [r.text for r in relaxations] + together
    return finish(solved.status, explanation, solved, relaxations, strict)


def _people(members: Iterable[SettingCandidate], lang: str, years: bool = False) -> str:
    """'李颖（S001，教龄 28 年）、…': names first, where a person reads."""
    parts = []
    for m in members:
        where = m.school_id or say(lang, "教研室", "research office")
        extra = say(lang, f"，教龄 {m.teaching_years} 年", f", {m.teaching_years} years") if years else ""
        parts.append(f"{m.name or m.person_id}（{m.person_id}，{where}{extra}）" if lang == "zh"
                     else f"{m.name or m.person_id} ({m.person_id}, {where}{extra})")
    return ("、" if lang == "zh" else ", ").join(parts)


def _relaxations(solved: _Solved, pool: _Pool, policy: SettingTeamPolicy, exam_kind: str, need_researchers: int,
                 history: Mapping[str, int], subject: str, lang: str) -> list[SettingRelaxation]:
    """The relaxations the best-effort team uses, forced shortfalls first, then in policy order."""
    subject_zh = SUBJECTS.get(subject, subject)
    chosen = {m.person_id for m in solved.members}
    teachers = [m for m in solved.members if not m.is_researcher]
    rank = {tier: n + 1 for n, tier in enumerate(policy.relaxation_order)}
    out: list[SettingRelaxation] = []
    if pool.subject_teachers == 0:
        out.append(SettingRelaxation(
            "no_teachers", 0, 1, "teachers.csv", None, None, tuple(sorted(chosen)), (),
            say(lang, f"考试学校没有{subject_zh}教师（teachers.csv 中无该学科教师）：命题组暂由{subject_zh}教研员组成；"
                      f"请在 teachers.csv 导入各校{subject_zh}教师",
                f"the exam's schools have no {subject} teacher in teachers.csv: the team is the {subject} "
                f"researchers for now; import the schools' {subject} teachers into teachers.csv")))
    if pool.researchers_available < need_researchers:
        key = f"min_researchers.{exam_kind}"
        available = pool.researchers_available
        out.append(SettingRelaxation(
            "researchers", 0, need_researchers - available, key, need_researchers, available, (), (),
            say(lang, f"{EXAM_KIND_LABELS[exam_kind]}命题需要 {need_researchers} 名{subject_zh}教研员，现只有 {available} 名可用，"
                      f"缺 {need_researchers - available} 名（请在 researchers.csv 导入，或把 {key} 改为 {available}）",
                f"a {exam_kind} needs {need_researchers} {subject} researcher(s), {available} available, "
                f"{need_researchers - available} short (import them into researchers.csv, "
                f"or set {key} = {available})")))
    by_school: dict[str, list[SettingCandidate]] = defaultdict(list)
    for m in teachers:
        by_school[m.school_id or ""].append(m)
    for tier in policy.relaxation_order:
        n = solved.uses.get(tier, 0)
        if not n:
            continue
        if tier in ("experienced", "junior"):
            group = [m for m in (pool.experienced if tier == "experienced" else pool.junior) if m.person_id in chosen]
            limit = (say(lang, f"教龄不少于 {policy.experienced_years} 年", f"at least {policy.experienced_years} "
                                                                          f"teaching years")
                     if tier == "experienced" else
                     say(lang, f"教龄不足 {policy.experienced_years} 年", f"under {policy.experienced_years} "
                                                                        f"teaching years"))
            text = say(lang, f"缺骨干教师：由 {n} 名{limit}的非骨干教师顶替：{_people(group, lang, True)}"
                             f"（backbone_only = true）",
                       f"too few backbone teachers: {n} non-backbone teacher(s) with {limit} stand in: "
                       f"{_people(group, lang, True)} (backbone_only = true)")
            out.append(SettingRelaxation(tier, rank[tier], n, "backbone_only", True, False,
                                         tuple(m.person_id for m in group),
                                         tuple(sorted({m.school_id for m in group if m.school_id})), text))
        elif tier == "yearly_cap":
            group = [m for m in pool.capped if m.person_id in chosen]
            most = max(history.get(m.person_id, 0) for m in group)
            text = say(lang, f"{n} 人本学年已命题达到上限 {policy.max_settings_per_year} 次仍需参加：{_people(group, lang)}"
                             f"（max_settings_per_year = {policy.max_settings_per_year}）",
                       f"{n} people at the yearly cap of {policy.max_settings_per_year} papers set again: "
                       f"{_people(group, lang)} (max_settings_per_year = {policy.max_settings_per_year})")
            out.append(SettingRelaxation(tier, rank[tier], n, "max_settings_per_year", policy.max_settings_per_year,
                                         most + 1, tuple(m.person_id for m in group), (), text))
        elif tier == "per_school":
            over = {s: len(ms) for s, ms in sorted(by_school.items()) if len(ms) > policy.max_per_school}
            listed = ("、" if lang == "zh" else ", ").join(
                say(lang, f"{s} 出 {k} 人", f"{s} sends {k}") for s, k in over.items())
            text = say(lang, f"每校至多 {policy.max_per_school} 人，但 {listed}，共超出 {n} 人"
                             f"（max_per_school = {policy.max_per_school}）",
                       f"at most {policy.max_per_school} per school, but {listed}: {n} above the cap "
                       f"(max_per_school = {policy.max_per_school})")
            out.append(SettingRelaxation(tier, rank[tier], n, "max_per_school", policy.max_per_school,
                                         max(over.values()), (), tuple(over), text))
        elif tier == "schools":
            present = sorted(s for s in by_school if s)
            have = sorted({c.school_id for c in pool.everyone(True) if not c.is_researcher and c.school_id})
            unused = _why_schools_unused([s for s in have if s not in present], pool, policy, lang)
            text = say(lang, f"命题组教师只来自 {len(present)} 所学校（{'、'.join(present) or '无'}），少于要求的 "
                             f"{policy.min_schools} 所；有{subject_zh}教师的学校共 {len(have)} 所"
                             f"（{'、'.join(have) or '无'}）{unused}（min_schools = {policy.min_schools}）",
                       f"the team's teachers come from {len(present)} school(s) ({', '.join(present) or 'none'}), "
                       f"fewer than {policy.min_schools}; {len(have)} school(s) have {subject} teachers "
                       f"({', '.join(have) or 'none'}){unused} (min_schools = {policy.min_schools})")
            out.append(SettingRelaxation(tier, rank[tier], n, "min_schools", policy.min_schools,
                                         len(present) if present else None, (), tuple(present), text))
        elif tier == "team_size":
            size = len(solved.members)
            text = say(lang, f"命题组只有 {size} 人，少于至少 {policy.team_size_min} 人，缺 {n} 人"
                             f"（team_size_min = {policy.team_size_min}）",
                       f"the team has {size} people, {n} fewer than the minimum {policy.team_size_min} "
                       f"(team_size_min = {policy.team_size_min})")
            out.append(SettingRelaxation(tier, rank[tier], n, "team_size_min", policy.team_size_min, size,
                                         (), (), text))
    return out


def _why_schools_unused(schools: Sequence[str], pool: _Pool, policy: SettingTeamPolicy, lang: str) -> str:
    """'；S005 只有 2 名教龄不足 10 年的非骨干教师（最后才用）': why a school with teachers is not on the team."""
    parts = []
    for school in schools:
        junior = sum(c.school_id == school for c in pool.junior)
        capped = sum(c.school_id == school for c in pool.capped)
        if junior:
            parts.append(say(lang, f"{school} 只有 {junior} 名教龄不足 {policy.experienced_years} 年的非骨干教师"
                                   f"（放宽顺序 relaxation_order 中的 junior）",
                             f"{school} has only {junior} non-backbone teacher(s) under {policy.experienced_years} "
                             f"years (tier junior of relaxation_order)"))
        elif capped:
            parts.append(say(lang, f"{school} 的 {capped} 名教师已达年度命题上限", f"{school}'s {capped} teacher(s) "
                                                                            f"are at the yearly cap"))
    if not parts:
        return ""
    return say(lang, "；" + "；".join(parts), "; " + "; ".join(parts))


def _changed(policy: SettingTeamPolicy, key: str, value) -> SettingTeamPolicy | None:
    """The policy with one key changed (`min_researchers.midterm` names a kind), or None when invalid."""
    try:
        if key.startswith("min_researchers."):
            kinds = dict(policy.min_researchers)
            kinds[key.split(".", 1)[1]] = value
            changed = replace(policy, min_researchers=kinds)
        else:
            changed = replace(policy, **{key: value})
        changed.check()
        return changed
    except (PolicyError, TypeError, ValueError):
        return None


def _checked_suggestions(relaxations: list[SettingRelaxation], policy: SettingTeamPolicy, again,
                         lang: str) -> tuple[list[SettingRelaxation], list[str]]:
    """Keep a suggested value only if re-solving with it avoids that relaxation; then say whether all the
    suggestions together allow a team that meets every rule (also re-solved)."""
    checked = []
    for r in relaxations:
        value = r.suggested_value
        if value is not None and r.tier != "no_teachers":
            changed = _changed(policy, r.policy_key, value)
            if changed is None or again(changed, True).uses(r.tier) > 0:
                value = None
        if value is None and r.tier != "no_teachers":
            text = r.text + say(lang, "；单改该键不足以免去此项", "; changing this key alone would not avoid it")
        elif r.tier == "no_teachers":
            text = r.text
        else:
            shown = str(value).lower() if isinstance(value, bool) else value
            text = r.text + say(lang, f"；改为 {r.policy_key} = {shown} 可免去此项（已复核）",
                                f"; {r.policy_key} = {shown} would avoid it (checked by re-solving)")
        checked.append(replace(r, suggested_value=value, text=text))
    together = policy
    keys = []
    for r in checked:
        if r.suggested_value is None or r.tier == "no_teachers":
            continue
        changed = _changed(together, r.policy_key, r.suggested_value)
        if changed is None:
            return checked, []
        together = changed
        shown = str(r.suggested_value).lower() if isinstance(r.suggested_value, bool) else r.suggested_value
        keys.append(f"{r.policy_key} = {shown}")
    if not keys or any(r.suggested_value is None for r in checked):
        return checked, []
    if again(together, False).ok:
        joined = ("、" if lang == "zh" else ", ").join(dict.fromkeys(keys))
        return checked, [say(lang, f"同时设 {joined} 即可组成满足全部规则的命题组（已复核）",
                             f"with {joined} together a team meets every rule (checked by re-solving)")]
    return checked, []


def _nothing_to_import(candidates: Sequence[SettingCandidate], subject: str, exam_kind: str, lang: str) -> str:
    """No one at all may sit: name the files to import."""
    subject_zh = SUBJECTS.get(subject, subject)
    return say(lang, f"考试学校没有{subject_zh}教师，也没有{subject_zh}教研员：请在 teachers.csv 导入各校{subject_zh}教师"
                     f"（学科 {subject}），或在 researchers.csv 导入{subject_zh}教研员",
               f"the exam's schools have no {subject} teacher and there is no {subject} researcher: import the "
               f"schools' {subject} teachers into teachers.csv, or {subject} researchers into researchers.csv")


def _penalties(model, x, pool, by_school, size, history, previous_team, grade, policy, seed, busiest_max) -> list:
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
    busiest = model.new_int_var(0, busiest_max, "busiest_school")
    for members in by_school.values():
        model.add(busiest >= sum(x[m.person_id] for m in members))
    terms.append(w(policy.school_balance_weight) * busiest)
    off_target = model.new_int_var(0, policy.team_size_max, "size_off_target")
    model.add(off_target >= size - policy.team_size_target)
    model.add(off_target >= policy.team_size_target - size)
    terms.append(w(policy.size_weight) * off_target)
    return terms


def _precheck(pool, capped, subject, policy, exam_kind, need_researchers, lang) -> list[str]:
    """Reasons no team meets every rule, named before any solving."""
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
    return out


def _pin_problems(pool, candidates, pinned, excluded, subject, policy, exam_kind, lang) -> list[str]:
    """Pins that cannot hold: the planner's own choice, so they are reported, never relaxed."""
    out = []
    subject_zh = SUBJECTS.get(subject, subject)
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

def _grades(value) -> tuple[int, ...]:
    return tuple(int(float(g)) for g in split_list(value))


def candidates_from_tables(tables: Mapping[str, pd.DataFrame], subject: str,
                           school_ids: Iterable[str] | None = None) -> list[SettingCandidate]:
    """Teachers of `subject` (from `teachers`, optionally only the cluster's schools; backbone and famous
    flags kept, since the team prefers them and takes others only as a stated relaxation) and the
    subject's researchers (from the optional `researchers` table)."""
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
            backbone, famous = cell_bool(row.get("backbone")), cell_bool(row.get("famous"))
            years = row.get("teaching_years")
            out.append(SettingCandidate(str(row["teacher_id"]).strip(), str(row.get("name", "")).strip(), subject,
                                        "teacher", str(row["school_id"]).strip(), _grades(row.get("grades")),
                                        backbone, famous, cell_int(years, 0)))
    if "researchers" in tables:
        for row in _rename_to_contract(tables["researchers"], RESEARCHERS).to_dict("records"):
            if subject_code(row["subject"]) != subject:
                continue
            out.append(SettingCandidate(str(row["researcher_id"]).strip(), str(row.get("name", "")).strip(),
                                        subject, "researcher", None, _grades(row.get("grades"))))
    return out
