"""What-if runs (情景方案) for planners: plan under a named scenario, compare side by side, adopt one.

A scenario is a name and what changes for this run: another policy (a TOML file, or a stored
version) and/or pins and forbids. Running it solves exactly as the real planner would — against the
current plan, with its change penalty, so the figures say what adopting it would change — and stores
the result as a plan that is NOT current (models.scenarios: a scope of its own, `status =
"scenario"`). Nothing the current plan's readers see changes until `adopt_scenario` copies the
scenario's plan as the next current version (audited: who, when, which scenario); the old current
stays as history.

    run_rotation_scenario:      app.term_planning's steps (load_case → solve_case → check_roster →
                                measure_attainment → store_plan), stored under the scenario's scope
    run_invigilation_scenario:  the invigilation replan (pins and forbids accumulate from the current
                                plan), stored under the scenario's scope
    compare_rotation / compare_invigilation: one column per plan (the current one first), one row per
                                figure, computed alike for every plan from its stored rows
    adopt_scenario:             the scenario's plan becomes the next current version

Everything runs in this process: no Prefect import, no flow call.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from app.exam_context import exam_context
from app.policies import ResolvedPolicy, area_of, parse_policy, resolve_exam_policy
from bundle.cells import safe_frame
from domain.labels import label
from models.db import database_url, session_scope
from models.plans import Plan
from models.policies import DISTRICT, stored_policy
from models.scenarios import (ADOPTED, SCENARIO, ScenarioNameError, adopt_plan, checked_name, current_plan, name_of,
                              scenario_plan, scenario_plans, scenario_scope, scopes_with_scenario,
                              scopes_with_scenarios)

from app.errors import UserError
from app.exam_logistics import LOGISTICS_TABLES, invigilation_parts, invigilation_summary

ROTATION, INVIGILATION = "rotation", "invigilation"
NUM_WORKERS = 2


def status_text(kind: str, status: str | None, lang: str = "zh") -> str:
    """A plan's solver status in the planner's words."""
    return label("solver_status" if kind == ROTATION else "plan_status", status or "", lang) or "–"


class ScenarioError(UserError):
    """A what-if request that cannot be served: one line for a person, in Chinese or English."""

    def __init__(self, zh: str, en: str):
        super().__init__(en, zh)


def _name(name: str) -> str:
    try:
        return checked_name(name)
    except ScenarioNameError as error:
        raise ScenarioError(error.line("zh"), error.line("en")) from None


# --- the policy of a run ---------------------------------------------------------------------------

def stored_version(session, area: str, scope: str, school_year: int, term: int | None,
                   version: int) -> ResolvedPolicy:
    """Version `version` of `area`'s stored policy for scope (a cluster id or district), year and term
    (the term's own versions first, then the whole year's), as a policy for one run."""
    for t in dict.fromkeys([term, None]):
        row = stored_policy(session, area, scope, school_year, t, version)
        if row is not None:
            where = f"{scope} {school_year}-{t} v{row.version}"
            return ResolvedPolicy(area, parse_policy(area, row.content, file=where), row.content,
                                  "district" if scope == DISTRICT else "cluster", scope, school_year, t, row.version,
                                  row.policy_set_id)
    raise ScenarioError(f"没有存储的{area_of(area).zh}政策 {scope} {school_year}-{term} 第 {version} 版",
                        f"no stored {area} policy {scope} {school_year}-{term} v{version}")


def _plan_policy(area: str, row, fallback: ResolvedPolicy) -> ResolvedPolicy:
    """The policy a stored plan was made under (its own text and record); the policy in force for a plan
    stored without one."""
    if row.policy_content is None:
        return fallback
    record = {k: v for k, v in ((row.summary or {}).get("policy") or {}).items()
              if k in ("source", "scope", "school_year", "term", "version", "policy_set_id", "path")}
    text = row.policy_content
    parsed = parse_policy(area, text) if text else area_of(area).policy_class.from_dict({})
    return ResolvedPolicy(area, parsed, text, **({"source": "builtin"} | record))


# --- the comparison table --------------------------------------------------------------------------

@dataclass
class PlanColumn:
    """One plan of a comparison: the current one or a scenario, and its figures (key → value)."""

    title_zh: str
    title_en: str
    name: str | None  # the scenario's name; None for the current plan
    plan_id: int
    version: int
    figures: dict[str, Any]

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en


@dataclass
class Comparison:
    """Plans side by side: `rows` are (key, Chinese label, English label), in the order printed."""

    kind: str
    scope: str
    columns: list[PlanColumn]
    rows: list[tuple[str, str, str]]

    def column(self, name: str | None) -> PlanColumn:
        return next(c for c in self.columns if c.name == name)

    def frame(self, lang: str = "zh", *, text: bool = False) -> pd.DataFrame:
        """A table with one column per plan (names, not ids): numbers for a CSV, or text for a terminal."""
        head = "指标" if lang == "zh" else "figure"
        records = []
        for key, zh, en in self.rows:
            row = {head: zh if lang == "zh" else en}
            for c in self.columns:
                value = c.figures.get(key)
                row[c.title(lang)] = _shown(value, lang) if text else _csv_value(value, lang)
            records.append(row)
        return pd.DataFrame(records, columns=[head] + [c.title(lang) for c in self.columns])

    def write_csv(self, path: str | Path, lang: str = "zh") -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        safe_frame(self.frame(lang)).to_csv(path, index=False, encoding="utf-8-sig")
        return path


@dataclass(frozen=True)
class Text:
    """A figure that reads differently in Chinese and English (a policy, a solver status)."""

    zh: str
    en: str


def _shown(value: Any, lang: str) -> str:
    if value is None:
        return "–"
    if isinstance(value, Text):
        return value.zh if lang == "zh" else value.en
    if isinstance(value, float):
        return f"{value:,.1f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _csv_value(value: Any, lang: str) -> Any:
    if isinstance(value, Text):
        return value.zh if lang == "zh" else value.en
    return value


def _titles(row, name: str | None) -> tuple[str, str]:
    if name is None:
        return f"当前方案（第 {row.version} 版）", f"current (v{row.version})"
    return name, name


def _columns_for(session, kind: str, base: str, names: list[str] | None) -> tuple[Any, list]:
    """The current plan row (or None) and the scenario rows asked for (all not yet adopted if none named)."""
    current = current_plan(session, kind, base)
    if names:
        rows = []
        for name in names:
            row = scenario_plan(session, kind, base, _name(name))
            if row is None:
                raise _unknown(kind, name, base)
            rows.append(row)
    else:
        rows = scenario_plans(session, kind, base)
    if current is None and not rows:
        raise ScenarioError(f"{base} 还没有方案，也没有情景方案", f"{base} has no plan and no scenario yet")
    return current, rows


def _unknown(kind: str, name: str, base: str | None) -> ScenarioError:
    where = f"（{base}）" if base else ""
    return ScenarioError(f"没有名为 {name!r} 的{'轮岗' if kind == ROTATION else '监考'}情景方案{where}；"
                         f"先运行 xuequ {kind} whatif {name}",
                         f"no {kind} scenario named {name!r}" + (f" for {base}" if base else "")
                         + f"; run `xuequ {kind} whatif {name}` first")


def _policy_text(resolved: ResolvedPolicy) -> Text:
    return Text(resolved.describe("zh"), resolved.describe("en"))


# --- rotation --------------------------------------------------------------------------------------

@dataclass
class ScenarioRun:
    """What a what-if run stored (version 0: nothing stored) and what a planner reads about it."""

    kind: str
    name: str
    scope: str  # the current plan's scope the scenario belongs to
    version: int
    plan_id: int | None
    status: str
    base_version: int | None  # the current plan it was solved against
    changes: int | None  # rows (invigilation) or teachers (rotation) that differ from the current plan
    headline: str = ""  # attainment (rotation) or km and loads (invigilation)
    policy: str = ""
    relaxed: bool = False
    explanations: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def _rotation_decisions(values: list[dict] | None, teachers: set[str], schools: set[str], what: str) -> None:
    for v in values or []:
        if v["teacher_id"] not in teachers:
            raise ScenarioError(f"{what} 中的教师 {v['teacher_id']} 不在本次排班范围内",
                                f"{what}: teacher {v['teacher_id']} is not in the scope planned")
        if v.get("to_school_id") and v["to_school_id"] not in schools:
            raise ScenarioError(f"{what} 中的学校 {v['to_school_id']} 不在本次排班范围内",
                                f"{what}: school {v['to_school_id']} is not in the scope planned")


def run_rotation_scenario(name: str, school_year: int, term: int | None, cluster_id: str | None, *,
                          policy_file: str | None = None, policy_version: int | None = None,
                          pins: list[dict] | None = None, forbids: list[dict] | None = None,
                          url: str | None = None, lang: str = "zh", time_limit_s: float = 30.0,
                          out_dir: str | Path | None = None, actor: str = "whatif") -> ScenarioRun:
    """Plan the roster under a named scenario and store it beside the current plan, not over it."""
    from app.term_planning import (check_roster, export_plan, load_case, measure_attainment, solve_case,
                                   store_plan)

    name = _name(name)
    url = database_url(url)
    resolved = None
    if policy_version is not None:
        with session_scope(url) as session:
            resolved = stored_version(session, "rotation", cluster_id or DISTRICT, school_year, term, policy_version)
    case = load_case(school_year, term, cluster_id, policy_file=policy_file, url=url, pins=pins, forbids=forbids,
                     resolved=resolved)
    _rotation_decisions(pins, {t.teacher_id for t in case.data.teachers}, {s.school_id for s in case.data.schools},
                        "--pin")
    _rotation_decisions(forbids, {t.teacher_id for t in case.data.teachers},
                        {s.school_id for s in case.data.schools}, "--forbid")
    result = solve_case(case, time_limit_s, lang)
    violations = check_roster(case, result)
    reached, ceiling = measure_attainment(case, result, time_limit_s)
    with session_scope(url) as session:
        base = session.get(Plan, case.parent_id) if case.parent_id else None
        base_version = base.version if base else None
    scenario = {"name": name, "base_scope": case.scope, "base_plan_id": case.parent_id, "base_version": base_version,
                "pins": pins or [], "forbids": forbids or []}
    plan_id, version = store_plan(dataclasses.replace(case, scope=scenario_scope(case.scope, name)), result, actor,
                                  url, status=SCENARIO, summary_extra={"scenario": scenario})
    files = export_plan(case, result, out_dir, lang, reached, ceiling) if out_dir else []
    allow = f"；{'硬性规则允许' if lang == 'zh' else 'hard rules allow'} {ceiling.line(lang)}" if ceiling else ""
    return ScenarioRun(ROTATION, name, case.scope, version, plan_id, result.status, base_version, result.changed,
                       reached.line(lang) + allow, case.policy.describe(lang), result.relaxed,
                       [e.text(lang) for e in result.explanations], violations, files)


ROTATION_ROWS = [
    ("policy", "政策", "policy"),
    ("status", "求解状态", "solver status"),
    ("postings", "交流教师（人）", "teachers rotating"),
    ("required_rotations", "应交流（人）", "required rotations"),
    ("rotations_made", "已完成应交流（人）", "required rotations made"),
    ("backbone_share", "骨干占比（%）", "backbone share (%)"),
    ("posts", "岗位需求（个）", "posts asked"),
    ("posts_filled", "已填补岗位（个）", "posts filled"),
    ("mean_km", "平均距离（公里）", "mean distance (km)"),
    ("total_km", "总距离（公里）", "total distance (km)"),
    ("subsidy_per_month", "月补助合计（元）", "subsidies per month (yuan)"),
    ("added", "较当前新增（人）", "added vs current (teachers)"),
    ("removed", "较当前撤下（人）", "removed vs current (teachers)"),
    ("moved", "较当前改派（人）", "moved vs current (teachers)"),
    ("leader_changes", "较当前干部/校长交流变动（人月）", "leader/principal months changed vs current"),
]


def rotation_changes(current, plan) -> dict[str, int]:
    """Teachers whose posting differs from the current plan, as scheduling.rotation's `changed_count`
    counts them, split into added (rotates now), removed (no longer rotates) and moved (another host)."""
    from scheduling.rotation.solve import changed_leader_count

    before = {p.teacher_id: p.to_school_id for p in current.postings}
    after = {p.teacher_id: p.to_school_id for p in plan.postings}
    return {"added": len(after.keys() - before.keys()), "removed": len(before.keys() - after.keys()),
            "moved": sum(1 for t in before.keys() & after.keys() if before[t] != after[t]),
            "leader_changes": changed_leader_count(plan, current) or 0}


def rotation_figures(plan, data, policy) -> dict[str, Any]:
    """The figures of one roster, as the roster's own reports state them: attainment
    (scheduling.rotation.attainment) for required rotations, backbone share and posts; the summary's
    definitions (scheduling.rotation.writers) for distances (teacher postings) and monthly subsidies."""
    from scheduling.rotation.attainment import attainment
    from scheduling.rotation.writers import summary_frame

    reached = attainment(plan, data, policy)
    km = [p.distance_km for p in plan.postings]
    share = reached.backbone_share
    return {"postings": len(plan.postings), "required_rotations": reached.required_rotations,
            "rotations_made": reached.rotations_made,
            "backbone_share": round(share * 100, 1) if share is not None else None,
            "posts": reached.posts, "posts_filled": reached.posts_filled,
            "mean_km": round(sum(km) / len(km), 1) if km else None, "total_km": round(sum(km), 1),
            "subsidy_per_month": float(summary_frame(plan, data, policy)["subsidy_per_month"].sum())}


def rotation_scope(school_year: int | None, term: int | None, cluster_id: str | None, names: list[str] | None = None,
                   url: str | None = None) -> str:
    """The current plan's scope: from the year, term and cluster when given; otherwise the one scope that
    has the named scenarios (or, with no names, the one scope that has scenarios at all)."""
    from app.term_planning import plan_scope

    if school_year is not None:
        return plan_scope(school_year, term, cluster_id)
    return _only_scope(ROTATION, names, url)


def _only_scope(kind: str, names: list[str] | None, url: str | None) -> str:
    with session_scope(url) as session:
        if names:
            found = None
            for name in names:
                scopes = scopes_with_scenario(session, kind, _name(name))
                if not scopes:
                    raise _unknown(kind, name, None)
                if len(scopes) > 1:
                    raise ScenarioError(f"情景 {name!r} 在多个范围都有：{'、'.join(scopes)}；请加 --year --term --cluster",
                                        f"scenario {name!r} exists for several scopes: {', '.join(scopes)}; "
                                        "give --year --term --cluster")
                if found not in (None, scopes[0]):
                    raise ScenarioError(f"这些情景不属于同一范围（{found}、{scopes[0]}）",
                                        f"these scenarios belong to different scopes ({found}, {scopes[0]})")
                found = scopes[0]
            assert found is not None  # names is not empty here
            return found
        scopes = scopes_with_scenarios(session, kind)
    if len(scopes) == 1:
        return scopes[0]
    if not scopes:
        raise ScenarioError(f"还没有{'轮岗' if kind == ROTATION else '监考'}情景方案；先运行 xuequ {kind} whatif NAME",
                            f"no {kind} scenario yet; run `xuequ {kind} whatif NAME` first")
    raise ScenarioError(f"多个范围都有情景方案：{'、'.join(scopes)}；请加 --year --term --cluster",
                        f"several scopes have scenarios: {', '.join(scopes)}; give --year --term --cluster")


def compare_rotation(school_year: int | None = None, term: int | None = None, cluster_id: str | None = None,
                     names: list[str] | None = None, *, url: str | None = None) -> Comparison:
    """The current roster and the named scenarios (all not yet adopted when none are named), side by side."""
    from app.term_planning import load_case, plan_from_json

    url = database_url(url)
    base = rotation_scope(school_year, term, cluster_id, names, url)
    with session_scope(url) as session:
        current, rows = _columns_for(session, ROTATION, base, names)
        plans = ([(None, current)] if current is not None else []) + [(name_of(r), r) for r in rows]
        missing = [row for _, row in plans if "plan" not in (row.summary or {})]
        if missing:
            raise ScenarioError(f"{base} 第 {missing[0].version} 版没有保存排班内容，无法比较",
                                f"{base} v{missing[0].version} has no stored roster to compare")
        stored = [(name, row, plan_from_json(row.summary["plan"])) for name, row in plans]
        year, term_, cluster = (stored[0][1].school_year, stored[0][1].term, stored[0][1].cluster_id)
    case = load_case(year, term_, cluster, url=url, revise=False)  # the cluster's facts as they are now
    current_plan_ = stored[0][2] if current is not None else None
    columns = []
    for name, row, plan in stored:
        policy = _plan_policy("rotation", row, case.policy)
        figures: dict[str, Any] = {"policy": _policy_text(policy), "status": Text(status_text(ROTATION, row.solver_status, "zh"),
                                                                  status_text(ROTATION, row.solver_status, "en"))}
        figures |= rotation_figures(plan, case.data, policy.policy)
        if current_plan_ is not None and name is not None:
            figures |= rotation_changes(current_plan_, plan)
        columns.append(PlanColumn(*_titles(row, name), name, row.plan_id, row.version, figures))
    return Comparison(ROTATION, base, columns, ROTATION_ROWS)


# --- invigilation ----------------------------------------------------------------------------------

def _exam_facts(url: str, exam_id: str):
    from models.bundles import export_tables
    from scheduling.exam_logistics import invigilation_input_from_tables

    context = exam_context(url, exam_id)  # UnknownExam: one line
    with session_scope(url) as session:
        tables = export_tables(session, LOGISTICS_TABLES)
    return context, invigilation_input_from_tables(tables, exam_id)


def _check_exam_decisions(data, pins, forbids) -> None:
    teachers, sessions, sites = data.teacher_by_id, data.session_by_id, data.school_by_id
    for what, values in (("--pin", pins), ("--forbid", forbids)):
        for v in values:
            for kind_zh, kind_en, value, known in (("教师", "teacher", v.teacher_id, teachers),
                                                   ("场次", "session", v.session_id, sessions),
                                                   ("考点", "site", v.site_school_id, sites)):
                if value and value not in known:
                    raise ScenarioError(f"{what} 中的{kind_zh} {value} 不属于考试 {data.exam_id}",
                                        f"{what}: {kind_en} {value} is not part of exam {data.exam_id}")


def run_invigilation_scenario(name: str, exam_id: str, *, policy_file: str | None = None,
                              policy_version: int | None = None, pins=(), forbids=(), url: str | None = None,
                              lang: str = "zh", time_limit_s: float = 60.0, out_dir: str | Path | None = None,
                              actor: str = "whatif") -> ScenarioRun:
    """Replan the exam's invigilation under a named scenario (against the current plan: its pins and
    forbids stay, a change penalty keeps what it can) and store it beside the current plan."""
    from models import InvigilationAssignment as Row
    from models.scenarios import next_version
    from scheduling.exam_logistics import (InvigilationResult, diff_plans, invigilation_frame, plan_invigilation,
                                           validate_invigilation)

    name = _name(name)
    url = database_url(url)
    context, data = _exam_facts(url, exam_id)
    _check_exam_decisions(data, pins, forbids)
    with session_scope(url) as session:
        if policy_version is not None:
            resolved = stored_version(session, "exam_logistics", context.cluster_id or DISTRICT, context.school_year,
                                      context.term, policy_version)
        current = current_plan(session, INVIGILATION, exam_id)
        base = (current.plan_id, current.version, *invigilation_parts(current)) if current else None
    if policy_version is None:
        resolved = context.policy("exam_logistics", policy_file)
    policy = resolved.policy.invigilation
    rows, relax, old_pins, old_forbids = base[2:] if base else ([], [], [], [])
    all_pins = list(dict.fromkeys([*old_pins, *pins]))
    all_forbids = list(dict.fromkeys([*old_forbids, *forbids]))
    previous = InvigilationResult(exam_id, "feasible", rows, [], {}, relax) if base else None
    result = plan_invigilation(data, policy, time_limit_s=time_limit_s, num_workers=NUM_WORKERS, pins=all_pins,
                               forbids=all_forbids, previous=previous)
    run = ScenarioRun(INVIGILATION, name, exam_id, 0, None, result.status, base[1] if base else None, None,
                      policy=resolved.describe(lang), relaxed=result.status == "relaxed",
                      explanations=[e.text(lang) for e in result.explanations])
    if not result.ok:
        return run
    changes = diff_plans(rows, result.assignments) if base else []
    run.changes = len(changes) if base else None
    run.violations = [str(v) for v in validate_invigilation(data, policy, result.assignments, pins=all_pins,
                                                            forbids=all_forbids, relaxations=result.relaxations)]
    if run.violations:
        run.status = "failed"
        return run
    scope = scenario_scope(exam_id, name)
    with session_scope(url) as session:
        session.info["actor"] = actor
        summary = {"explanations": [e.zh for e in result.explanations], "policy": resolved.record()}
        summary |= invigilation_summary(result, all_pins, all_forbids, run.changes)
        summary["scenario"] = {"name": name, "base_scope": exam_id, "base_plan_id": base[0] if base else None,
                               "base_version": run.base_version,
                               "pins": [dict(p.__dict__) for p in pins],
                               "forbids": [dict(f.__dict__) for f in forbids]}
        plan = Plan(kind=INVIGILATION, scope=scope, version=next_version(session, INVIGILATION, scope),
                    exam_id=exam_id, status=SCENARIO, created_by=actor, solver_status=result.status, summary=summary,
                    parent_plan_id=base[0] if base else None, policy_set_id=resolved.policy_set_id,
                    policy_content=resolved.text)
        records = invigilation_frame(result).astype(object).to_dict("records")
        plan.invigilations = [Row(seq=n, **{k: (v if v != "" else None) for k, v in r.items() if k in Row.__table__.c})
                              for n, r in enumerate(records, start=1)]
        session.add(plan)
        session.flush()
        run.plan_id, run.version = plan.plan_id, plan.version
    stats = result.stats
    run.headline = (f"出行里程 {stats.get('km_total')} 公里，单人最多 {stats.get('max_load')} 场，"
                    f"配额偏差合计 {stats.get('quota_abs_deviation')}" if lang == "zh" else
                    f"travel {stats.get('km_total')} km, at most {stats.get('max_load')} sessions a teacher, "
                    f"quota deviation {stats.get('quota_abs_deviation')}")
    if out_dir:
        from scheduling.exam_logistics import write_invigilation_csv, write_relaxations_csv

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        run.files = [str(write_invigilation_csv(result, out / "invigilation.csv")),
                     str(write_relaxations_csv(result, data, out / "invigilation_relaxations.csv"))]
    return run


INVIGILATION_ROWS = [
    ("policy", "政策", "policy"),
    ("status", "求解状态", "solver status"),
    ("rows", "监考安排（人次）", "invigilator-sessions"),
    ("km_total", "出行里程（公里，每人每天一程）", "travel (km, one trip a teacher and day)"),
    ("max_load", "单人最多场次", "most sessions of one teacher"),
    ("quota_abs_deviation", "配额偏差合计（人次）", "quota deviation, total"),
    ("quota_max_deviation", "单校最大配额偏差", "largest quota deviation of a school"),
    ("schools_outside_quota", "超出配额范围的学校", "schools outside their quota range"),
    ("relaxations", "放宽使用（次）", "relaxations used"),
    ("added", "较当前新增（行）", "added vs current (rows)"),
    ("removed", "较当前撤下（行）", "removed vs current (rows)"),
    ("moved", "较当前调换考点/考场（行）", "moved vs current (rows)"),
    ("role", "较当前改角色（行）", "role changed vs current (rows)"),
]


def invigilation_figures(data, policy, rows, relaxations, pins=(), forbids=()) -> dict[str, Any]:
    """The figures the planner reports in `InvigilationResult.stats` (scheduling.exam_logistics'
    `summarise`: km one trip a teacher and day, loads, quota deviations), for stored rows."""
    from scheduling.exam_logistics.derive import derive
    from scheduling.exam_logistics.invigilation import summarise

    stats = summarise(derive(data, policy, pins, forbids), rows)
    return {k: stats[k] for k in ("rows", "km_total", "max_load", "quota_abs_deviation", "quota_max_deviation",
                                  "schools_outside_quota")} | {"relaxations": sum(r.count for r in relaxations)}


def compare_invigilation(exam_id: str, names: list[str] | None = None, *, url: str | None = None) -> Comparison:
    """The exam's current invigilation plan and the named scenarios (all not yet adopted when none are
    named), side by side."""
    from collections import Counter

    from scheduling.exam_logistics import diff_plans

    url = database_url(url)
    _, data = _exam_facts(url, exam_id)
    in_force = resolve_exam_policy("exam_logistics", exam_id, url=url)
    with session_scope(url) as session:
        current, rows = _columns_for(session, INVIGILATION, exam_id, names)
        plans = ([(None, current)] if current is not None else []) + [(name_of(r), r) for r in rows]
        stored = [(name, row, _plan_policy("exam_logistics", row, in_force), invigilation_parts(row))
                  for name, row in plans]
    current_rows = stored[0][3][0] if current is not None else None
    columns = []
    for name, row, policy, (assignments, relax, pins, forbids) in stored:
        figures: dict[str, Any] = {"policy": _policy_text(policy),
                                   "status": Text(status_text(INVIGILATION, row.solver_status, "zh"),
                                  status_text(INVIGILATION, row.solver_status, "en"))}
        figures |= invigilation_figures(data, policy.policy.invigilation, assignments, relax, pins, forbids)
        if current_rows is not None and name is not None:
            counts = Counter(c.kind for c in diff_plans(current_rows, assignments))
            figures |= {k: counts.get(k, 0) for k in ("added", "removed", "moved", "role")}
        columns.append(PlanColumn(*_titles(row, name), name, row.plan_id, row.version, figures))
    return Comparison(INVIGILATION, exam_id, columns, INVIGILATION_ROWS)


# --- adoption --------------------------------------------------------------------------------------

@dataclass
class Adoption:
    kind: str
    name: str
    scope: str
    version: int  # the new current version
    plan_id: int
    replaced_version: int | None  # the version that was current (kept as history)
    actor: str


def adopt_scenario(kind: str, name: str, scope: str | None = None, *, actor: str, force: bool = False,
                   url: str | None = None) -> Adoption:
    """The scenario's latest run becomes the next current version of `scope` (the exam id, or the
    rotation scope; found from the name when None). A scenario solved against a plan that is no longer
    current is refused unless `force`: it would undo what was decided since."""
    name = _name(name)
    url = database_url(url)
    if scope is None:
        scope = _only_scope(kind, [name], url)
    with session_scope(url) as session:
        session.info["actor"] = actor
        row = scenario_plan(session, kind, scope, name)
        if row is None:
            raise _unknown(kind, name, scope)
        if row.status == ADOPTED:
            raise ScenarioError(f"情景 {name!r} 的这次运行已被采用；要再采用，先重新运行 whatif",
                                f"this run of scenario {name!r} was already adopted; run whatif again first")
        current = current_plan(session, kind, scope)
        base_id = (row.summary or {}).get("scenario", {}).get("base_plan_id")
        if current is not None and current.plan_id != base_id and not force:
            since = (row.summary or {}).get("scenario", {}).get("base_version")
            raise ScenarioError(
                f"情景 {name!r} 是按第 {since or '—'} 版排的，当前已是第 {current.version} 版：请重新运行 whatif，"
                "或加 --force 仍然采用",
                f"scenario {name!r} was planned against v{since or '-'}, the current plan is v{current.version}: "
                "run whatif again, or --force to adopt it anyway")
        adopted = adopt_plan(session, row, actor=actor)
        return Adoption(kind, name, scope, adopted.version, adopted.plan_id, current.version if current else None,
                        actor)
