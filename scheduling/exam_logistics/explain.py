"""Why an invigilation plan cannot exist, with the numbers (Chinese by default, English on request).

Two sources:
* capacity pre-checks (`precheck`): counting arguments that are exact, i.e. each failing check
  alone proves that no plan exists (a site needs more invigilators than there are free teachers of
  other schools within reach, a school's quota exceeds what its teachers can do, ...);
* the solver (`solver_core`): when the counts pass but CP-SAT proves infeasibility, the model is
  rebuilt with one assumption literal per rule group; CP-SAT returns a set of rule groups that
  together cannot hold, which is then shrunk to a minimal one, and each group is reported with the
  numbers of its tightest place.
"""
from __future__ import annotations

from ..cpsat import minimal_core
from .data import Explanation, subject_zh
from .derive import InvigilationFacts, pattern_sites, teacher_patterns
from .invigilation_model import RULE_GROUPS, InvigilationModel


def _school(facts: InvigilationFacts, sid: str) -> str:
    return facts.data.school_by_id[sid].label


def _session(facts: InvigilationFacts, e: str) -> tuple[str, str]:
    s = facts.data.session_by_id[e]
    return (f"{s.date} {s.start} {subject_zh(s.subject)}", f"{s.date} {s.start} {s.subject}")


def _allowed_by_school(facts: InvigilationFacts) -> dict[tuple[str, str], list[str]]:
    """(school, session) -> teachers of the school who may invigilate the session somewhere."""
    cached = getattr(facts, "_allowed_by_school", None)
    if cached is None:
        cached = {}
        for t in facts.data.teachers:
            if facts.cap[t.teacher_id] <= 0:
                continue
            for e in facts.allowed[t.teacher_id]:
                cached.setdefault((t.school_id, e), []).append(t.teacher_id)
        facts._allowed_by_school = cached  # type: ignore[attr-defined]
    return cached


def free_teachers_for(facts: InvigilationFacts, e: str, j: str) -> list[str]:
    """Teachers of other schools within reach who may invigilate session e at site j."""
    if not facts.site_in_use(e, j):
        return []
    by_school = _allowed_by_school(facts)
    out = []
    for s in facts.data.schools:
        if j not in facts.reachable[s.school_id]:
            continue
        for tid in by_school.get((s.school_id, e), ()):
            forb = facts.forbidden_sites.get(tid)
            if forb and (j in forb.get(None, ()) or j in forb.get(e, ())):
                continue
            out.append(tid)
    return out


def session_index(facts: InvigilationFacts, e: str) -> int:
    """1-based position of a session in the timetable (第k场)."""
    order = getattr(facts, "_session_order", None)
    if order is None:
        ordered = sorted(facts.data.sessions, key=lambda s: (s.date, s.start, s.session_id))
        order = {s.session_id: k for k, s in enumerate(ordered, start=1)}
        facts._session_order = order  # type: ignore[attr-defined]
    return order[e]


def _sessions_label(facts: InvigilationFacts, sessions: list[str]) -> tuple[str, str]:
    """第2场, 第1–3、5场 / session 2, sessions 1–3, 5: runs of consecutive sessions as ranges."""
    ks = sorted(session_index(facts, e) for e in sessions)
    runs: list[list[int]] = []
    for k in ks:
        if runs and k == runs[-1][-1] + 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    parts = [f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs]
    return "第" + "、".join(parts) + "场", ("session " if len(ks) == 1 else "sessions ") + ", ".join(parts)


def site_limit_km(facts: InvigilationFacts, site: str) -> float:
    """The one-way limit that applies to a site's teachers of an urban school (rural schools get max_km_rural)."""
    pol = facts.policy
    return pol.max_km_rural if facts.data.school_by_id[site].rural else pol.max_km


