"""The naive invigilation model, for comparison only: one boolean per teacher, room, session and role.

This is the model the issue's trial could not solve at district scale (no feasible plan in 60 s).
It is kept as a reference: the benchmark prints its size next to ours, and the tests check on tiny
instances that it reaches the same lexicographic optimum (maximum load, spread, km) as
`InvigilationModel` — the aggregated model is exact, not a relaxation.
"""
from __future__ import annotations

import math

from ortools.sat.python import cp_model

from .data import InvigilationInput
from .derive import InvigilationFacts, derive
from .policy import InvigilationPolicy


def naive_size(data: InvigilationInput, policy: InvigilationPolicy, facts: InvigilationFacts | None = None) -> dict:
    """Booleans of the naive model: raw (teachers × rooms × sessions) and after pruning what the rules forbid."""
    facts = facts or derive(data, policy)
    rooms = sum(len(ss.rooms) for ss in facts.site_sessions.values()) // max(1, len(data.sessions))
    raw = len(data.teachers) * rooms * len(data.sessions)
    by_school_session: dict[tuple[str, str], int] = {}
    for t in data.teachers:
        for e in facts.allowed[t.teacher_id]:
            by_school_session[t.school_id, e] = by_school_session.get((t.school_id, e), 0) + 1
    pruned = 0
    for (e, j), ss in facts.site_sessions.items():
        for s in data.schools:
            if j in facts.reachable[s.school_id]:
                pruned += by_school_session.get((s.school_id, e), 0) * (len(ss.rooms) + 1)
    return {"raw_teacher_room_session": raw, "pruned_booleans": pruned}


class NaiveModel:
    def __init__(self, facts: InvigilationFacts, load_max: int | None = None, pool_min: int | None = None):
        data, pol = facts.data, facts.policy
        self.facts = facts
        m = self.model = cp_model.CpModel()
        tb = data.teacher_by_id
        self.x: dict[tuple, cp_model.IntVar] = {}  # (t, e, j, room or "", role)
        self.w: dict[tuple[str, str, str], cp_model.IntVar] = {}  # (t, day, j): at site j that day
        load: dict[str, list] = {}
        day_load: dict[tuple[str, str], list] = {}
        sess = data.session_by_id
        for (e, j), ss in facts.site_sessions.items():
            day = sess[e].date
            for t in data.teachers:
                tid = t.teacher_id
                if e not in facts.allowed[tid] or j not in facts.reachable[t.school_id]:
                    continue
                forb = facts.forbidden_sites.get(tid, {})
                if j in forb.get(None, ()) or j in forb.get(e, ()):
                    continue
                if (tid, day, j) not in self.w:
                    self.w[tid, day, j] = m.new_bool_var(f"w[{tid},{day},{j}]")
                places = []
                for r in ss.rooms:
                    if facts.chief_ok[tid]:
                        places.append(((tid, e, j, r.room_id, "chief"), m.new_bool_var("")))
                    places.append(((tid, e, j, r.room_id, "assistant"), m.new_bool_var("")))
                places.append(((tid, e, j, "", "reserve"), m.new_bool_var("")))
                for key, v in places:
                    self.x[key] = v
                    m.add_implication(v, self.w[tid, day, j])
                    load.setdefault(tid, []).append(v)
                    day_load.setdefault((tid, day), []).append(v)
        by_te: dict[tuple[str, str], list] = {}
        by_room: dict[tuple, list] = {}
        for (tid, e, j, r, role), v in self.x.items():
            by_te.setdefault((tid, e), []).append(v)
            by_room.setdefault((e, j, r, role), []).append(v)
        for vs in by_te.values():
            m.add_at_most_one(vs)
        for (e, j), ss in facts.site_sessions.items():
            for r, k in zip(ss.rooms, ss.per_room):
                m.add_exactly_one(by_room.get((e, j, r.room_id, "chief"), []))
                m.add(sum(by_room.get((e, j, r.room_id, "assistant"), [])) == k - 1)
                if pol.distinct_schools_in_room:
                    per_school: dict[str, list] = {}
                    for role in ("chief", "assistant"):
                        for (tid, e2, j2, r2, role2), v in self.x.items():
                            if (e2, j2, r2, role2) == (e, j, r.room_id, role):
                                per_school.setdefault(tb[tid].school_id, []).append(v)
                    for vs in per_school.values():
                        if len(vs) > 1:
                            m.add_at_most_one(vs)
            m.add(sum(by_room.get((e, j, "", "reserve"), [])) == ss.reserves)
        days: dict[tuple[str, str], list] = {}
        for (tid, day, j), v in self.w.items():
            days.setdefault((tid, day), []).append(v)
        for vs in days.values():
            if pol.one_site_per_day:
                m.add_at_most_one(vs)
        for vs in day_load.values():
            m.add(sum(vs) <= pol.max_sessions_per_day)
        self.load = {tid: sum(vs) for tid, vs in load.items()}
        for tid, expr in self.load.items():
            m.add(expr <= facts.cap[tid])
            if load_max is not None:
                m.add(expr <= load_max)
            if pool_min is not None and tid in facts.pool:
                m.add(expr >= pool_min)
        if pool_min is not None and any(t in facts.pool and t not in self.load for t in facts.pool) and pool_min > 0:
            m.add_bool_or([])
        supply: dict[str, list] = {}
        for (tid, e, j, r, role), v in self.x.items():
            supply.setdefault(tb[tid].school_id, []).append(v)
        for s in data.schools:
            q = facts.quota[s.school_id]
            expr = sum(supply.get(s.school_id, []))
            m.add(expr >= q.lo)
            m.add(expr <= q.hi)
        # km counts trips: one per teacher, day and site, in tenths of a km
        self.km = sum(round(data.km(tb[tid].school_id, j) * 10) * v for (tid, day, j), v in self.w.items())
        if not pol.one_site_per_day:
            raise NotImplementedError("the naive reference model assumes one site per day")


def naive_lexicographic(data: InvigilationInput, policy: InvigilationPolicy, time_limit_s: float = 20.0,
                        num_workers: int = 2) -> tuple[str, tuple[int, int, int, int] | None]:
    """(status, (max_load, pool minimum, km tenths found, km bound)) of the naive model, minimised in that
    order; status "optimal" when the km stage is proven, "feasible" when only a plan was found."""
    facts = derive(data, policy)
    max_cap = max(facts.cap.values(), default=0)

    def solve(nm: NaiveModel, objective=None):
        if objective is not None:
            nm.model.minimize(objective)
        s = cp_model.CpSolver()
        s.parameters.num_workers = num_workers
        s.parameters.max_time_in_seconds = time_limit_s
        return s.solve(nm.model), s

    best_m = None
    for m_ in range(0, max_cap + 1):
        st, _ = solve(NaiveModel(facts, load_max=m_))
        if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            best_m = m_
            break
        if st != cp_model.INFEASIBLE:
            return "unknown", None
    if best_m is None:
        return "infeasible", None
    best_l = None
    for l_ in range(best_m, -1, -1):
        st, _ = solve(NaiveModel(facts, load_max=best_m, pool_min=l_))
        if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            best_l = l_
            break
        if st != cp_model.INFEASIBLE:
            return "unknown", None
    if best_l is None:  # not even a pool minimum of 0 under the best load
        return "infeasible", None
    nm = NaiveModel(facts, load_max=best_m, pool_min=best_l)
    st, s = solve(nm, nm.km)
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return "unknown", None
    return ("optimal" if st == cp_model.OPTIMAL else "feasible"), (best_m, best_l, round(s.objective_value),
                                                                   math.ceil(s.best_objective_bound - 1e-6))
