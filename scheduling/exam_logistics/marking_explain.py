"""Explanations of a best-effort marking plan (尽力方案), per subject and group, with numbers.

"物理 第2组：按工作量公式需 18 名阅卷教师……符合条件的物理教师 17 名" and what the plan did about it
(adjacent grades, acting leaders, a longer window, still short), then per subject the policy keys
and values that would let the subject meet every rule. A value is suggested only after the strict
model, re-solved for that subject's groups with the value, found a plan (the exam-wide school quota
is left out of that check: it is shared by all subjects and counted on its own). Chinese by default,
English in `Explanation.en`; teachers and schools by name.
"""
from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path

from ortools.sat.python import cp_model

from .data import Explanation, MarkingInput, MarkingRelaxation, MarkingResult, subject_zh
from .marking_best_effort import KIND_LABELS, tier_counts
from .policy import MarkingPolicy
from .tables import merged_groups
from .validate import regular_markers, required_group_size


class OutOfTime(Exception):
    """A check ran out of its time: its answer is unknown."""


def subject_only(data: MarkingInput, subject: str) -> MarkingInput:
    return replace(data, groups=tuple(g for g in data.groups if g.subject == subject))


def strict_plan_exists(data: MarkingInput, policy: MarkingPolicy, time_limit_s: float = 3.0,
                       num_workers: int = 1) -> bool:
    """Whether the strict model (every rule, no relaxation) has a plan: precheck, then CP-SAT."""
    from .marking import MarkingModel, _precheck, group_sizes

    sizes = group_sizes(data, policy)
    if _precheck(data, policy, sizes, set()):
        return False
    mm = MarkingModel(data, policy, sizes)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = num_workers
    solver.parameters.max_time_in_seconds = time_limit_s
    status = solver.solve(mm.model)
    if status == cp_model.UNKNOWN:
        raise OutOfTime  # neither proven: say nothing rather than guess
    return status in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def _no_quota(policy: MarkingPolicy) -> MarkingPolicy:
    # the school quota is exam-wide: one subject's groups alone would be held to it as if it were theirs
    return replace(policy, quota_tolerance=1e6, quota_slack=10 ** 6, quota_scope="exam", best_effort=False)


def _dimensions(data: MarkingInput, policy: MarkingPolicy, kinds: set[str]) -> list[tuple[str, list]]:
    """Policy keys that could help with these relaxations, each with its candidate values ordered from
    the least change to the most (feasibility only grows along the list)."""
    dims: list[tuple[str, list]] = []
    hours = data.hours_available or policy.hours_available
    if kinds & {"longer_window", "short", "own_school"}:
        if data.hours_available is None:  # the input fixes its hours otherwise; the policy key would not apply
            dims.append(("hours_available", [hours + 0.5 * k for k in range(1, int(hours * 6) + 1)]))  # ≤ 4 × hours
        dims.append(("grade_window", [policy.grade_window + 1, policy.grade_window + 2]))
        if policy.mode == "centralised" and data.site_school_id:  # schools beyond the distance limit
            far = sorted({math.ceil(data.km(s.school_id, data.site_school_id) / 5) * 5 for s in data.schools
                          if data.km(s.school_id, data.site_school_id) > policy.max_km + 1e-9})
            dims.append(("max_km", [float(km) for km in far]))
    if kinds & {"acting_leader", "leader_short"}:
        if policy.leader_min_teaching_years > 0:
            dims.append(("leader_min_teaching_years", list(range(policy.leader_min_teaching_years - 1, -1, -1))))
        if policy.leader_requires_backbone:
            dims.append(("leader_requires_backbone", [False]))
        if policy.leaders_per_group > 1:
            dims.append(("leaders_per_group", [policy.leaders_per_group - 1]))
    if "own_school" in kinds and policy.own_school_work_cover:
        dims.append(("own_school_work_cover", [False]))
    n_groups = len(data.groups)  # `data` holds one subject's groups here
    if n_groups > 1 and policy.max_groups_per_subject in (0, n_groups):  # fewer, larger item groups need fewer leaders and fewer markers of other schools
        dims.append(("max_groups_per_subject", list(range(n_groups - 1, 0, -1))))  # after the current value
    # the current value first: a key another one makes unnecessary goes back to it
    return [(k, [getattr(policy, k)] + v) for k, v in dims if v]