def site_shortfalls(facts: InvigilationFacts, e: str, j: str, ss, free: list[str] | None = None) -> list[tuple[str, dict]]:
    """The counting reasons a site cannot be staffed in a session: (code, numbers); [] when the counts pass."""
    data, pol = facts.data, facts.policy
    free = free_teachers_for(facts, e, j) if free is None else free
    km = site_limit_km(facts, j)
    if len(free) < ss.slots:
        return [("site_session_supply", {"site": j, "needed": ss.slots, "rooms": ss.chiefs, "reserves": ss.reserves,
                                         "free": len(free), "km": km})]
    out = []
    chiefs = sum(facts.chief_ok[t] for t in free)
    if chiefs < ss.chiefs:
        out.append(("site_session_chiefs", {"site": j, "needed": ss.chiefs, "qualified": chiefs, "km": km}))
    if pol.distinct_schools_in_room:
        by_school: dict[str, int] = {}
        for t in free:
            sid = data.teacher_by_id[t].school_id
            by_school[sid] = by_school.get(sid, 0) + 1
        usable = sum(min(n, ss.chiefs) for n in by_school.values())
        in_rooms = ss.slots - ss.reserves
        if usable < in_rooms:
            out.append(("site_session_schools", {"site": j, "needed": in_rooms, "rooms": ss.chiefs, "usable": usable,
                                                 "schools": len(by_school), "km": km}))
    return out


def site_explanation(facts: InvigilationFacts, code: str, j: str, sessions: list[str], n: dict) -> Explanation:
    """"第2场 北岗乡中学：需 14 名主监考（教龄≥5 或骨干），30 公里内外校合格教师 9 名" and its English."""
    pol = facts.policy
    zh_k, en_k = _sessions_label(facts, sessions)
    site = _school(facts, j)
    qual_zh = f"教龄≥{pol.chief_min_teaching_years}" + (" 或骨干" if pol.chief_backbone_qualifies else "")
    qual_en = f"≥{pol.chief_min_teaching_years} teaching years" + (" or backbone" if pol.chief_backbone_qualifies else "")
    numbers = dict(n, session_id=sessions[0], session_ids=list(sessions))
    if code == "site_session_supply":
        zh = (f"{zh_k} {site}：需 {n['needed']} 名监考（{n['rooms']} 个考场 + {n['reserves']} 名备用），"
              f"{n['km']:g} 公里内可安排的外校教师 {n['free']} 名")
        en = (f"{en_k} at {site}: {n['needed']} invigilators needed ({n['rooms']} rooms + {n['reserves']} reserves); "
              f"{n['free']} teachers of other schools within {n['km']:g} km are free")
    elif code == "site_session_chiefs":
        zh = f"{zh_k} {site}：需 {n['needed']} 名主监考（{qual_zh}），{n['km']:g} 公里内外校合格教师 {n['qualified']} 名"
        en = (f"{en_k} at {site}: {n['needed']} chief invigilators needed ({qual_en}); {n['qualified']} qualified "
              f"teachers of other schools within {n['km']:g} km")
    else:
        zh = (f"{zh_k} {site}：{n['rooms']} 个考场需 {n['needed']} 名监考，同一考场来自不同学校、每校至多 {n['rooms']} 名；"
              f"{n['km']:g} 公里内的 {n['schools']} 所外校合计最多 {n['usable']} 名")
        en = (f"{en_k} at {site}: its {n['rooms']} rooms need {n['needed']} invigilators, at most {n['rooms']} from any one "
              f"school (a room's invigilators come from different schools); the {n['schools']} schools within "
              f"{n['km']:g} km give at most {n['usable']}")
    return Explanation(code, zh, en, numbers)


