"""Fill the rooms of one site in one session with the invigilators the model sent there.

The model decides only how many teachers of each school work at a site in a session (rooms of a
site are interchangeable); here they become chief (主监考), assistants (副监考) and reserves (备用),
room by room, so that the invigilators of a room come from different schools. With two
invigilators a room and no school sending more teachers than the site has rooms, the greedy
below always succeeds (pair the school with the most teachers left first); otherwise a tiny
CP-SAT model places them.
"""
from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from .data import Pin
from .derive import SiteSession


@dataclass(frozen=True)
class Present:
    teacher_id: str
    school_id: str
    chief_ok: bool
    seniority: tuple[int, int]  # (backbone, teaching years): the more senior become chiefs


PHANTOM = "__vacant__"  # teacher ids of unstaffed places (the tiered planner's phantoms)


class FillError(RuntimeError):
    pass


def fill_site_session(ss: SiteSession, present: list[Present], pins: dict[str, Pin] | None = None,
                      distinct_schools: bool = True, assist_only_school: str | None = None,
                      prefer_rooms: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(teacher_id, room_id or "" for reserves, role) for everybody present.

    Teachers of `assist_only_school` (the site's own school, under the tier own_school_assistant) are
    placed only as assistants, each beside a chief of another school. `prefer_rooms` (teacher → room,
    a replan's previous rooms) are kept where they can be: the rooms are then placed exactly, with as
    many teachers in their preferred room as the rules allow."""
    pins = pins or {}
    if assist_only_school is not None:
        present = [Present(p.teacher_id, p.school_id, p.chief_ok and p.school_id != assist_only_school, p.seniority)
                   for p in present]
    assist_only = {p.teacher_id for p in present if p.school_id == assist_only_school}
    if len(present) != ss.slots:
        raise FillError(f"{ss.site}/{ss.session_id}: {len(present)} teachers for {ss.slots} places")
    by_id = {p.teacher_id: p for p in present}
    pinned_role = {tid: pin.role for tid, pin in pins.items() if tid in by_id and pin.role}
    pinned_room = {tid: pin.room_id for tid, pin in pins.items() if tid in by_id and pin.room_id}

    # reserves: pinned ones; then, from a school with more teachers here than rooms, its surplus;
    # then eligible teachers the rooms can spare (they can stand in for a chief); then the others
    eligible = sum(p.chief_ok for p in present)
    reserves = [tid for tid, r in pinned_role.items() if r == "reserve"]
    free = [p for p in present if p.teacher_id not in pinned_role and p.teacher_id not in pinned_room
            and p.teacher_id not in assist_only]
    spare_eligible = eligible - ss.chiefs - sum(by_id[t].chief_ok for t in reserves)
    free.sort(key=lambda p: (p.seniority, p.teacher_id))  # juniors first as reserves

    def take_reserve(p: Present) -> bool:
        nonlocal spare_eligible
        if p.teacher_id in reserves or len(reserves) >= ss.reserves:
            return False
        if p.chief_ok:
            if spare_eligible <= 0:
                return False
            spare_eligible -= 1
        reserves.append(p.teacher_id)
        return True

    if distinct_schools:
        count: dict[str, int] = {}
        for p in present:
            if p.teacher_id not in reserves:
                count[p.school_id] = count.get(p.school_id, 0) + 1
        for school, n in sorted(count.items()):
            surplus = n - ss.chiefs
            for p in [q for q in free if q.school_id == school and not q.chief_ok] + \
                     [q for q in free if q.school_id == school and q.chief_ok]:
                if surplus <= 0:
                    break
                if take_reserve(p):
                    surplus -= 1
    for p in [q for q in free if q.chief_ok] + [q for q in free if not q.chief_ok]:
        if len(reserves) >= ss.reserves:
            break
        take_reserve(p)
    if len(reserves) != ss.reserves:
        raise FillError(f"{ss.site}/{ss.session_id}: cannot choose {ss.reserves} reserves")
    reserve_set = set(reserves)
    working = [p for p in present if p.teacher_id not in reserve_set]

    # chiefs: pinned ones, then the most senior eligible teachers
    chiefs = [tid for tid, r in pinned_role.items() if r == "chief"]
    others = sorted((p for p in working if p.chief_ok and p.teacher_id not in pinned_role),
                    key=lambda p: (p.seniority, p.teacher_id), reverse=True)
    for p in others:
        if len(chiefs) >= ss.chiefs:
            break
        chiefs.append(p.teacher_id)
    if len(chiefs) != ss.chiefs:
        raise FillError(f"{ss.site}/{ss.session_id}: {len(chiefs)} chief-eligible teachers for {ss.chiefs} rooms")
    chief_set = set(chiefs)
    assistants = [p.teacher_id for p in working if p.teacher_id not in chief_set]

    # an own-school assistant sits beside a real chief of another school, never beside an unstaffed chief place
    apart = ({t for t in chiefs if t.startswith(PHANTOM)}, assist_only) if assist_only else (set(), set())
    placed = None if prefer_rooms else _greedy_rooms(ss, chiefs, assistants, by_id, pinned_room, distinct_schools, apart)
    if placed is None:
        placed = _exact_rooms(ss, chiefs, assistants, by_id, pinned_room, distinct_schools, apart, prefer_rooms)
    rows = [(tid, room, "chief" if tid in chief_set else "assistant") for tid, room in placed.items()]
    rows += [(tid, "", "reserve") for tid in reserves]
    return rows


def _greedy_rooms(ss, chiefs, assistants, by_id, pinned_room, distinct, apart=(set(), set())) -> dict[str, str] | None:
    chief_left: dict[str, list[str]] = {}
    asst_left: dict[str, list[str]] = {}
    for tid in chiefs:
        if tid not in pinned_room:
            chief_left.setdefault(by_id[tid].school_id, []).append(tid)
    for tid in assistants:
        if tid not in pinned_room:
            asst_left.setdefault(by_id[tid].school_id, []).append(tid)
    rooms: dict[str, list[str]] = {r.room_id: [] for r in ss.rooms}
    size = {r.room_id: k for r, k in zip(ss.rooms, ss.per_room)}
    for tid, room in pinned_room.items():
        if room not in rooms:
            return None
        rooms[room].append(tid)

    def left(school: str) -> int:
        return len(chief_left.get(school, ())) + len(asst_left.get(school, ()))

    order = sorted(rooms, key=lambda r: (-len(rooms[r]), -size[r], r))  # pinned rooms first, then large ones
    for room in order:
        members = rooms[room]
        schools = {by_id[t].school_id for t in members}
        if not any(t in chiefs for t in members):
            options = [s for s, ts in chief_left.items() if ts and (not distinct or s not in schools)]
            if not options:
                return None
            s = max(options, key=lambda s: (left(s), s))
            members.append(chief_left[s].pop())
            schools.add(s)
        no_own = any(t in apart[0] for t in members)
        while len(members) < size[room]:
            options = [s for s, ts in asst_left.items() if ts and (not distinct or s not in schools)
                       and not (no_own and ts[-1] in apart[1])]
            if not options:
                return None
            s = max(options, key=lambda s: (left(s), s))
            members.append(asst_left[s].pop())
            schools.add(s)
        if len(members) != size[room]:
            return None
    return {tid: room for room, members in rooms.items() for tid in members}


def _exact_rooms(ss, chiefs, assistants, by_id, pinned_room, distinct, apart=(set(), set()),
                 prefer_rooms: dict[str, str] | None = None) -> dict[str, str]:
    model = cp_model.CpModel()
    people = chiefs + assistants
    x = {(t, r.room_id): model.new_bool_var(f"x[{t},{r.room_id}]") for t in people for r in ss.rooms}
    for t in people:
        model.add_exactly_one(x[t, r.room_id] for r in ss.rooms)
        if t in pinned_room:
            model.add(x[t, pinned_room[t]] == 1)
    for r, k in zip(ss.rooms, ss.per_room):
        model.add_exactly_one(x[t, r.room_id] for t in chiefs)
        model.add(sum(x[t, r.room_id] for t in assistants) == k - 1)
        if distinct:
            by_school: dict[str, list] = {}
            for t in people:
                by_school.setdefault(by_id[t].school_id, []).append(x[t, r.room_id])
            for lits in by_school.values():
                if len(lits) > 1:
                    model.add_at_most_one(lits)
        for a in apart[0]:
            for b in apart[1]:
                if a in people and b in people:
                    model.add(x[a, r.room_id] + x[b, r.room_id] <= 1)
    if prefer_rooms:
        model.maximize(sum(x[t, r] for t, r in prefer_rooms.items() if (t, r) in x))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 10
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise FillError(f"{ss.site}/{ss.session_id}: no room plan with invigilators of different schools")
    return {t: r.room_id for (t, rid), v in x.items() for r in [next(q for q in ss.rooms if q.room_id == rid)]
            if solver.boolean_value(v)}