def _least(ok, p: MarkingPolicy, key: str, values: list):
    """The first value of `values` with which `ok` holds (binary search: feasibility is monotone)."""
    lo, hi = 0, len(values) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if ok(replace(p, **{key: values[mid]})):
            hi = mid
        else:
            lo = mid + 1
    return values[lo]


def suggestions_for_subject(data: MarkingInput, policy: MarkingPolicy, subject: str, kinds: set[str], *,
                            deadline: float, num_workers: int = 1) -> tuple[list[dict], list[dict]]:
    """(single, together): policy keys whose value alone lets the subject's groups meet every rule,
    each the least change of its key; and, when no key alone does, keys that do together (each
    tightened back as far as the others allow). Every value was checked by re-solving."""
    sub = subject_only(data, subject)
    base = _no_quota(policy)

    def ok(p: MarkingPolicy) -> bool:
        if time.perf_counter() > deadline:
            raise OutOfTime  # an unchecked value is never suggested, nor a "no key helps" claimed
        grouped = sub
        if p.max_groups_per_subject and p.max_groups_per_subject < len(sub.groups):  # as the tables would merge them
            grouped = replace(sub, groups=tuple(merged_groups(list(sub.groups), p.max_groups_per_subject)))
        return strict_plan_exists(grouped, p, num_workers=num_workers)

    def entry(key: str, value) -> dict:
        return {"key": key, "value": value, "current": getattr(policy, key)}

    dims = _dimensions(sub, policy, kinds)
    single = [entry(key, _least(ok, base, key, values)) for key, values in dims
              if ok(replace(base, **{key: values[-1]}))]
    if single or not dims:
        return single, []
    loosest = {key: values[-1] for key, values in dims}
    if not ok(replace(base, **loosest)):
        return [], []
    chosen = dict(loosest)
    for key, values in dims:  # tighten each key back as far as the others (still loose) allow
        rest = replace(base, **{k: v for k, v in chosen.items() if k != key})
        chosen[key] = _least(ok, rest, key, values)
    if not ok(replace(base, **chosen)):  # the final combination, re-solved once more
        return [], []
    return [], [entry(k, v) for k, v in chosen.items() if v != getattr(policy, k)]


WHERE_ZH = "联考政策文件（默认 policies/exam_logistics.toml）的 [marking] 表中"
WHERE_EN = "the [marking] table of the exam-logistics policy (default policies/exam_logistics.toml)"


def _value(v: object) -> str:
    return ("true" if v else "false") if isinstance(v, bool) else f"{v:g}" if isinstance(v, float) else str(v)


def _eligible_counts(data: MarkingInput, policy: MarkingPolicy, subject: str) -> tuple[int, int, int]:
    """(teachers meeting every rule, also those of the extra grades, leaders qualified) of a subject."""
    from .marking import leader_ok, marker_reasons

    strict = relaxed = leaders = 0
    for t in data.teachers:
        r = marker_reasons(data, policy, t, subject, set())
        if r is None:
            continue
        if r == []:
            strict += 1
            leaders += leader_ok(t, policy)
        if set(r) <= {"grade"}:
            relaxed += 1
    return strict, relaxed, leaders