def precheck(facts: InvigilationFacts) -> list[Explanation]:
    """Exact counting checks; every explanation returned proves infeasibility on its own."""
    out: list[Explanation] = []
    data, pol = facts.data, facts.policy
    for short in data.room_shortages:
        zh_s, en_s = _session(facts, short["session_id"])
        site = _school(facts, short["site"])
        out.append(Explanation(
            "rooms", f"{zh_s} 场次在考点 {site} 有 {short['candidates']} 名考生，全部考场只有 {short['seats']} 个座位",
            f"session {en_s} at site {site}: {short['candidates']} candidates but only {short['seats']} seats in its rooms",
            dict(short)))
    # each site and session: places vs free teachers of other schools within reach; sessions where a site
    # falls short by the same numbers are told once ("第1、2、3场 北岗乡中学：…")
    session_need: dict[str, int] = {}
    grouped: dict[tuple, list[str]] = {}
    for (e, j), ss in sorted(facts.site_sessions.items(), key=lambda kv: (kv[0][1], session_index(facts, kv[0][0]))):
        session_need[e] = session_need.get(e, 0) + ss.slots
        for code, numbers in site_shortfalls(facts, e, j, ss):
            grouped.setdefault((code, j, tuple(sorted(numbers.items()))), []).append(e)
    for (code, j, items), sessions in grouped.items():
        out.append(site_explanation(facts, code, j, sessions, dict(items)))
    # each session across all sites
    for e, need in session_need.items():
        free = sum(1 for t in data.teachers if e in facts.allowed[t.teacher_id])
        if free < need:
            zh_s, en_s = _session(facts, e)
            out.append(Explanation(
                "session_supply", f"{zh_s} 场次共需要 {need} 名监考；可安排的教师只有 {free} 名",
                f"session {en_s} needs {need} invigilators in all; only {free} teachers are free",
                {"session_id": e, "needed": need, "free": free}))
    # whole exam: places vs what all teachers can do
    capacity = sum(facts.potential.values())
    if capacity < facts.demand:
        out.append(Explanation(
            "exam_capacity",
            f"本次联考共需 {facts.demand} 人次监考；按每人每天≤{pol.max_sessions_per_day}场、每次联考≤{pol.max_sessions_per_exam}场"
            f"（中层≤{pol.max_sessions_leader}、校长≤{pol.max_sessions_principal}），全部教师最多 {capacity} 人次",
            f"the exam needs {facts.demand} invigilator-sessions; with ≤{pol.max_sessions_per_day} a day and "
            f"≤{pol.max_sessions_per_exam} an exam (leaders ≤{pol.max_sessions_leader}, principals ≤{pol.max_sessions_principal}) "
            f"all teachers can give at most {capacity}",
            {"needed": facts.demand, "capacity": capacity}))
    # quotas: a school's lower bound vs its teachers' capacity; the sum of bounds vs the demand
    lo_sum = hi_sum = 0
    for s in data.schools:
        q = facts.quota[s.school_id]
        lo_sum += q.lo
        hi_sum += q.hi
        cap = sum(facts.potential[t.teacher_id] for t in data.teachers if t.school_id == s.school_id)
        if cap < q.lo:
            out.append(Explanation(
                "quota_lower",
                f"{s.label} 按考场比例应派出至少 {q.lo} 人次监考（目标 {q.target:.1f}，容差 ±{pol.quota_tolerance:.0%}+{pol.quota_slack}）；"
                f"该校教师最多可监考 {cap} 人次",
                f"{s.label} must supply at least {q.lo} invigilator-sessions (target {q.target:.1f}, tolerance "
                f"±{pol.quota_tolerance:.0%}+{pol.quota_slack}); its teachers can give at most {cap}",
                {"school_id": s.school_id, "lower": q.lo, "capacity": cap}))
    if lo_sum > facts.demand or hi_sum < facts.demand:
        out.append(Explanation(
            "quota_sum", f"各校名额区间合计为 [{lo_sum}, {hi_sum}] 人次，而联考共需 {facts.demand} 人次",
            f"the schools' quota ranges add up to [{lo_sum}, {hi_sum}] invigilator-sessions, but the exam needs {facts.demand}",
            {"lower_sum": lo_sum, "upper_sum": hi_sum, "needed": facts.demand}))
    # pins that cannot hold
    for pin in facts.pins:
        t = data.teacher_by_id.get(pin.teacher_id)
        if t is None or pin.session_id not in data.session_by_id:
            out.append(Explanation("pin_unknown", f"指定安排引用了不存在的教师或场次：{pin.teacher_id} / {pin.session_id}",
                                   f"a pin names an unknown teacher or session: {pin.teacher_id} / {pin.session_id}",
                                   {"teacher_id": pin.teacher_id, "session_id": pin.session_id}))
            continue
        zh_s, en_s = _session(facts, pin.session_id)
        bad = pin.session_id not in facts.allowed[t.teacher_id]
        if not bad and pin.site_school_id:
            bad = not any(pin.site_school_id in pattern_sites(facts, t, p)
                          for b in facts.blocks for p in teacher_patterns(facts, t, b) if pin.session_id in p)
        if not bad and pin.role == "chief" and not facts.chief_ok[t.teacher_id]:
            bad = True
        if bad:
            out.append(Explanation(
                "pin_impossible", f"指定 {t.label} 在 {zh_s} 场次监考{('（考点 ' + _school(facts, pin.site_school_id) + '）') if pin.site_school_id else ''}，"
                f"但这违反了规则（本学科、请假、距离、本校或主监考资格）",
                f"{t.label} is pinned to session {en_s}{(' at ' + _school(facts, pin.site_school_id)) if pin.site_school_id else ''}, "
                f"which breaks a rule (own subject, unavailability, distance, own school or chief qualification)",
                {"teacher_id": t.teacher_id, "session_id": pin.session_id, "site": pin.site_school_id}))
    return out


