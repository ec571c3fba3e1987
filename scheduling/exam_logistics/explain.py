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

from .data import Explanation, subject_zh
from .derive import InvigilationFacts, pattern_sites, teacher_patterns
from .invigilation_model import RULE_GROUPS, InvigilationModel, solver_for


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
    # each site and session: places vs free teachers of other schools within reach
    session_need: dict[str, int] = {}
    for (e, j), ss in sorted(facts.site_sessions.items()):
        session_need[e] = session_need.get(e, 0) + ss.slots
        free = free_teachers_for(facts, e, j)
        zh_s, en_s = _session(facts, e)
        site = _school(facts, j)
        km = pol.max_km if not data.school_by_id[j].rural else pol.max_km_rural
        if len(free) < ss.slots:
            out.append(Explanation(
                "site_session_supply",
                f"{zh_s} 场次在考点 {site} 需要 {ss.slots} 名监考（{ss.chiefs} 个考场 + {ss.reserves} 名备用）；"
                f"{km:g} 公里内可安排的外校教师只有 {len(free)} 名",
                f"session {en_s} at site {site} needs {ss.slots} invigilators ({ss.chiefs} rooms + {ss.reserves} reserves); "
                f"only {len(free)} teachers of other schools within {km:g} km are free",
                {"session_id": e, "site": j, "needed": ss.slots, "free": len(free), "km": km}))
            continue
        chiefs = sum(facts.chief_ok[t] for t in free)
        if chiefs < ss.chiefs:
            out.append(Explanation(
                "site_session_chiefs",
                f"{zh_s} 场次在考点 {site} 需要 {ss.chiefs} 名主监考；可安排的外校教师中只有 {chiefs} 名具备主监考资格"
                f"（教龄≥{pol.chief_min_teaching_years}年或骨干）",
                f"session {en_s} at site {site} needs {ss.chiefs} chief invigilators; only {chiefs} of the free teachers "
                f"qualify (≥{pol.chief_min_teaching_years} teaching years or backbone)",
                {"session_id": e, "site": j, "needed": ss.chiefs, "qualified": chiefs}))
        if pol.distinct_schools_in_room:
            by_school: dict[str, int] = {}
            for t in free:
                s = data.teacher_by_id[t].school_id
                by_school[s] = by_school.get(s, 0) + 1
            usable = sum(min(n, ss.chiefs) for n in by_school.values())
            in_rooms = ss.slots - ss.reserves
            if usable < in_rooms:
                out.append(Explanation(
                    "site_session_schools",
                    f"{zh_s} 场次在考点 {site} 的 {ss.chiefs} 个考场需要 {in_rooms} 名监考，每校至多 {ss.chiefs} 名"
                    f"（同一考场监考来自不同学校）；可安排的 {len(by_school)} 所外校合计最多 {usable} 名",
                    f"session {en_s} at site {site}: its {ss.chiefs} rooms need {in_rooms} invigilators, at most {ss.chiefs} "
                    f"from any one school (a room's invigilators come from different schools); the {len(by_school)} schools "
                    f"within reach give at most {usable}",
                    {"session_id": e, "site": j, "needed": in_rooms, "usable": usable, "schools": len(by_school)}))
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
    data, pol = facts.data, facts.policy
    zh, en = RULE_GROUPS[group]
    if group in ("travel", "own_school", "own_subject", "unavailability", "load_day", "distinct_room", "chief"):
        worst = None
        for (e, j), ss in facts.site_sessions.items():
            free = free_teachers_for(facts, e, j)
            ratio = len(free) / ss.slots if ss.slots else 9.9
            if worst is None or ratio < worst[0]:
                worst = (ratio, e, j, len(free), ss.slots)
        if worst:
            _, e, j, free, need = worst
            zh_s, en_s = _session(facts, e)
            site = _school(facts, j)
            return (f"{zh}：最紧的是 {zh_s} 场次考点 {site}，需要 {need} 名监考，符合全部规则的外校教师只有 {free} 名",
                    f"{en}: tightest at session {en_s}, site {site}: {need} invigilators needed, {free} teachers of other "
                    f"schools meet every rule", {"session_id": e, "site": j, "needed": need, "free": free})
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
    switching rule groups off in a copy of the model (see `cores.py`), then each group's tightest
    place with its numbers."""
    from .cores import minimal_core

    m = InvigilationModel(facts, relaxed=True, load_max=load_max, pool_min=pool_min,
                          free_teachers=free_teachers, free_sites=free_sites)
    # rules a planner is most likely to relax are tried (and dropped) first
    order = ["fairness", "pins", "quota", "load_exam", "load_day", "chief", "distinct_room", "travel", "own_school",
             "own_students", "own_subject", "unavailability"]
    core, proven = minimal_core(m.model, m.lits, time_limit_s, [g for g in order if g in m.lits])
    if core is None:
        return [Explanation("solver_infeasible", "求解器证明没有满足全部规则的方案，但未能在时限内确定是哪些规则相互冲突",
                            "the solver proved that no plan meets every rule, but could not tell in time which rules clash",
                            {}, exact=True)]
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