def group_explanation(data: MarkingInput, policy: MarkingPolicy, result: MarkingResult, subject: str, group_id: str,
                      number: int, rels: list[MarkingRelaxation], counts: tuple[int, int, int]) -> Explanation:
    hours = data.hours_available or policy.hours_available
    g = next(x for x in data.groups if (x.subject, x.group_id) == (subject, group_id))
    scripts = data.scripts.get(subject, 0)
    need = required_group_size(scripts, g.seconds_per_script, hours, policy)
    subject_groups = [x for x in data.groups if x.subject == subject]
    subject_need = sum(required_group_size(scripts, x.seconds_per_script, hours, policy) for x in subject_groups)
    rows = [a for a in result.assignments if (a.subject, a.item_group) == (subject, group_id)]
    planned = len(rows)
    strict, relaxed, leaders = counts
    zh_s = subject_zh(subject)
    factor = 1 + policy.double_marking_share + policy.third_mark_share
    extra_zh = "" if policy.leader_counts_in_group else f"，另加 {policy.leaders_per_group} 名题组长"
    extra_en = "" if policy.leader_counts_in_group else f", plus {policy.leaders_per_group} leaders"
    head_zh = (f"{zh_s} 第{number}组（{group_id}）：按工作量公式需 {need} 名阅卷教师（{scripts} 份 × {factor:g} × "
               f"{g.seconds_per_script:g} 秒 ÷ {hours:g} 小时 × {1 + policy.margin:g}{extra_zh}）；全部规则下符合条件的"
               f"{zh_s}教师 {strict} 名、题组长 {leaders} 名（{len(subject_groups)} 个题组共需 {subject_need} 名）")
    head_en = (f"{subject} group {number} ({group_id}): the work formula needs {need} markers ({scripts} scripts × "
               f"{factor:g} × {g.seconds_per_script:g} s ÷ {hours:g} h × {1 + policy.margin:g}{extra_en}); "
               f"{strict} {subject} teachers and {leaders} leaders meet every rule ({len(subject_groups)} groups need "
               f"{subject_need} in all)")
    parts_zh, parts_en = [], []
    tb = data.teacher_by_id
    sb = data.school_by_id
    for r in rels:
        if r.kind == "adjacent_grade":
            w = r.numbers.get("grade_window", policy.grade_window + policy.best_effort_grade_extra)
            parts_zh.append(f"用相邻年级教师 {r.count} 名（{w} 个年级内，放宽后可用 {relaxed} 名）")
            parts_en.append(f"{r.count} marker(s) of adjacent grades (within {w} grades: {relaxed} available)")
        elif r.kind == "acting_leader":
            names = [tb[a.teacher_id] for a in rows if a.role == "leader" and not (
                tb[a.teacher_id].teaching_years >= policy.leader_min_teaching_years
                and (tb[a.teacher_id].backbone or not policy.leader_requires_backbone))]
            who_zh = "、".join(f"{t.label}（教龄 {t.teaching_years} 年{'，骨干' if t.backbone else ''}）" for t in names)
            who_en = ", ".join(f"{t.label} ({t.teaching_years} years{', backbone' if t.backbone else ''})" for t in names)
            parts_zh.append(f"由资深阅卷教师代任题组长 {r.count} 名：{who_zh}")
            parts_en.append(f"{r.count} acting leader(s), the most senior markers: {who_en}")
        elif r.kind == "longer_window":
            parts_zh.append(f"阅卷时间延长至 {r.hours:g} 小时（原 {hours:g} 小时），少需 {r.count} 名")
            parts_en.append(f"a marking window of {r.hours:g} h instead of {hours:g} h, {r.count} marker(s) fewer")
        elif r.kind == "short":
            parts_zh.append(f"即使延长到 {hours * policy.best_effort_hours_factor:g} 小时仍缺 {r.count} 名阅卷教师")
            parts_en.append(f"still {r.count} marker(s) short even with {hours * policy.best_effort_hours_factor:g} h")
        elif r.kind == "leader_short":
            parts_zh.append(f"题组长空缺 {r.count} 个（需仲裁的答卷须由外校题组长评定：请增派题组长，xuequ marking markers）")
            parts_en.append(f"{r.count} leader place(s) unfilled (scripts needing arbitration need a leader of another "
                            f"school: add one with xuequ marking markers)")
        elif r.kind == "own_school":
            school = sb[r.school_id].label if r.school_id in sb else r.school_id
            distinct = r.numbers.get("distinct_missing", 0)
            parts_zh.append(f"回避本校：{school} 的答卷需 {r.numbers.get('needed')} 名外校阅卷教师，缺 {r.count} 名"
                            + ("（不足两名：该校答卷的二评须由题组长给出，marking.toml double.leaders_also_mark）"
                               if distinct else "（该校答卷会评得更久）"))
            parts_en.append(f"own-school exclusion: {school}'s scripts need {r.numbers.get('needed')} markers of other "
                            f"schools, {r.count} missing" + (
                                " (fewer than two: their second marks need the leaders, marking.toml "
                                "double.leaders_also_mark)" if distinct else " (its scripts will take longer)"))
    zh = f"{head_zh}。本组安排 {planned} 名（尽力方案）：" + "；".join(parts_zh)
    en = f"{head_en}. The group has {planned} (best effort): " + "; ".join(parts_en)
    numbers = {"subject": subject, "item_group": group_id, "needed": need, "eligible": strict,
               "eligible_relaxed": relaxed, "leaders_eligible": leaders, "planned": planned,
               "regular_needed": regular_markers(need, policy),
               "relaxations": {r.kind: r.count for r in rels}}
    return Explanation("marking_group_best_effort", zh, en, numbers, exact=False)