def rule_group_numbers(facts: InvigilationFacts, group: str) -> tuple[str, str, dict]:
    """The tightest place of a rule group, in words and numbers."""
    data = facts.data
    zh, en = RULE_GROUPS[group]
    if group in ("travel", "own_school", "own_subject", "unavailability", "load_day", "distinct_room", "chief"):
        tightest: tuple[float, str, str, int, int] | None = None
        for (e, j), ss in facts.site_sessions.items():
            free = free_teachers_for(facts, e, j)
            ratio = len(free) / ss.slots if ss.slots else 9.9
            if tightest is None or ratio < tightest[0]:
                tightest = (ratio, e, j, len(free), ss.slots)
        if tightest:
            _, e, j, n_free, need = tightest
            zh_s, en_s = _session(facts, e)
            site = _school(facts, j)
            return (f"{zh}：最紧的是 {zh_s} 场次考点 {site}，需要 {need} 名监考，符合全部规则的外校教师只有 {n_free} 名",
                    f"{en}: tightest at session {en_s}, site {site}: {need} invigilators needed, {n_free} teachers of "
                    f"other schools meet every rule", {"session_id": e, "site": j, "needed": need, "free": n_free})
    if group == "quota":
        worst = max(data.schools, key=lambda s: facts.quota[s.school_id].lo - sum(
            facts.potential[t.teacher_id] for t in data.teachers if t.school_id == s.school_id))
        q = facts.quota[worst.school_id]
        cap = sum(facts.potential[t.teacher_id] for t in data.teachers if t.school_id == worst.school_id)
        return (f"{zh}：例如 {worst.label} 须派出 {q.lo}–{q.hi} 人次，其教师最多可监考 {cap} 人次",
                f"{en}: e.g. {worst.label} must supply {q.lo}–{q.hi} invigilator-sessions; its teachers can give {cap}",
                {"school_id": worst.school_id, "lower": q.lo, "upper": q.hi, "capacity": cap})
    if group in ("load_exam", "fairness"):
        cap = sum(facts.potential.values())
        return (f"{zh}：共需 {facts.demand} 人次，教师按上限最多 {cap} 人次",
                f"{en}: {facts.demand} invigilator-sessions needed; the teachers' limits allow {cap}",
                {"needed": facts.demand, "capacity": cap})
    return (zh, en, {})


