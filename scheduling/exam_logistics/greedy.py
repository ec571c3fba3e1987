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
                        band_km: float = 5.0) -> InvigilationResult:
    """Fill every room and reserve place greedily; places nobody can take are left empty
    (status "partial", with their count in stats["unfilled"])."""
    t0 = time.perf_counter()
    policy = policy or InvigilationPolicy()
    facts = derive(data, policy)
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
    sessions = sorted(data.sessions, key=lambda s: (s.date, s.start, s.session_id))
    for s in sessions:
        e, day = s.session_id, s.date
        sites = sorted(j for (sid, j) in facts.site_sessions if sid == e)
        for j in sites:
            ss = facts.site_sessions[e, j]
            # candidates: teachers of other schools within reach, free this session
            cands = []
            for school in data.schools:
                if j not in facts.reachable[school.school_id]:
                    continue
                km = data.km(school.school_id, j)
                for tid in by_school_session.get((school.school_id, e), ()):
                    cands.append((km, tid))

            # the clerk's list for this site: distance band, then fewest sessions so far, then km
            cands = sorted((int(km // band_km), load.get(tid, 0), km, tid) for km, tid in cands)

            def pick(exclude_schools: set[str], chief: bool) -> str | None:
                i = 0
                while i < len(cands):
                    tid = cands[i][3]
                    t = tb[tid]
                    gone = ((tid, e) in busy or load.get(tid, 0) >= facts.cap[tid]
                            or day_load.get((tid, day), 0) >= policy.max_sessions_per_day
                            or (policy.one_site_per_day and day_site.get((tid, day), j) != j))
                    forb = facts.forbidden_sites.get(tid)
                    if gone or (forb and (j in forb.get(None, ()) or j in forb.get(e, ()))):
                        del cands[i]  # no longer possible at this site and session
                        continue
                    if t.school_id in exclude_schools or (chief and not facts.chief_ok[tid]):
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
                    continue
                take(chief, room.room_id, "chief")
                schools_in_room.add(tb[chief].school_id)
                for _ in range(k - 1):
                    other = pick(schools_in_room if policy.distinct_schools_in_room else set(), False)
                    if other is None:
                        unfilled += 1
                        continue
                    take(other, room.room_id, "assistant")
                    schools_in_room.add(tb[other].school_id)
            for _ in range(ss.reserves):
                r = pick(set(), False)
                if r is None:
                    unfilled += 1
                    continue
                take(r, "", "reserve")
    stats = {"unfilled": unfilled, "wall_s": round(time.perf_counter() - t0, 3), "mode": "greedy"}
    stats.update(summarise(facts, rows))
    return InvigilationResult(data.exam_id, "feasible" if unfilled == 0 else "partial", rows, [], stats)