def explain_best_effort(data: MarkingInput, policy: MarkingPolicy, result: MarkingResult,
                        strict_reasons: list[Explanation], *, suggest: bool = True, num_workers: int = 1,
                        suggest_time_s: float = 30.0) -> list[Explanation]:
    """Headline, each relaxed group with its numbers, checked suggestions per subject, then the
    strict model's reasons (why the rules could not all hold)."""
    deadline = time.perf_counter() + suggest_time_s
    groups = result.best_effort_groups()
    subjects = list(dict.fromkeys(s for s, _ in groups))
    tiers = tier_counts(result.relaxations)
    kept = [subject_zh(s) for s in data.subjects if s not in subjects]
    tiers_zh = "，".join(f"{KIND_LABELS[k][0]} {n}" for k, n in tiers.items())
    tiers_en = ", ".join(f"{KIND_LABELS[k][1]} {n}" for k, n in tiers.items())
    out = [Explanation(
        "marking_best_effort",
        f"阅卷安排为尽力方案：{len(groups)} 个题组放宽了规则（{'、'.join(subject_zh(s) for s in subjects) or '无'}），"
        f"放宽计数：{tiers_zh}" + (f"；{'、'.join(kept)} 满足全部规则" if kept else ""),
        f"the marking plan is best effort: {len(groups)} item group(s) relaxed ({', '.join(subjects) or 'none'}); "
        f"relaxations used: {tiers_en}" + (f"; {', '.join(s for s in data.subjects if s not in subjects)} meet every rule"
                                           if kept else ""),
        {"groups": [list(g) for g in groups], "tiers": tiers}, exact=False)]
    for subject in subjects:
        counts = _eligible_counts(data, policy, subject)
        subject_groups = [g.group_id for g in data.groups if g.subject == subject]
        kinds: set[str] = set()
        for group_id in subject_groups:
            rels = [r for r in result.relaxations if (r.subject, r.item_group) == (subject, group_id)]
            kinds |= {r.kind for r in rels}
            if rels:
                out.append(group_explanation(data, policy, result, subject, group_id,
                                             subject_groups.index(group_id) + 1, rels, counts))
        if not suggest:
            continue
        zh_s = subject_zh(subject)
        try:
            found, together = suggestions_for_subject(data, policy, subject, kinds, deadline=deadline,
                                                      num_workers=num_workers)
        except OutOfTime:
            out.append(Explanation(
                "marking_suggestion_unchecked",
                f"{zh_s}：在 {suggest_time_s:g} 秒内未能核实哪个政策参数可让各题组满足全部规则（可用 "
                f"xuequ marking explain --time-limit 更长时间再试）",
                f"{subject}: could not check within {suggest_time_s:g} s which policy key would let its groups meet "
                f"every rule (try xuequ marking explain with a longer time)",
                {"subject": subject}, exact=False))
            continue
        if together:
            keys_zh = "、".join(f"{f['key']} = {_value(f['value'])}（当前 {_value(f['current'])}）" for f in together)
            keys_en = ", ".join(f"{f['key']} = {_value(f['value'])} (now {_value(f['current'])})" for f in together)
            out.append(Explanation(
                "marking_suggestion",
                f"{zh_s}：没有单独一个参数够用；在{WHERE_ZH}同时设 {keys_zh}，已重新求解验证，{zh_s}各题组即可满足全部规则"
                f"（各校名额另计）",
                f"{subject}: no single key is enough; set together {keys_en} in {WHERE_EN}; checked by re-solving: the "
                f"{subject} groups then meet every rule (school quotas aside)",
                {"subject": subject, "suggestions": [], "together": together}, exact=False))
        elif found:
            keys_zh = "；或 ".join(f"{f['key']} = {_value(f['value'])}（当前 {_value(f['current'])}）" for f in found)
            keys_en = "; or ".join(f"{f['key']} = {_value(f['value'])} (now {_value(f['current'])})" for f in found)
            out.append(Explanation(
                "marking_suggestion",
                f"{zh_s}：可在{WHERE_ZH}设 {keys_zh}；每个值都已重新求解验证，{zh_s}各题组即可满足全部规则（各校名额另计）",
                f"{subject}: set {keys_en} in {WHERE_EN}; each value was checked by re-solving: the {subject} groups "
                f"then meet every rule (school quotas aside)",
                {"subject": subject, "suggestions": found}, exact=False))
        else:
            out.append(Explanation(
                "marking_suggestion",
                f"{zh_s}：没有单独一个政策参数能让各题组满足全部规则（已重新求解验证）；需增加符合条件的{zh_s}教师或同时放宽多项",
                f"{subject}: no single policy key lets its groups meet every rule (checked by re-solving); more "
                f"qualified {subject} teachers, or several keys together, are needed",
                {"subject": subject, "suggestions": []}, exact=False))
    return out + list(strict_reasons)