def solver_core(facts: InvigilationFacts, *, time_limit_s: float = 20.0, load_max: int | None = None,
                pool_min: int | None = None, free_teachers=None, free_sites=None) -> list[Explanation]:
    """Rule groups that together make the (scope of the) problem infeasible: a minimal core found by
    switching rule groups off in a copy of the model (see `scheduling/cpsat/core.py`), then each group's tightest
    place with its numbers."""
    m = InvigilationModel(facts, relaxed=True, load_max=load_max, pool_min=pool_min,
                          free_teachers=free_teachers, free_sites=free_sites)
    # rules a planner is most likely to relax are tried (and dropped) first
    order = ["fairness", "pins", "quota", "load_exam", "load_day", "chief", "distinct_room", "travel", "own_school",
             "own_students", "own_subject", "unavailability"]
    found = minimal_core(m.model, [g for g in order if g in m.lits], time_limit_s=time_limit_s,
                         literal=m.lits.__getitem__, others="off", start="all")
    if found is None:
        return [Explanation("solver_infeasible", "求解器证明没有满足全部规则的方案，但未能在时限内确定是哪些规则相互冲突",
                            "the solver proved that no plan meets every rule, but could not tell in time which rules clash",
                            {}, exact=True)]
    core, proven = found.core, found.minimal
    if not core:
        return [Explanation("solver_core", "即使放宽全部可调整规则，考场与备用监考仍无法排满（每人每天只在一个考点）",
                            "even with every adjustable rule relaxed, the rooms and reserves cannot all be staffed "
                            "(a teacher stays at one site a day)", {"groups": []}, exact=True)]
    names_zh = "、".join(RULE_GROUPS[g][0] for g in core)
    names_en = ", ".join(RULE_GROUPS[g][1] for g in core)
    out = [Explanation("solver_core", f"求解器证明：以下规则不能同时满足：{names_zh}" + ("" if proven else "（可能不是最小集合）"),
                       f"the solver proves these rules cannot all hold together: {names_en}" + ("" if proven else " (maybe not minimal)"),
                       {"groups": core, "minimal": proven}, exact=True)]
    for g in core:
        zh, en, numbers = rule_group_numbers(facts, g)
        out.append(Explanation(f"rule_{g}", zh, en, numbers, exact=False))
    return out


# ------------------------------------------------------------------------------ suggestions, checked by re-solving
# (invigilation only) Each site that falls short names the policy key and the value that would meet it there;
# the values are then tried together on the whole exam by solving again without relaxation, and the
# explanation says whether that plan exists. A value is suggested as the fix only when the solve found a plan.

