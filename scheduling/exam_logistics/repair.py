"""Repair a plan after last-minute absences with the fewest changes, and report them.

Level 1 (a small CP-SAT model): every place an absent teacher leaves is filled directly by one
teacher who is free and may take it (same rules as the planner), or, when a chief is missing, the
room's assistant becomes chief and the newcomer assists. Each vacancy needs at least one new row,
so a level-1 repair without role swaps has the fewest changes possible. Quotas and load balance
become soft: their shortfall is minimised after the changes, and reported.
Level 2 (when level 1 has no solution): the whole exam is planned again with the absent teachers
forbidden and the old plan as the hint; the changes are the differences.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from .data import Change, Explanation, Forbid, InvigilationAssignment, InvigilationInput, InvigilationResult
from .derive import derive
from .invigilation import plan_invigilation, relaxation_uses, summarise
from .policy import InvigilationPolicy


@dataclass
class RepairResult:
    result: InvigilationResult
    changes: list[Change] = field(default_factory=list)
    level: int = 1
    stats: dict = field(default_factory=dict)


def diff_plans(before: list[InvigilationAssignment], after: list[InvigilationAssignment]) -> list[Change]:
    """Row differences per (teacher, session): removed, added, moved (site or room), role."""
    old = {(a.teacher_id, a.session_id): a for a in before}
    new = {(a.teacher_id, a.session_id): a for a in after}
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if a is None:
            out.append(Change("added", key[0], key[1], None, b))
        elif b is None:
            out.append(Change("removed", key[0], key[1], a, None))
        elif (a.site_school_id, a.room_id) != (b.site_school_id, b.room_id):
            out.append(Change("moved", key[0], key[1], a, b))
        else:
            out.append(Change("role", key[0], key[1], a, b))
    return out


def repair_invigilation(previous: InvigilationResult | list[InvigilationAssignment], absent_teacher_ids,
                        data: InvigilationInput, policy: InvigilationPolicy | None = None, *,
                        time_limit_s: float = 10.0, num_workers: int = 2, pins=(), forbids=()) -> RepairResult:
    t0 = time.perf_counter()
    policy = policy or InvigilationPolicy()
    rows = list(previous.assignments if isinstance(previous, InvigilationResult) else previous)
    absent = set(absent_teacher_ids)
    forbids = tuple(forbids) + tuple(Forbid(t) for t in sorted(absent))
    facts = derive(data, policy, pins, forbids)
    tb, sess = data.teacher_by_id, data.session_by_id
    keep = [a for a in rows if a.teacher_id not in absent]
    vacancies = [a for a in rows if a.teacher_id in absent]
    if not vacancies:
        res = InvigilationResult(data.exam_id, "feasible", keep, [], summarise(facts, keep))
        return RepairResult(res, [], 0, {"vacancies": 0})

    # what everybody already does
    working = {(a.teacher_id, a.session_id) for a in keep}
    load: dict[str, int] = {}
    day_load: dict[tuple[str, str], int] = {}
    day_site: dict[tuple[str, str], str] = {}
    for a in keep:
        d = sess[a.session_id].date
        load[a.teacher_id] = load.get(a.teacher_id, 0) + 1
        day_load[a.teacher_id, d] = day_load.get((a.teacher_id, d), 0) + 1
        day_site[a.teacher_id, d] = a.site_school_id
    room_schools: dict[tuple[str, str, str], set[str]] = {}
    room_members: dict[tuple[str, str, str], list[InvigilationAssignment]] = {}
    for a in keep:
        if a.role != "reserve":
            room_schools.setdefault((a.session_id, a.site_school_id, a.room_id), set()).add(a.teacher_school_id)
            room_members.setdefault((a.session_id, a.site_school_id, a.room_id), []).append(a)

    model = cp_model.CpModel()
    x: dict[tuple[str, int], cp_model.IntVar] = {}
    swap: dict[int, tuple[cp_model.IntVar, InvigilationAssignment]] = {}
    km_terms, load_terms = [], []
    for i, v in enumerate(vacancies):
        e, j, d = v.session_id, v.site_school_id, sess[v.session_id].date
        others = room_schools.get((e, j, v.room_id), set()) if v.role != "reserve" else set()
        swappable = None
        if v.role == "chief":
            mates = [m for m in room_members.get((e, j, v.room_id), []) if m.role == "assistant" and facts.chief_ok[m.teacher_id]]
            if mates:
                swappable = mates[0]
                swap[i] = (model.new_bool_var(f"swap[{i}]"), swappable)
        for t in data.teachers:
            tid = t.teacher_id
            if tid in absent or (tid, e) in working or e not in facts.allowed[tid]:
                continue
            if j not in facts.reachable[t.school_id]:
                continue
            forb = facts.forbidden_sites.get(tid, {})
            if j in forb.get(None, ()) or j in forb.get(e, ()):
                continue
            if load.get(tid, 0) >= facts.cap[tid] or day_load.get((tid, d), 0) >= policy.max_sessions_per_day:
                continue
            if policy.one_site_per_day and day_site.get((tid, d), j) != j:
                continue
            if policy.distinct_schools_in_room and t.school_id in others:
                continue
            if v.role == "chief" and not facts.chief_ok[tid] and i not in swap:
                continue
            var = model.new_bool_var(f"x[{tid},{i}]")
            x[tid, i] = var
            if v.role == "chief" and not facts.chief_ok[tid]:
                model.add_implication(var, swap[i][0])  # only as assistant after a swap
            new_trip = (tid, d) not in day_site
            km_terms.append((var, round(data.km(t.school_id, j) * 10) if new_trip else 0))
            load_terms.append((var, load.get(tid, 0)))
    by_vacancy: dict[int, list] = {}
    by_teacher: dict[str, list[tuple[int, cp_model.IntVar]]] = {}
    for (tid, i), var in x.items():
        by_vacancy.setdefault(i, []).append(var)
        by_teacher.setdefault(tid, []).append((i, var))
    level1 = all(by_vacancy.get(i) for i in range(len(vacancies)))
    result_rows = None
    if level1:
        for i in range(len(vacancies)):
            model.add_exactly_one(by_vacancy[i])
        for tid, items in by_teacher.items():
            t = tb[tid]
            per_session: dict[str, list] = {}
            per_day: dict[str, list] = {}
            for i, var in items:
                per_session.setdefault(vacancies[i].session_id, []).append(var)
                per_day.setdefault(sess[vacancies[i].session_id].date, []).append((i, var))
            for vs in per_session.values():
                if len(vs) > 1:
                    model.add_at_most_one(vs)
            model.add(sum(var for _, var in items) <= facts.cap[tid] - load.get(tid, 0))
            for d, pairs in per_day.items():
                model.add(sum(var for _, var in pairs) <= policy.max_sessions_per_day - day_load.get((tid, d), 0))
                if policy.one_site_per_day:
                    for a_i, (i1, v1) in enumerate(pairs):
                        for i2, v2 in pairs[a_i + 1:]:
                            if vacancies[i1].site_school_id != vacancies[i2].site_school_id:
                                model.add(v1 + v2 <= 1)
        # two vacancies in the same room: fillers of different schools
        if policy.distinct_schools_in_room:
            rooms: dict[tuple, list[int]] = {}
            for i, v in enumerate(vacancies):
                if v.role != "reserve":
                    rooms.setdefault((v.session_id, v.site_school_id, v.room_id), []).append(i)
            for idx in rooms.values():
                if len(idx) < 2:
                    continue
                schools: dict[str, list] = {}
                for i in idx:
                    for var in by_vacancy[i]:
                        tid = next(t for (t, k), vv in x.items() if k == i and vv is var)
                        schools.setdefault(tb[tid].school_id, []).append(var)
                for vs in schools.values():
                    if len(vs) > 1:
                        model.add_at_most_one(vs)
        swaps = sum(s for s, _ in swap.values()) if swap else 0
        km = sum(c * v for v, c in km_terms) if km_terms else 0
        spread = sum(c * v for v, c in load_terms) if load_terms else 0
        model.minimize(1_000_000 * swaps + 10 * km + spread)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = num_workers
        solver.parameters.max_time_in_seconds = max(0.5, time_limit_s - (time.perf_counter() - t0))
        status = solver.solve(model)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            result_rows = list(keep)
            for i, v in enumerate(vacancies):
                tid = next(t for (t, k), var in x.items() if k == i and solver.boolean_value(var))
                role = v.role
                if i in swap and solver.boolean_value(swap[i][0]):
                    mate = swap[i][1]
                    result_rows = [InvigilationAssignment(**{**mate.__dict__, "role": "chief"}) if r == mate else r
                                   for r in result_rows]
                    role = "assistant"
                t = tb[tid]
                result_rows.append(InvigilationAssignment(data.exam_id, v.session_id, v.site_school_id, v.room_id, tid,
                                                          t.school_id, role, round(data.km(t.school_id, v.site_school_id), 2)))
    level = 1
    explanations: list[Explanation] = []
    status_out = "feasible"
    # what the previous plan declared beyond the rules and level 1 keeps (gaps, shared reserves)
    prev_uses = list(previous.relaxations) if isinstance(previous, InvigilationResult) else []
    unstaffed = [(r.session_id, r.site_school_id, r.room_id, r.role) for r in prev_uses if r.tier == "unstaffed"]
    shared = {(r.session_id, r.site_school_id): r.partner_site_id for r in prev_uses if r.tier == "shared_reserve"}
    uses = []
    if result_rows is None:
        level = 2
        res = plan_invigilation(data, policy, time_limit_s=max(1.0, time_limit_s - (time.perf_counter() - t0)),
                                num_workers=num_workers, pins=pins, forbids=forbids, previous=keep)
        if not res.ok:
            return RepairResult(res, [], level, {"vacancies": len(vacancies)})
        result_rows = res.assignments
        status_out = res.status
        uses = list(res.relaxations)
        explanations.extend(e for e in res.explanations if e.code == "relaxation_summary")
    else:
        uses = relaxation_uses(data, policy, result_rows, unstaffed, shared, facts)
        if uses:
            status_out = "relaxed"
    result_rows.sort(key=lambda a: (a.session_id, a.site_school_id, a.room_id == "", a.room_id, a.role != "chief", a.teacher_id))
    stats = summarise(facts, result_rows)
    outside = stats["schools_outside_quota"]
    if outside:
        explanations.append(Explanation(
            "repair_quota", f"补位后有 {outside} 所学校的派出人次超出名额区间（补位优先改动最少）",
            f"after the repair {outside} schools are outside their quota range (fewest changes come first)",
            {"schools_outside_quota": outside}, exact=False))
    changes = diff_plans(rows, result_rows)
    stats.update({"vacancies": len(vacancies), "changes": len(changes), "level": level,
                  "wall_s": round(time.perf_counter() - t0, 3)})
    return RepairResult(InvigilationResult(data.exam_id, status_out, result_rows, explanations, stats, uses),
                        changes, level, stats)
