"""The greedy baseline: how an exam office fills the invigilation sheet by hand.

Session after session, site after site, room after room: take the nearest free teacher of another
school who may invigilate that session (chief first, then assistants of other schools, then the
reserves), preferring whoever has invigilated least so far. It keeps the rules a clerk checks on
the sheet (subject, unavailability, own school, one site a day, daily and exam limits, distance),
but it has no look-ahead and does not balance the schools' quotas.
"""
from __future__ import annotations

import time

from .data import InvigilationAssignment, InvigilationInput, InvigilationResult
from .derive import derive
from .invigilation import summarise
from .policy import InvigilationPolicy


def greedy_invigilation(data: InvigilationInput, policy: InvigilationPolicy | None = None, *,
                        band_km: float = 5.0, strict: InvigilationPolicy | None = None, pins=(),
                        forbids=()) -> InvigilationResult:
    """Fill every room and reserve place greedily; places nobody can take are left empty
    (status "partial", with their count in stats["unfilled"] and the places in stats["unfilled_places"]).

    With `strict` (the tiered fallback: `policy` is then the widened policy) a teacher who keeps the
    strict rules comes before one who needs a tier, an own-school teacher is only an assistant beside a
    chief of another school, and a session beyond the strict day limit is taken only when nobody else can."""
    t0 = time.perf_counter()
    policy = policy or InvigilationPolicy()
    facts = derive(data, policy, pins, forbids)
    sb = data.school_by_id

    def penalty(school: str, site: str) -> int:
        """Tiers a teacher of `school` at `site` needs under `strict` (0: none)."""
        if strict is None:
            return 0
        cost = 0
        if strict.exclude_own_school and school == site:
            cost += strict.relax_cost("own_school_assistant")
        if data.km(school, site) > strict.km_limit(sb[school].rural, sb[site].rural) + 1e-9:
            cost += strict.relax_cost("distance")
        return cost
    tb = data.teacher_by_id
    load: dict[str, int] = {}
    day_load: dict[tuple[str, str], int] = {}
    day_site: dict[tuple[str, str], str] = {}
    busy: set[tuple[str, str]] = set()
    by_school_session: dict[tuple[str, str], list[str]] = {}
    for t in data.teachers:
        for e in facts.allowed[t.teacher_id]:
            by_school_session.setdefault((t.school_id, e), []).append(t.teacher_id)
    rows: list[InvigilationAssignment] = []
    unfilled = 0
    unfilled_places: list[tuple[str, str, str, str]] = []
    sessions = sorted(data.sessions, key=lambda s: (s.date, s.start, s.session_id))
    for s in sessions:
        e, day = s.session_id, s.date
        sites = sorted(j for (sid, j) in facts.site_sessions if sid == e)
        for j in sites:
            ss = facts.site_sessions[e, j]
            # candidates: teachers of other schools within reach, free this session
            nearby: list[tuple[float, str]] = []
            for school in data.schools:
                if j not in facts.reachable[school.school_id]:
                    continue
                km = data.km(school.school_id, j)
                for tid in by_school_session.get((school.school_id, e), ()):
                    nearby.append((km, tid))

            # the clerk's list for this site: distance band, then fewest sessions so far, then km
            cands = sorted((penalty(tb[tid].school_id, j), int(km // band_km), load.get(tid, 0), km, tid)
                           for km, tid in nearby)
            own_site = j if strict is not None and strict.exclude_own_school else None
            day_cap = strict.max_sessions_per_day if strict is not None else policy.max_sessions_per_day

            def pick(exclude_schools: set[str], chief: bool, assistant: bool = False) -> str | None:
                for limit in dict.fromkeys((day_cap, policy.max_sessions_per_day)):  # strict day limit first
                    i = 0
                    while i < len(cands):
                        tid = cands[i][-1]
                        t = tb[tid]
                        gone = ((tid, e) in busy or load.get(tid, 0) >= facts.cap[tid]
                                or day_load.get((tid, day), 0) >= policy.max_sessions_per_day
                                or (policy.one_site_per_day and day_site.get((tid, day), j) != j))
                        forb = facts.forbidden_sites.get(tid)
                        if gone or (forb and (j in forb.get(None, ()) or j in forb.get(e, ()))):
                            del cands[i]  # no longer possible at this site and session
                            continue
                        if t.school_id in exclude_schools or (chief and not facts.chief_ok[tid]) \
                                or day_load.get((tid, day), 0) >= limit \
                                or (t.school_id == own_site and not assistant):
                            i += 1
                            continue
                        del cands[i]
                        return tid
                return None

            def take(tid: str, room: str, role: str) -> None:
                t = tb[tid]
                busy.add((tid, e))
                load[tid] = load.get(tid, 0) + 1
                day_load[tid, day] = day_load.get((tid, day), 0) + 1
                day_site[tid, day] = j
                rows.append(InvigilationAssignment(data.exam_id, e, j, room, tid, t.school_id, role,
                                                   round(data.km(t.school_id, j), 2)))

            for room, k in zip(ss.rooms, ss.per_room):
                schools_in_room: set[str] = set()
                chief = pick(set(), True)
                if chief is None:
                    unfilled += k
                    unfilled_places += [(e, j, room.room_id, "chief")] + [(e, j, room.room_id, "assistant")] * (k - 1)
                    continue
                take(chief, room.room_id, "chief")
                schools_in_room.add(tb[chief].school_id)
                for _ in range(k - 1):
                    other = pick(schools_in_room if policy.distinct_schools_in_room else set(), False, True)
                    if other is None:
                        unfilled += 1
                        unfilled_places.append((e, j, room.room_id, "assistant"))
                        continue
                    take(other, room.room_id, "assistant")
                    schools_in_room.add(tb[other].school_id)
            for _ in range(ss.reserves):
                r = pick(set(), False)
                if r is None:
                    unfilled += 1
                    unfilled_places.append((e, j, "", "reserve"))
                    continue
                take(r, "", "reserve")
    stats = {"unfilled": unfilled, "unfilled_places": unfilled_places, "wall_s": round(time.perf_counter() - t0, 3),
             "mode": "greedy"}
    stats.update(summarise(facts, rows))
    return InvigilationResult(data.exam_id, "feasible" if unfilled == 0 else "partial", rows, [], stats)