# ---------------------------------------------------------------------------------------------- exports

SHORTFALL_COLUMNS = ["exam_id", "subject", "item_group", "kind", "kind_zh", "count", "school_id", "school_name",
                     "hours", "detail_zh"]


def relaxation_records(data: MarkingInput, result: MarkingResult) -> list[dict]:
    """One plain record per declared relaxation (for the plan's stored summary and marking_shortfalls.csv)."""
    sb = data.school_by_id
    out = []
    for r in result.relaxations:
        out.append({"exam_id": result.exam_id, "subject": r.subject, "item_group": r.item_group, "kind": r.kind,
                    "kind_zh": KIND_LABELS.get(r.kind, (r.kind,))[0], "count": r.count, "school_id": r.school_id,
                    "school_name": sb[r.school_id].label if r.school_id in sb else "",
                    "hours": r.hours, "detail_zh": ""})
    details = {(e.numbers.get("subject"), e.numbers.get("item_group")): e.zh for e in result.explanations
               if e.code == "marking_group_best_effort"}
    for rec in out:
        rec["detail_zh"] = details.get((rec["subject"], rec["item_group"]), "")
    return out


def write_shortfalls_csv(data: MarkingInput, result: MarkingResult, path) -> "Path":
    """marking_shortfalls.csv: what a best-effort marking plan relaxed, group by group (header only when
    every rule holds), UTF-8 with BOM for Excel."""
    from pathlib import Path

    import pandas as pd

    from bundle.io import write_csv  # the project's one CSV writer (cell formatting in one place)

    frame = pd.DataFrame(relaxation_records(data, result), columns=SHORTFALL_COLUMNS)
    return write_csv(frame, Path(path), SHORTFALL_COLUMNS)


def best_effort_lines(result: MarkingResult, lang: str = "zh") -> list[str]:
    """The headline and each relaxed group's explanation, for a stage message or the CLI."""
    keep = ("marking_best_effort", "marking_group_best_effort", "marking_suggestion")
    return [e.text(lang) for e in result.explanations if e.code in keep] if result.best_effort else []
