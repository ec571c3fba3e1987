"""Plans and rows of `plan_invigilation`: a solver plan as assignment rows (and back), its km and
summary."""
from __future__ import annotations

from .data import InvigilationAssignment, Pin
from .derive import InvigilationFacts, SiteSession
from .filling import PHANTOM, FillError, Present, fill_site_session
from .invigilation_model import KM_SCALE, Plan

# ------------------------------------------------------------------------------------------ rows

def plan_to_rows(facts: InvigilationFacts, plan: Plan) -> list[InvigilationAssignment]:
    """Rooms and roles at every site and session, from who is where."""
    return plan_to_rows_tiered(facts, plan)[0]


VACANT = PHANTOM  # phantom teachers of the tiered model: unstaffed places


def plan_to_rows_tiered(facts: InvigilationFacts, plan: Plan, tiers: dict | None = None,
                        assist_only_own_school: bool = False,
                        previous: list[InvigilationAssignment] | None = None
                        ) -> tuple[list[InvigilationAssignment], list[tuple[str, str, str, str]]]:
    """Rows, and the unstaffed places (session, site, room, role) of a tiered plan: a site whose reserves
    a partner covers has none of its own; vacant places are phantoms that the room filler places like
    teachers (juniors first as reserves, so reserve places are left empty before rooms). Teachers keep
    their previous room and role where the filler can (a replan changes few rows)."""
    tiers = tiers or {}
    vacant, shared = tiers.get("vacant", {}), tiers.get("shared", {})
    data = facts.data
    tb = data.teacher_by_id
    present: dict[tuple[str, str], list[Present]] = {}
    for (tid, b), (j, p) in plan.items():
        t = tb[tid]
        for e in p:
            present.setdefault((e, j), []).append(
                Present(tid, t.school_id, facts.chief_ok[tid], (int(t.backbone), t.teaching_years)))
    session_pins: dict[str, dict[str, Pin]] = {}
    for pin in facts.pins:
        session_pins.setdefault(pin.session_id, {})[pin.teacher_id] = pin
    before = {(a.session_id, a.site_school_id, a.teacher_id): a for a in previous or ()}
    rows = []
    unstaffed: list[tuple[str, str, str, str]] = []
    for (e, j), ss in sorted(facts.site_sessions.items()):
        if (e, j) in shared:
            ss = SiteSession(ss.session_id, ss.site, ss.rooms, ss.per_room, 0)
        people = list(present.get((e, j), []))
        people += [Present(f"{VACANT}{k}", f"{VACANT}{k}", True, (-1, -1)) for k in range(vacant.get((e, j), 0))]
        ids = {q.teacher_id for q in people}
        pins = {tid: pin for tid, pin in session_pins.get(e, {}).items() if tid in ids}
        own = j if assist_only_own_school else None
        kept = dict(pins)
        for q in people:  # the previous room and role, as soft pins
            a = before.get((e, j, q.teacher_id))
            if a is not None and q.teacher_id not in kept:
                room = a.room_id if any(r.room_id == a.room_id for r in ss.rooms) else None
                kept[q.teacher_id] = Pin(q.teacher_id, e, j, a.role, room)
        # rooms that lost someone (or a reserve place that did): their remaining members may be re-placed
        ids_now = {q.teacher_id for q in people}
        disturbed = {a.room_id for (e2, j2, tid), a in before.items() if (e2, j2) == (e, j) and tid not in ids_now}
        undisturbed = {tid: pin for tid, pin in kept.items()
                       if tid in pins or (pin.room_id or "") not in disturbed}
        roles_only = {tid: (pin if tid in pins else Pin(tid, e, j, pin.role)) for tid, pin in kept.items()}
        rooms_before = {tid: pin.room_id for tid, pin in kept.items() if pin.room_id}
        placed: list[tuple[str, str, str]] | None = None
        # previous room and role; then outside the rooms that lost someone; then previous roles with as many
        # previous rooms as the rules allow; then only the real pins, still preferring previous rooms
        attempts = ((kept, None), (undisturbed, None), (roles_only, rooms_before), (pins, rooms_before), (pins, None))
        for attempt, prefer in attempts:
            try:
                placed = fill_site_session(ss, people, attempt, facts.policy.distinct_schools_in_room, own, prefer)
                break
            except FillError:
                if attempt is pins and prefer is None:
                    raise
        assert placed is not None  # the last attempt (the real pins alone) raises rather than place nobody
        for tid, room, role in placed:
            if tid.startswith(VACANT):
                unstaffed.append((e, j, room, role))
                continue
            t = tb[tid]
            rows.append(InvigilationAssignment(data.exam_id, e, j, room, tid, t.school_id, role,
                                               round(data.km(t.school_id, j), 2)))
    return rows, unstaffed


def rows_to_plan(facts: InvigilationFacts, rows: list[InvigilationAssignment]) -> Plan:
    block_of = {s.session_id: b for b, ss in facts.block_sessions.items() for s in ss}
    order = {s.session_id: i for i, s in enumerate(facts.data.sessions)}
    plan: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for a in rows:
        b = block_of.get(a.session_id)
        if b is None or a.teacher_id not in facts.data.teacher_by_id:
            continue
        site, sessions = plan.setdefault((a.teacher_id, b), (a.site_school_id, []))
        sessions.append(a.session_id)
    return {k: (j, tuple(sorted(ss, key=lambda e: order[e]))) for k, (j, ss) in plan.items()}


def plan_km(facts: InvigilationFacts, plan: Plan) -> float:
    tb = facts.data.teacher_by_id
    return sum(facts.data.km(tb[tid].school_id, j) for (tid, b), (j, p) in plan.items())


def plan_km_units(facts: InvigilationFacts, plan: Plan) -> int:
    tb = facts.data.teacher_by_id
    return sum(round(facts.data.km(tb[tid].school_id, j) * KM_SCALE) for (tid, b), (j, p) in plan.items())


def summarise(facts: InvigilationFacts, rows: list[InvigilationAssignment]) -> dict:
    """Travel km (one trip per teacher and day), loads and quota deviations of a plan."""
    data = facts.data
    trips = {}
    loads: dict[str, int] = {}
    supply: dict[str, int] = {}
    for a in rows:
        day = data.session_by_id[a.session_id].date
        trips[a.teacher_id, day, a.site_school_id] = a.distance_km
        loads[a.teacher_id] = loads.get(a.teacher_id, 0) + 1
        supply[a.teacher_school_id] = supply.get(a.teacher_school_id, 0) + 1
    pool_loads = [loads.get(t, 0) for t in facts.pool]
    dev = [supply.get(s.school_id, 0) - facts.quota[s.school_id].target for s in data.schools]
    outside = [s.school_id for s in data.schools
               if not facts.quota[s.school_id].lo <= supply.get(s.school_id, 0) <= facts.quota[s.school_id].hi]
    return {
        "km_total": round(sum(trips.values()), 1),
        "trips": len(trips),
        "max_load": max(loads.values(), default=0),
        "min_load_pool": min(pool_loads, default=0),
        "spread": (max(loads.values(), default=0) - min(pool_loads, default=0)) if pool_loads else 0,
        "quota_abs_deviation": round(sum(abs(d) for d in dev), 1),
        "quota_max_deviation": round(max((abs(d) for d in dev), default=0.0), 1),
        "schools_outside_quota": len(outside),
        "rows": len(rows),
    }