def needed_km_for_site(facts: InvigilationFacts, e: str, j: str) -> float | None:
    """Smallest one-way km limit (whole km) at which the site's counts pass in the session, or None."""
    data, pol = facts.data, facts.policy
    by_school = _allowed_by_school(facts)
    ss = facts.site_sessions[e, j]
    order = sorted((data.km(s.school_id, j), s.school_id) for s in data.schools
                   if not (pol.exclude_own_school and s.school_id == j))
    free: list[str] = []
    for km, sid in order:
        for tid in by_school.get((sid, e), ()):
            forb = facts.forbidden_sites.get(tid)
            if not (forb and (j in forb.get(None, ()) or j in forb.get(e, ()))):
                free.append(tid)
        if not site_shortfalls(facts, e, j, ss, free):
            return float(max(1, -(-km // 1)))
    return None


def needed_chief_years(facts: InvigilationFacts, e: str, j: str) -> int | None:
    """Largest chief_min_teaching_years (below the policy's) with enough qualified teachers within reach, or None."""
    pol = facts.policy
    ss = facts.site_sessions[e, j]
    free = free_teachers_for(facts, e, j)
    tb = facts.data.teacher_by_id
    for years in range(pol.chief_min_teaching_years - 1, -1, -1):
        ok = sum(1 for t in free if tb[t].teaching_years >= years or (pol.chief_backbone_qualifies and tb[t].backbone))
        if ok >= ss.chiefs:
            return years
    return None


def _changes_text(changes: dict) -> tuple[str, str]:
    parts = [f"{k} = {v:g}" if isinstance(v, (int, float)) and not isinstance(v, bool) else f"{k} = {v}"
             for k, v in changes.items()]
    return "、".join(parts), ", ".join(parts)


def suggest_checked(data, policy, explanations: list[Explanation], *, time_limit_s: float = 20.0,
                    pins=(), forbids=()) -> list[Explanation]:
    """The explanations with, for each site that falls short, the policy key and value that meets it there,
    and one `suggestion` line: the values together, checked by solving the exam again without relaxation."""
    from dataclasses import replace

    from .derive import derive
    from .invigilation import plan_invigilation

    facts = derive(data, policy, pins, forbids)
    km_needed: list[float] = []
    years_needed: list[int] = []
    per_expl: dict[int, tuple[str, object]] = {}
    for i, ex in enumerate(explanations):
        if not ex.code.startswith("site_session_"):
            continue
        sessions = ex.numbers.get("session_ids") or [ex.numbers.get("session_id")]
        j = ex.numbers["site"]
        if ex.code == "site_session_chiefs":
            ys = [needed_chief_years(facts, e, j) for e in sessions]
            known_ys = [y for y in ys if y is not None]
            if len(known_ys) == len(ys):
                per_expl[i] = ("chief_min_teaching_years", min(known_ys))
                years_needed.append(min(known_ys))
                continue
        kms = [needed_km_for_site(facts, e, j) for e in sessions]
        known_kms = [k for k in kms if k is not None]
        if len(known_kms) == len(kms):
            per_expl[i] = ("max_km", max(known_kms))
            km_needed.append(max(known_kms))
        else:
            per_expl[i] = ("max_km", None)
    candidates: list[dict] = []
    km_change = {}
    if km_needed:
        v = max(km_needed)
        km_change = {"max_km": max(policy.max_km, v), "max_km_rural": max(policy.max_km_rural, v)}
        candidates.append(km_change)
    if years_needed:
        candidates.append({"chief_min_teaching_years": min(years_needed)})
    if len(candidates) == 2:
        candidates.append({**candidates[0], **candidates[1]})
    if any(e.code in ("quota_lower", "quota_sum", "rule_quota") for e in explanations) or \
            any(e.code == "solver_core" and "quota" in e.numbers.get("groups", []) for e in explanations):
        candidates.append({**km_change, "quota_tolerance": max(policy.quota_tolerance, 0.5)})
    budget = time_limit_s / max(1, len(candidates))
    found = None
    undecided = 0
    for changes in candidates:
        res = plan_invigilation(data, replace(policy, **changes), time_limit_s=budget, pins=pins, forbids=forbids,
                                relax=False, explain_time_s=0.1, suggest=False)
        if res.status in ("optimal", "feasible"):
            found = changes
            break
        undecided += res.status != "infeasible"
    out = []
    for i, ex in enumerate(explanations):
        if i not in per_expl:
            out.append(ex)
            continue
        key, value = per_expl[i]
        if value is None:
            zh = f"；{key} 再放宽也凑不齐（该考点附近外校教师总数不足）"
            en = f"; no value of {key} is enough here (too few teachers of other schools at any distance)"
        else:
            shown = f"{value:g}" if isinstance(value, float) else str(value)
            zh = f"；{key} 改为 {shown} 时此考点人数够"
            en = f"; with {key} = {shown} this site has enough"
        out.append(Explanation(ex.code, ex.zh + zh, ex.en + en,
                               dict(ex.numbers, policy_key=key, value_needed=value), ex.exact))
    if candidates:
        if found is not None:
            zh_c, en_c = _changes_text(found)
            out.append(Explanation("suggestion", f"建议：{zh_c}（已重新求解验证：不放宽任何规则即可排出完整方案）",
                                   f"suggestion: {en_c} (checked by solving again: a complete plan without relaxation)",
                                   {"changes": found, "verified": True}, exact=False))
        else:
            tried = "；".join(_changes_text(c)[0] for c in candidates)
            tried_en = "; ".join(_changes_text(c)[1] for c in candidates)
            late_zh = f"（其中 {undecided} 项在 {budget:.0f} 秒内未解出）" if undecided else ""
            late_en = f" ({undecided} of them not decided within {budget:.0f} s)" if undecided else ""
            out.append(Explanation("suggestion", f"已重新求解验证：{tried} 都不能排出不放宽的完整方案{late_zh}，需按放宽层级排考",
                                   f"checked by solving again: none of {tried_en} gives a complete plan without "
                                   f"relaxation{late_en}; the relaxation tiers are needed",
                                   {"tried": candidates, "verified": False, "undecided": undecided}, exact=False))
    return out
