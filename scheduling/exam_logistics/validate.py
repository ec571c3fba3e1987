"""Validators: every rule checked on the assignment rows, independently of the models.

They re-derive what they need from the input and the policy (rooms in use, places, quotas)
with their own code, so that a bug in a model or in `derive.py` shows up as a violation.
Distances are the exception: they are the project's one rule (`domain.geo.SchoolDistances`,
pinned by its own tests), which every planner and checker must share. Tests run them on every solution, including randomised instances.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .data import InvigilationAssignment, InvigilationInput, MarkingAssignment, MarkingInput
from .policy import InvigilationPolicy, MarkingPolicy


@dataclass(frozen=True)
class Violation:
    code: str
    message: str
    details: dict = field(default_factory=dict)


def _rooms_in_use(data: InvigilationInput) -> dict[tuple[str, str], list]:
    """Fewest rooms (largest first) seating a site's candidates of the session's grade; a session
    overlapping one of a lower grade at the same site uses rooms that one does not."""
    by_site: dict[str, list] = {}
    for r in data.rooms:
        by_site.setdefault(r.school_id, []).append(r)
    out: dict[tuple[str, str], list] = {}
    ordered = sorted(data.sessions, key=lambda s: (s.grade, s.date, s.start, s.session_id))
    for site, rooms in by_site.items():
        rooms = sorted(rooms, key=lambda r: (-r.capacity, r.room_id))
        for s in ordered:
            need = data.candidates.get((site, s.grade), 0)
            if need <= 0:
                continue
            taken = set()
            for o in ordered:
                if o.grade < s.grade and o.date == s.date and o.start < s.end and s.start < o.end:
                    taken |= {r.room_id for r in out.get((o.session_id, site), [])}
            chosen, seats = [], 0
            for r in rooms:
                if seats >= need:
                    break
                if r.room_id not in taken and r.capacity > 0:
                    chosen.append(r)
                    seats += r.capacity
            if chosen:
                out[s.session_id, site] = chosen
    return out


def validate_invigilation(data: InvigilationInput, policy: InvigilationPolicy,
                          rows: list[InvigilationAssignment], *, pins=(), forbids=(),
                          check_quota: bool = True, relaxations=()) -> list[Violation]:
    """Every rule of the issue, on the rows of invigilation.csv, under the relaxations the plan declares
    (`InvigilationResult.relaxations`): each declared use must be of a tier the policy allows and within
    its limits (distance ≤ relax_max_km; an own-school teacher only as assistant beside a chief of another
    school; a shared reserve leans on a staffed site of the same town; one session beyond the day limit;
    a quota missed by at most the declared count; an unstaffed place exactly where declared)."""
    v: list[Violation] = []
    sessions = {s.session_id: s for s in data.sessions}
    teachers = {t.teacher_id: t for t in data.teachers}
    schools = {s.school_id: s for s in data.schools}
    rooms = _rooms_in_use(data)

    def bad(code: str, message: str, **details) -> None:
        v.append(Violation(code, message, details))

    # declared relaxations (放宽层级)
    far_ok: set[tuple[str, str, str]] = set()
    own_ok: set[tuple[str, str, str]] = set()
    extra_ok: dict[tuple[str, str], int] = {}
    shared: dict[tuple[str, str], tuple[str, int]] = {}
    quota_ok: dict[tuple[str, str], int] = {}
    vacant: dict[tuple[str, str, str, str], int] = {}
    for r in relaxations:
        if r.tier not in policy.relaxation_tiers:
            bad("tier_not_allowed", f"relaxation tier {r.tier} is not in the policy's relaxation_tiers", use=r)
            continue
        if r.tier == "distance":
            far_ok.add((r.teacher_id, r.session_id, r.site_school_id))
        elif r.tier == "own_school_assistant":
            own_ok.add((r.teacher_id, r.session_id, r.site_school_id))
        elif r.tier == "extra_session":
            if r.session_id in sessions:
                key = (r.teacher_id, sessions[r.session_id].date)
                extra_ok[key] = extra_ok.get(key, 0) + 1
        elif r.tier == "shared_reserve":
            shared[r.session_id, r.site_school_id] = (r.partner_site_id, r.count)
        elif r.tier == "quota":
            quota_ok[r.school_id, r.session_id] = quota_ok.get((r.school_id, r.session_id), 0) + r.count
        elif r.tier == "unstaffed":
            key4 = (r.session_id, r.site_school_id, r.room_id, r.role)
            vacant[key4] = vacant.get(key4, 0) + 1

    seen = set()
    for a in rows:
        if a.exam_id != data.exam_id:
            bad("exam", f"row of exam {a.exam_id}", row=a)
        t = teachers.get(a.teacher_id)
        s = sessions.get(a.session_id)
        if t is None or s is None or a.site_school_id not in schools:
            bad("unknown", "unknown teacher, session or site", row=a)
            continue
        if (a.teacher_id, a.session_id) in seen:
            bad("double_booked", f"{a.teacher_id} twice in {a.session_id}", row=a)
        seen.add((a.teacher_id, a.session_id))
        if a.teacher_school_id != t.school_id:
            bad("teacher_school", f"{a.teacher_id} is of {t.school_id}, row says {a.teacher_school_id}", row=a)
        if a.role not in ("chief", "assistant", "reserve"):
            bad("role", f"unknown role {a.role}", row=a)
        km = data.km(t.school_id, a.site_school_id)
        if abs(km - a.distance_km) > 0.05:
            bad("distance_value", f"distance {a.distance_km} but {km:.2f} km", row=a)
        rural = schools[t.school_id].locality == "rural" or schools[a.site_school_id].locality == "rural"
        limit = policy.max_km_rural if rural else policy.max_km
        if km > limit + 1e-6:
            if (a.teacher_id, a.session_id, a.site_school_id) not in far_ok:
                bad("travel", f"{a.teacher_id} travels {km:.1f} km > {limit:g}", row=a)
            elif km > policy.relax_max_km + 1e-6:
                bad("travel", f"{a.teacher_id} travels {km:.1f} km > relax_max_km {policy.relax_max_km:g}", row=a)
        if policy.exclude_own_school and a.site_school_id == t.school_id:
            if (a.teacher_id, a.session_id, a.site_school_id) not in own_ok:
                bad("own_school", f"{a.teacher_id} invigilates at their own school", row=a)
            elif a.role != "assistant":
                bad("own_school", f"{a.teacher_id} of the site's own school is {a.role}, not an assistant", row=a)
        if policy.exclude_own_subject and s.subject == t.subject:
            bad("own_subject", f"{a.teacher_id} ({t.subject}) invigilates {s.subject}", row=a)
        if policy.exclude_own_students and s.grade in t.grades:
            bad("own_students", f"{a.teacher_id} teaches grade {s.grade}", row=a)
        if s.date in t.unavailable_dates or s.session_id in t.unavailable_sessions:
            bad("unavailable", f"{a.teacher_id} is unavailable for {a.session_id}", row=a)
        if a.role == "chief":
            ok = t.teaching_years >= policy.chief_min_teaching_years or (policy.chief_backbone_qualifies and t.backbone)
            if not ok:
                bad("chief", f"{a.teacher_id} is not qualified as chief", row=a)
        if (a.session_id, a.site_school_id) not in rooms:
            bad("site_not_in_use", f"site {a.site_school_id} has no rooms in {a.session_id}", row=a)
        elif a.role != "reserve" and a.room_id not in {r.room_id for r in rooms[a.session_id, a.site_school_id]}:
            bad("room_not_in_use", f"room {a.room_id} at {a.site_school_id} not in use in {a.session_id}", row=a)
        if a.role == "reserve" and a.room_id:
            bad("reserve_room", "a reserve has no room", row=a)

    # every room and site: one chief, the right number of assistants, schools apart; reserves
    by_room: dict[tuple[str, str, str], list[InvigilationAssignment]] = {}
    reserves: dict[tuple[str, str], int] = {}
    for a in rows:
        if a.role == "reserve":
            reserves[a.session_id, a.site_school_id] = reserves.get((a.session_id, a.site_school_id), 0) + 1
        else:
            by_room.setdefault((a.session_id, a.site_school_id, a.room_id), []).append(a)
    demand = 0
    rooms_of_school: dict[str, int] = {}
    for (sid, site), rs in rooms.items():
        need_reserves = policy.reserves_per_site + (len(rs) // policy.rooms_per_extra_reserve if policy.rooms_per_extra_reserve else 0)
        demand += need_reserves
        rooms_of_school[site] = rooms_of_school.get(site, 0) + len(rs)
        got_reserves = reserves.get((sid, site), 0) + vacant.get((sid, site, "", "reserve"), 0)
        if (sid, site) in shared:
            partner, covered = shared[sid, site]
            partner_need = policy.reserves_per_site + (
                len(rooms.get((sid, partner), [])) // policy.rooms_per_extra_reserve if policy.rooms_per_extra_reserve else 0)
            if (sid, partner) not in rooms or data.km(site, partner) > policy.reserve_share_km + 1e-6 \
                    or reserves.get((sid, partner), 0) < partner_need or (sid, partner) in shared:
                bad("shared_reserve", f"{site}/{sid}: reserves shared with {partner}, which is not a staffed site of "
                    f"the same town", session_id=sid, site=site)
            got_reserves += covered
        if got_reserves < need_reserves:
            bad("reserves", f"{site}/{sid}: {reserves.get((sid, site), 0)} reserves < {need_reserves}", session_id=sid, site=site)
        for r in rs:
            k = policy.invigilators_per_room + (1 if policy.large_room_seats and r.capacity > policy.large_room_seats else 0)
            demand += k
            members = by_room.get((sid, site, r.room_id), [])
            chiefs = sum(1 for a in members if a.role == "chief") + vacant.get((sid, site, r.room_id, "chief"), 0)
            filled = len(members) + vacant.get((sid, site, r.room_id, "chief"), 0) \
                + vacant.get((sid, site, r.room_id, "assistant"), 0)
            own_here = [a for a in members if policy.exclude_own_school and a.teacher_school_id == site]
            if own_here and not any(a.role == "chief" and a.teacher_school_id != site for a in members):
                bad("own_school", f"{site}/{sid}/room {r.room_id}: an own-school assistant without a chief of another "
                    f"school", session_id=sid, site=site, room=r.room_id)
            if chiefs != 1 or filled != k:
                bad("room_staff", f"{site}/{sid}/room {r.room_id}: {chiefs} chiefs, {len(members)} invigilators (want 1, {k})",
                    session_id=sid, site=site, room=r.room_id)
            if policy.distinct_schools_in_room:
                ss = [a.teacher_school_id for a in members]
                if len(set(ss)) != len(ss):
                    bad("room_schools", f"{site}/{sid}/room {r.room_id}: invigilators of the same school", session_id=sid,
                        site=site, room=r.room_id)

    # loads, one site a day
    per_day: dict[tuple[str, str], list[InvigilationAssignment]] = {}
    load: dict[str, int] = {}
    for a in rows:
        if a.teacher_id not in teachers or a.session_id not in sessions:
            continue
        per_day.setdefault((a.teacher_id, sessions[a.session_id].date), []).append(a)
        load[a.teacher_id] = load.get(a.teacher_id, 0) + 1
    for (tid, day), rs in per_day.items():
        if len(rs) > policy.max_sessions_per_day + min(1, extra_ok.get((tid, day), 0)) \
                or len(rs) - policy.max_sessions_per_day > extra_ok.get((tid, day), 0):
            bad("load_day", f"{tid}: {len(rs)} sessions on {day}", teacher_id=tid, date=day)
        if policy.one_site_per_day and len({a.site_school_id for a in rs}) > 1:
            bad("one_site", f"{tid}: several sites on {day}", teacher_id=tid, date=day)
        for i, a in enumerate(rs):
            for b in rs[i + 1:]:
                sa, sb = sessions[a.session_id], sessions[b.session_id]
                if sa.start < sb.end and sb.start < sa.end:
                    bad("overlap", f"{tid}: overlapping sessions {a.session_id}, {b.session_id}", teacher_id=tid)
    for tid, n in load.items():
        role = teachers[tid].role
        cap = policy.max_sessions_principal if role == "principal" else (
            policy.max_sessions_leader if role == "leader" else policy.max_sessions_per_exam)
        if n > cap:
            bad("load_exam", f"{tid} ({role}): {n} sessions > {cap}", teacher_id=tid)

    # quotas: invigilator-sessions in proportion to the rooms the school's candidates fill
    if check_quota and rooms_of_school:
        total_rooms = sum(rooms_of_school.values())
        supply: dict[str, int] = {}
        for a in rows:
            supply[a.teacher_school_id] = supply.get(a.teacher_school_id, 0) + 1
        for school in data.schools:
            target = demand * rooms_of_school.get(school.school_id, 0) / total_rooms
            lo = max(0, math.floor(target * (1 - policy.quota_tolerance) - policy.quota_slack + 1e-9))
            hi = math.ceil(target * (1 + policy.quota_tolerance) + policy.quota_slack - 1e-9)
            got = supply.get(school.school_id, 0)
            if not lo - quota_ok.get((school.school_id, ""), 0) <= got <= hi + quota_ok.get((school.school_id, ""), 0):
                bad("quota", f"{school.school_id} supplies {got}, quota [{lo}, {hi}] (target {target:.1f})",
                    school_id=school.school_id)

        if policy.quota_scope == "session":
            for sid in sessions:
                in_e = {site: rs for (e, site), rs in rooms.items() if e == sid}
                rooms_e = sum(len(rs) for rs in in_e.values())
                demand_e = sum(
                    sum(policy.invigilators_per_room + (1 if policy.large_room_seats and r.capacity > policy.large_room_seats else 0)
                        for r in rs) + policy.reserves_per_site
                    + (len(rs) // policy.rooms_per_extra_reserve if policy.rooms_per_extra_reserve else 0)
                    for rs in in_e.values())
                got_e: dict[str, int] = {}
                for a in rows:
                    if a.session_id == sid:
                        got_e[a.teacher_school_id] = got_e.get(a.teacher_school_id, 0) + 1
                for school in data.schools:
                    target = demand_e * len(in_e.get(school.school_id, [])) / rooms_e if rooms_e else 0.0
                    lo = max(0, math.floor(target * (1 - policy.quota_tolerance) - policy.quota_slack + 1e-9))
                    hi = math.ceil(target * (1 + policy.quota_tolerance) + policy.quota_slack - 1e-9)
                    slack_e = quota_ok.get((school.school_id, sid), 0)
                    if not lo - slack_e <= got_e.get(school.school_id, 0) <= hi + slack_e:
                        bad("quota_session",
                            f"{school.school_id} supplies {got_e.get(school.school_id, 0)} in {sid}, "
                            f"quota [{lo}, {hi}]",
                            school_id=school.school_id, session_id=sid)

    # pins and forbids
    index = {(a.teacher_id, a.session_id): a for a in rows}
    for p in pins:
        held = index.get((p.teacher_id, p.session_id))
        if held is None or (p.site_school_id and held.site_school_id != p.site_school_id) \
                or (p.role and held.role != p.role) or (p.room_id and held.room_id != p.room_id):
            bad("pin", f"pin not honoured: {p}", pin=p)
    for f in forbids:
        for a in rows:
            if a.teacher_id != f.teacher_id:
                continue
            if (f.session_id is None or a.session_id == f.session_id) and \
                    (f.site_school_id is None or a.site_school_id == f.site_school_id):
                bad("forbid", f"forbid not honoured: {f}", forbid=f)
    return v


# ---------------------------------------------------------------------------------------------- marking

def required_group_size(scripts: int, seconds_per_script: float, hours: float, policy: MarkingPolicy) -> int:
    """Markers a group needs: scripts × (1 + double + third share) × seconds ÷ hours, with the margin."""
    work = scripts * (1 + policy.double_marking_share + policy.third_mark_share) * seconds_per_script
    n = math.ceil(work / (hours * 3600.0) * (1 + policy.margin) - 1e-9)
    # Double marking needs at least three markers, so every script finds two of other schools.
    n = max(n, 3 if policy.double_marking_share > 0 else 1)
    if not policy.leader_counts_in_group:
        n += policy.leaders_per_group  # leaders arbitrate on top of the marking work
    return n


def regular_markers(group_size: int, policy: MarkingPolicy) -> int:
    """The markers of a group who give first and second marks (leaders arbitrate unless they count)."""
    return group_size if policy.leader_counts_in_group else group_size - policy.leaders_per_group


def markers_of_other_schools_needed(regular: int, share: float, policy: MarkingPolicy) -> int:
    """Regular markers of other schools a school's scripts need in a group (回避本校).

    Nobody marks a script of their own school, so a school's scripts need two distinct markers of
    other schools when they are double-marked, and (policy `own_school_work_cover`) enough of them
    to carry the school's share of the group's work.
    """
    distinct = 2 if policy.double_marking_share > 0 else 1
    if not policy.own_school_work_cover:
        return distinct
    return max(distinct, math.ceil(regular * share - 1e-9))


def _declared(relaxations) -> dict[tuple, float]:
    """Relaxation counts by (kind, subject, item_group, school_id); hours by (\"hours\", subject, group)."""
    out: dict[tuple, float] = {}
    for r in relaxations:
        key = (r.kind, r.subject, r.item_group, r.school_id)
        out[key] = out.get(key, 0) + r.count
        if r.kind == "longer_window" and r.hours is not None:
            out["hours", r.subject, r.item_group] = float(r.hours)
    return out


def validate_marking(data: MarkingInput, policy: MarkingPolicy, rows: list[MarkingAssignment], *,
                     pins=(), forbids=(), check_quota: bool = True, relaxations=()) -> list[Violation]:
    """Every marking rule on the rows of marking.csv; a best-effort plan is checked under the
    relaxations it declares (`MarkingResult.relaxations`): each declared count is an upper bound on
    what the rows may use, counted here independently."""
    v: list[Violation] = []
    teachers = {t.teacher_id: t for t in data.teachers}
    hours = data.hours_available or policy.hours_available
    declared = _declared(relaxations)
    window = policy.grade_window + (policy.best_effort_grade_extra if any(
        r.kind == "adjacent_grade" for r in relaxations) else 0)
    beyond: dict[tuple[str, str], int] = {}
    acting: dict[tuple[str, str], int] = {}

    def bad(code: str, message: str, **details) -> None:
        v.append(Violation(code, message, details))

    groups = {(g.subject, g.group_id): g for g in data.groups}
    members: dict[tuple[str, str], list[MarkingAssignment]] = {}
    seen: dict[str, tuple[str, str]] = {}
    for a in rows:
        t = teachers.get(a.teacher_id)
        key = (a.subject, a.item_group)
        if t is None or key not in groups:
            bad("unknown", "unknown teacher or item group", row=a)
            continue
        if a.exam_id != data.exam_id:
            bad("exam", f"row of exam {a.exam_id}", row=a)
        if a.teacher_id in seen:
            bad("one_group", f"{a.teacher_id} in two groups", row=a)
        seen[a.teacher_id] = key
        members.setdefault(key, []).append(a)
        if a.teacher_school_id != t.school_id:
            bad("teacher_school", f"{a.teacher_id} is of {t.school_id}", row=a)
        if t.subject != a.subject:
            bad("subject", f"{a.teacher_id} teaches {t.subject}, marks {a.subject}", row=a)
        if not any(abs(g - data.grade) <= policy.grade_window for g in t.grades):
            if any(abs(g - data.grade) <= window for g in t.grades):
                beyond[key] = beyond.get(key, 0) + 1  # allowed when declared (best effort)
            else:
                bad("grade", f"{a.teacher_id} teaches grades {t.grades}, exam grade {data.grade}", row=a)
        if t.role not in policy.marker_roles:
            bad("role", f"{a.teacher_id} is a {t.role}", row=a)
        if policy.exclude_unavailable and any(d in t.unavailable_dates for d in data.dates):
            bad("unavailable", f"{a.teacher_id} is unavailable on a marking date", row=a)
        if policy.mode == "centralised" and data.site_school_id:
            km = data.km(t.school_id, data.site_school_id)
            if km > policy.max_km + 1e-6:
                bad("travel", f"{a.teacher_id} is {km:.1f} km from the marking site", row=a)
        if a.role == "leader":
            ok = t.teaching_years >= policy.leader_min_teaching_years and (t.backbone or not policy.leader_requires_backbone)
            if not ok:
                acting[key] = acting.get(key, 0) + 1  # allowed when declared (best effort)
        elif a.role != "marker":
            bad("role_name", f"unknown role {a.role}", row=a)
    for key, n in beyond.items():
        if n > declared.get(("adjacent_grade", *key, ""), 0):
            bad("grade", f"{key}: {n} markers of grades beyond the window, "
                         f"{declared.get(('adjacent_grade', *key, ''), 0)} declared", group=key)
    for key, n in acting.items():
        if n > declared.get(("acting_leader", *key, ""), 0):
            bad("leader", f"{key}: {n} leaders not qualified, {declared.get(('acting_leader', *key, ''), 0)} declared",
                group=key)
    total = 0
    for key, g in groups.items():
        group_hours = declared.get(("hours", *key), hours)
        if group_hours > hours * policy.best_effort_hours_factor + 1e-6:
            bad("hours", f"{key}: declared {group_hours:g} h > {policy.best_effort_hours_factor:g} × {hours:g} h", group=key)
        need = required_group_size(data.scripts.get(g.subject, 0), g.seconds_per_script, group_hours, policy)
        total += need
        ms = members.get(key, [])
        short = int(declared.get(("short", *key, ""), 0))
        leader_short = int(declared.get(("leader_short", *key, ""), 0))
        leaders = [a for a in ms if a.role == "leader"]
        regular_got = len(ms) if policy.leader_counts_in_group else len(ms) - len(leaders)
        if regular_got < regular_markers(need, policy) - short:
            bad("group_size", f"{key}: {len(ms)} markers < {need}" + (f" - {short} declared short" if short else ""),
                group=key)
        if not policy.leaders_per_group - leader_short <= len(leaders) <= policy.leaders_per_group:
            bad("group_leader", f"{key}: {len(leaders)} leaders, not {policy.leaders_per_group}"
                + (f" - {leader_short} declared short" if leader_short else ""), group=key)
        if len({a.teacher_school_id for a in leaders}) != len(leaders):
            bad("group_leader", f"{key}: two leaders of one school", group=key)
        cand_total = sum(data.candidates.values())
        regular = [a for a in ms if a.role == "marker" or policy.leader_counts_in_group]
        for school, candidates in data.candidates.items():
            if not candidates or not cand_total:
                continue
            others = sum(1 for a in regular if a.teacher_school_id != school)
            want = markers_of_other_schools_needed(regular_markers(need, policy), candidates / cand_total, policy)
            if others < want - declared.get(("own_school", *key, school), 0):
                bad("own_school", f"{key}: {school}'s scripts have {others} markers of other schools, need {want}",
                    group=key, school_id=school)
    if check_quota and data.candidates:
        cand_total = sum(data.candidates.values())
        supply: dict[str, int] = {}
        for a in rows:
            supply[a.teacher_school_id] = supply.get(a.teacher_school_id, 0) + 1
        markers = len(rows)
        for s in data.schools:
            target = markers * data.candidates.get(s.school_id, 0) / cand_total if cand_total else 0
            lo = max(0, math.floor(target * (1 - policy.quota_tolerance) - policy.quota_slack + 1e-9))
            hi = math.ceil(target * (1 + policy.quota_tolerance) + policy.quota_slack - 1e-9)
            got = supply.get(s.school_id, 0)
            off = declared.get(("quota", "", "", s.school_id), 0)
            if not lo - off <= got <= hi + off:
                bad("quota", f"{s.school_id} supplies {got} markers, quota [{lo}, {hi}]", school_id=s.school_id)
    for p in pins:
        if not any(a.teacher_id == p.teacher_id and a.item_group == p.item_group and a.subject == p.subject
                   and (p.role is None or a.role == p.role) for a in rows):
            bad("pin", f"pin not honoured: {p}", pin=p)
    for f in forbids:
        if any(a.teacher_id == f.teacher_id and (f.item_group is None or a.item_group == f.item_group) for a in rows):
            bad("forbid", f"forbid not honoured: {f}", forbid=f)
    return v
