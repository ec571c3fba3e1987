"""The two CP-SAT models of the calendar, one function per rule (as `scheduling/rotation/model.py`).

1. The host model (承办与主讲): which school hosts each activity and which excellent teacher presents
   each demonstration lesson — travel (person-km, rural hosts included), schools taking turns
   (`hosts.rotate`), a venue large enough at the host (`facilities.require_venue`), a presenter's cap
   (`demo_lesson.max_per_presenter`), pins to a host. Small: activities × schools.
2. The time model (日程): the half day of each activity and the weekly half days of each facility
   request — no teacher in two places, the weekly cap (`limits.max_per_teacher_per_week`), nothing on
   a joint-exam day, on a teacher's unavailability or a leader's exchange weekday, a venue used once
   at a time and only when open, facility capacity and distance (`facilities.max_km`), pins to a date.

Both are best effort by construction: an activity may stay unplaced (and a facility session
unbooked) at a price (`weights.activity_short`, `weights.booking_short`) far above every preference,
so the solver places all it can under the hard rules; what stays unplaced is explained
(`explain.py`). Splitting host and time keeps each model small (a 10-school cluster's term is
~500 activities): hosts do not depend on the day, and the day only on the host's venue.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from domain.geo import SchoolDistances

from .activities import Demand, Demands
from .inputs import CalendarInput, CalendarTeacher, Facility, FacilityRequest
from .policy import CalendarPolicy, _clock

SCALE = 10  # objective units per km (0.1 km resolution)
GROUP_RULES = ("lesson_prep", "same_lesson", "research", "training")


def _sum(terms) -> cp_model.LinearExpr:
    return cp_model.LinearExpr.sum(list(terms))


# --- shared facts ----------------------------------------------------------------------------------

class Facts:
    """What both models and the explanations read: schools, teachers, distances, venues, who is busy when."""

    def __init__(self, data: CalendarInput, policy: CalendarPolicy):
        self.data, self.policy = data, policy
        self.schools = {s.school_id: s for s in data.schools}
        self.teachers = {t.teacher_id: t for t in data.teachers}
        self.by_school: dict[str, list[CalendarTeacher]] = defaultdict(list)
        for t in data.teachers:
            self.by_school[t.school_id].append(t)
        self.km_between = SchoolDistances([s.school_id for s in data.schools], [s.lat for s in data.schools],
                                          [s.lon for s in data.schools], data.distances)
        self.facilities = {f.facility_id: f for f in data.facilities}
        self.venues_at: dict[tuple[str, str], list[Facility]] = defaultdict(list)
        for f in sorted(data.facilities, key=lambda f: (f.capacity, f.facility_id)):
            self.venues_at[(f.school_id, f.kind)].append(f)
        self.need_venues = bool(data.facilities) and policy.facilities.require_venue
        self.blocked: dict[str, set[tuple[dt.date, str]]] = defaultdict(set)  # teacher → (date, half) away
        for u in data.unavailable:
            for half in ((u.half,) if u.half else ("am", "pm")):
                self.blocked[u.teacher_id].add((u.date, half))
        self.leader_days: dict[str, list] = defaultdict(list)
        for ld in data.leader_days:
            self.leader_days[ld.teacher_id].append(ld)
        self.held = {r.activity_id: r for r in data.recorded if r.status == "held"}
        self.previous = {r.activity_id: r for r in data.recorded if r.status == "planned"}
        self.pins = {p.activity_id: p for p in data.pins}
        self._away: dict[tuple, dict[tuple[dt.date, str], str]] = {}
        self._open: dict[tuple[str, int, str], bool] = {}

    def km(self, a: str, b: str) -> float:
        return 0.0 if a == b else self.km_between.km(a, b)

    def away_slots(self, teacher_id: str, days: Sequence[dt.date]) -> dict[tuple[dt.date, str], str]:
        """Every (day, half) the teacher is away among `days`, and why (cached)."""
        key = (teacher_id, len(days), days[0] if days else None)
        found = self._away.get(key)
        if found is None:
            found = {(d, h): "unavailable" for d, h in self.blocked.get(teacher_id, ())}
            for ld in self.leader_days.get(teacher_id, ()):
                for d in days:
                    if ld.start <= d <= ld.end and d.isoweekday() == ld.weekday:
                        found.setdefault((d, "am"), "leader_day")
                        found.setdefault((d, "pm"), "leader_day")
            self._away[key] = found
        return found

    def busy(self, teacher_id: str, day: dt.date, half: str) -> str | None:
        """Why the teacher cannot take part that half day (None: free): unavailable or a leader's exchange day."""
        if (day, half) in self.blocked.get(teacher_id, ()):
            return "unavailable"
        for ld in self.leader_days.get(teacher_id, ()):
            if ld.start <= day <= ld.end and day.isoweekday() == ld.weekday:
                return "leader_day"
        return None

    def open_at(self, facility: Facility, weekday: int, half: str) -> bool:
        key = (facility.facility_id, weekday, half)
        found = self._open.get(key)
        if found is None:
            start, end = self.policy.time.span(half)
            found = weekday in facility.weekdays and _clock(facility.open_from) <= _clock(start) \
                and _clock(facility.open_until) >= _clock(end)
            self._open[key] = found
        return found

    def group_at(self, school_id: str, subject: str, band: str) -> list[str]:
        return [t.teacher_id for t in self.by_school.get(school_id, ()) if t.subject == subject and t.band == band]

    def participants(self, demand: Demand, host: str, presenter: str = "") -> tuple[str, ...]:
        people = list(demand.members)
        if demand.host_group:
            people += [t for t in self.group_at(host, demand.subject, demand.band) if t not in people]
        for p in (presenter, demand.presenter):
            if p and p not in people:
                people.append(p)
        return tuple(people)

    def venue(self, demand: Demand, host: str, size: int) -> Facility | None | bool:
        """The smallest venue of the demand's kind at the host that seats `size`; True when none is needed;
        None when the host has none large enough."""
        if not demand.venue or not self.need_venues:
            return True
        return next((f for f in self.venues_at.get((host, demand.venue), ()) if f.capacity >= size), None)

    def travel(self, people: Sequence[str], host: str) -> float:
        """Person-km, there and back, of everyone taking part (from the school where each teaches this term)."""
        return sum(2 * self.km(self.teachers[t].school_id, host) for t in people if t in self.teachers)


# --- 1. hosts and presenters ---------------------------------------------------------------------------

@dataclass
class HostModel:
    facts: Facts
    demands: list[Demand]
    model: cp_model.CpModel
    h: dict[tuple[int, str], cp_model.IntVar]  # (demand, host) → hosts it
    p: dict[tuple[int, str], cp_model.IntVar]  # (demand, presenter) → presents it
    placed: dict[int, cp_model.IntVar]  # demand → placed (a host, and a presenter where one is needed)
    no_host: dict[int, dict]  # demand → why no school can host it (numbers)
    pin_kept: dict[str, cp_model.IntVar] = field(default_factory=dict)


def host_options(facts: Facts, demand: Demand) -> tuple[list[str], dict]:
    """The schools that may host the demand, and (when none) the numbers of why not."""
    options, too_small = [], {}
    for host in demand.hosts:
        size = len(facts.participants(demand, host, "x" if demand.presenters else ""))
        venue = facts.venue(demand, host, size)
        if venue is None:
            biggest = max((f.capacity for f in facts.venues_at.get((host, demand.venue), ())), default=0)
            too_small[host] = (size, biggest)
            continue
        options.append(host)
    return options, {"too_small": too_small}


def add_one_host(hm: HostModel, i: int, options: list[str]) -> None:
    """Each placed activity has one host among the schools that may host it."""
    for host in options:
        hm.h[(i, host)] = hm.model.new_bool_var(f"h[{hm.demands[i].activity_id}@{host}]")
    hm.model.add(_sum(hm.h[(i, k)] for k in options) == hm.placed[i])


def add_one_presenter(hm: HostModel, i: int) -> None:
    """A demonstration lesson has one presenter among the excellent teachers allowed."""
    demand = hm.demands[i]
    for t in demand.presenters:
        hm.p[(i, t)] = hm.model.new_bool_var(f"p[{demand.activity_id}:{t}]")
    hm.model.add(_sum(hm.p[(i, t)] for t in demand.presenters) == hm.placed[i])


def add_presenter_cap(hm: HostModel) -> None:
    """`demo_lesson.max_per_presenter`: a teacher presents at most N demonstration lessons a term."""
    cap = hm.facts.policy.demo_lesson.max_per_presenter
    by_teacher: dict[str, list] = defaultdict(list)
    for (i, t), var in hm.p.items():
        by_teacher[t].append(var)
    for mine in by_teacher.values():
        if len(mine) > cap:
            hm.model.add(_sum(mine) <= cap)


def rotation_terms(hm: HostModel) -> list[tuple[cp_model.IntVar, int]]:
    """Schools take turns (`hosts.rotate`): within a subject group, each school that can host (has
    teachers of the group and a venue seating it) hosts between ⌊n/k⌋ − slack and ⌈n/k⌉ + slack of its n
    activities (k schools; `hosts.slack`)."""
    policy = hm.facts.policy
    weight = int(round(policy.weights.host_imbalance * SCALE))
    terms: list[tuple[cp_model.IntVar, int]] = []
    if not policy.hosts.rotate:
        return terms
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, d in enumerate(hm.demands):
        if d.rule in GROUP_RULES:
            groups[(d.subject, d.band)].append(i)

    def excess(indexes: list[int], name: str) -> None:
        able = sorted({k for (i, k) in hm.h if i in set(indexes)})
        if len(able) <= 1:
            return
        # Taking turns is a hard band around the even share: a rural school hosts its turns too (travel
        # then chooses among the balanced plans); above the exact even share costs `weights.host_imbalance`.
        low = max(0, len(indexes) // len(able) - policy.hosts.slack)
        high = math.ceil(len(indexes) / len(able)) + policy.hosts.slack
        for host in able:
            hosted = [hm.h[(i, host)] for i in indexes if (i, host) in hm.h]
            if len(hosted) >= low > 0:
                hm.model.add(_sum(hosted) >= low)
            if len(hosted) > high:
                hm.model.add(_sum(hosted) <= high)
            even = math.ceil(len(indexes) / len(able))
            if len(hosted) > even and weight:
                over = hm.model.new_int_var(0, len(hosted), f"over[{name}@{host}]")
                hm.model.add(over >= _sum(hosted) - even)
                terms.append((over, weight))
    for (subject, band), indexes in groups.items():
        excess(indexes, f"{subject}/{band}")
    return terms


def travel_terms(hm: HostModel) -> list[tuple[cp_model.IntVar, int]]:
    """Travel counted (路程): the person-km of everyone who goes to the host, the presenter's too."""
    facts = hm.facts
    weight = facts.policy.weights.travel_km * SCALE
    terms = []
    for (i, host), var in hm.h.items():
        demand = hm.demands[i]
        km = facts.travel(facts.participants(demand, host), host)
        if km:
            terms.append((var, int(round(km * weight))))
    for (i, t), var in hm.p.items():
        demand = hm.demands[i]
        km = 2 * facts.km(facts.teachers[t].school_id, demand.hosts[0])
        if km:
            terms.append((var, int(round(km * weight))))
    return terms


def add_host_pins(hm: HostModel) -> list[tuple[cp_model.IntVar, int]]:
    """A pin (or a held activity) to a host school: kept unless it cannot be (`weights.pin_dropped`)."""
    facts = hm.facts
    terms = []
    for i, demand in enumerate(hm.demands):
        held = facts.held.get(demand.activity_id)
        pin = facts.pins.get(demand.activity_id)
        host = held.host_school_id if held else (pin.host_school_id if pin else None)
        if not host:
            continue
        if held:
            if (i, host) in hm.h:
                hm.model.add(hm.h[(i, host)] == 1)
            continue
        kept = hm.h.get((i, host))
        if kept is None:
            hm.pin_kept[demand.activity_id] = hm.model.new_constant(0)
            continue
        hm.pin_kept[demand.activity_id] = kept
        terms.append((kept, -int(round(facts.policy.weights.pin_dropped * SCALE))))
    return terms


def build_host_model(facts: Facts, demands: Demands) -> tuple[HostModel, int]:
    """The host model and its objective's constant."""
    model = cp_model.CpModel()
    hm = HostModel(facts, demands.demands, model, {}, {}, {}, {})
    weights = facts.policy.weights
    terms: list[tuple[cp_model.IntVar, int]] = []
    offset = 0
    for i, demand in enumerate(hm.demands):
        options, why = host_options(facts, demand)
        hm.placed[i] = model.new_bool_var(f"placed[{demand.activity_id}]")
        if not options:
            hm.no_host[i] = why
            model.add(hm.placed[i] == 0)
        elif not demand.presenters:
            model.add(hm.placed[i] == 1)  # a host is all it needs: only presenters' caps can leave one out
        add_one_host(hm, i, options)
        if demand.presenters:
            add_one_presenter(hm, i)
        # Leaving an activity out costs more than any way of holding it: the host model never trades an
        # activity for travel; only a hard rule (no venue, presenters at their cap) leaves one out.
        worst = max((facts.travel(facts.participants(demand, k, "x"), k) for k in options), default=0.0)
        worst += max((2 * facts.km(facts.teachers[t].school_id, demand.hosts[0]) for t in demand.presenters),
                     default=0.0)
        short = int(round((weights.activity_short + worst * weights.travel_km + weights.host_imbalance * 2)
                          * SCALE))
        terms.append((hm.placed[i], -short))
        offset += short
    add_presenter_cap(hm)
    terms += rotation_terms(hm) + travel_terms(hm)
    pin_terms = add_host_pins(hm)
    terms += pin_terms
    offset += -sum(c for _, c in pin_terms)
    model.minimize(cp_model.LinearExpr.weighted_sum([v for v, _ in terms], [c for _, c in terms]) + offset)
    return hm, offset


# --- 2. days ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Placement:
    """An activity with its host, presenter, participants and venue fixed (the host model's answer)."""

    demand: Demand
    host: str
    presenter: str
    participants: tuple[str, ...]
    facility_id: str  # the venue ("" none needed)
    travel_km: float


@dataclass
class TimeModel:
    facts: Facts
    placements: list[Placement]
    days: list[dt.date]
    model: cp_model.CpModel
    x: dict[tuple[int, int, str], cp_model.IntVar]  # (placement, day index, am|pm|day) → held then
    r: dict[tuple[str, str, int, str], cp_model.IntVar]  # (request, facility, weekday, half) → booked
    short: dict[str, cp_model.IntVar]  # request → weekly sessions not booked
    held: dict[int, cp_model.IntVar]  # placement → placed on some day
    fixed: dict[int, tuple[int, str]]  # placements already held (recorded): their day and half
    no_slot: dict[int, dict] = field(default_factory=dict)  # placement → counts of why no half day fits
    pin_kept: dict[str, cp_model.IntVar] = field(default_factory=dict)
    request_options: dict[str, list[str]] = field(default_factory=dict)  # request → facilities it may use


def covers(half: str) -> tuple[str, ...]:
    return ("am", "pm") if half == "day" else (half,)


def options_for(facts: Facts, placement: Placement, days: Sequence[dt.date]) -> tuple[list[tuple[int, str]], dict]:
    """The (day, half) an activity may take: in its window, not a joint-exam day, every participant
    free (unavailability, leader's exchange weekday), its venue open; and the counts of the causes."""
    demand = placement.demand
    policy = facts.policy
    halves = ["day"] if demand.half_days == 2 else list(policy.time.halves)
    venue = facts.facilities.get(placement.facility_id)
    options = []
    causes: dict[str, int] = defaultdict(int)
    window = 0
    away: dict[tuple[dt.date, str], str] = {}
    for t in placement.participants:
        for slot, why in facts.away_slots(t, days).items():
            away.setdefault(slot, why)
    for n, day in enumerate(days):
        if not demand.first <= day <= demand.last:
            continue
        window += 1
        if day in facts.data.exam_days:
            causes["exam_day"] += 1
            continue
        for half in halves:
            if half == "day" and not set(policy.time.halves) >= {"am", "pm"}:
                continue
            if venue is not None and not all(facts.open_at(venue, day.isoweekday(), h) for h in covers(half)):
                causes["venue_closed"] += 1
                continue
            why = next((away[(day, h)] for h in covers(half) if (day, h) in away), "")
            if why:
                causes[why] += 1
                continue
            options.append((n, half))
    return options, {"window_days": window, **causes}


def slot_options(tm: TimeModel, i: int) -> list[tuple[int, str]]:
    """`options_for` of a placement; when it has none, the causes are kept for the explanations."""
    options, causes = options_for(tm.facts, tm.placements[i], tm.days)
    if not options:
        tm.no_slot[i] = causes
    return options


def add_one_day(tm: TimeModel, i: int, options: list[tuple[int, str]]) -> None:
    """Each activity at most once; `held[i]` says whether it is placed."""
    demand = tm.placements[i].demand
    for n, half in options:
        tm.x[(i, n, half)] = tm.model.new_bool_var(f"x[{demand.activity_id}:{tm.days[n]}{half}]")
    tm.held[i] = tm.model.new_bool_var(f"held[{demand.activity_id}]")
    tm.model.add(_sum(tm.x[(i, n, h)] for n, h in options) == tm.held[i])


def request_options(tm: TimeModel, request: FacilityRequest) -> list[tuple[str, int, str]]:
    """(facility, weekday, half) a request may book: its kind, seats enough, open, within
    `facilities.max_km` of the school, and not on a weekday its teacher spends at a partner school."""
    facts = tm.facts
    policy = facts.policy
    leader_weekdays = {ld.weekday for ld in facts.leader_days.get(request.teacher_id, ())}
    out = []
    usable = []
    for f in facts.data.facilities:
        if f.kind != request.kind or f.capacity < request.size:
            continue
        if facts.km(request.school_id, f.school_id) > policy.facilities.max_km:
            continue
        usable.append(f.facility_id)
        for weekday in policy.time.weekdays:
            if weekday in leader_weekdays:
                continue
            for half in policy.time.halves:
                if facts.open_at(f, weekday, half):
                    out.append((f.facility_id, weekday, half))
    tm.request_options[request.request_id] = usable
    return out


def add_facility_requests(tm: TimeModel) -> list[tuple[cp_model.IntVar, int]]:
    """Each school's term plan of use: `per_week` half days a week on different weekdays, each at one
    facility; a facility half day serves one booking (and no activity, see `add_venue_once`)."""
    facts = tm.facts
    weights = facts.policy.weights
    terms: list[tuple[cp_model.IntVar, int]] = []
    by_slot: dict[tuple[str, int, str], list] = defaultdict(list)
    for q in facts.data.requests:
        options = request_options(tm, q)
        mine = []
        by_weekday: dict[int, list] = defaultdict(list)
        for f, weekday, half in options:
            var = tm.model.new_bool_var(f"r[{q.request_id}:{f}:{weekday}{half}]")
            tm.r[(q.request_id, f, weekday, half)] = var
            mine.append(var)
            by_weekday[weekday].append(var)
            by_slot[(f, weekday, half)].append(var)
            km = facts.km(q.school_id, facts.facilities[f].school_id)
            if km:
                terms.append((var, int(round(2 * km * weights.facility_km * SCALE))))
        for same_day in by_weekday.values():
            if len(same_day) > 1:
                tm.model.add_at_most_one(same_day)
        short = tm.model.new_int_var(0, q.per_week, f"short[{q.request_id}]")
        tm.short[q.request_id] = short
        tm.model.add(_sum(mine) + short == q.per_week)
        terms.append((short, int(round(weights.booking_short * SCALE))))
    for group in by_slot.values():
        if len(group) > 1:
            tm.model.add_at_most_one(group)
    return terms


def _occupying(tm: TimeModel) -> dict[tuple[int, str], dict[int, list]]:
    """(day, half) → placement → its variables covering that half day."""
    at: dict[tuple[int, str], dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for (i, n, half), var in tm.x.items():
        for h in covers(half):
            at[(n, h)][i].append(var)
    return at


def _requests_by(tm: TimeModel, part: int) -> dict[tuple, list]:
    """Booking variables by (facility or request, weekday, half)."""
    out: dict[tuple, list] = defaultdict(list)
    for key, var in tm.r.items():
        out[(key[part], key[2], key[3])].append(var)
    return out


def add_venue_once(tm: TimeModel, at) -> None:
    """A venue holds one activity or one booking at a time."""
    by_venue: dict[str, set[int]] = defaultdict(set)
    for i, placement in enumerate(tm.placements):
        if placement.facility_id:
            by_venue[placement.facility_id].add(i)
    booked = _requests_by(tm, 1)
    for facility_id, indexes in by_venue.items():
        for (n, h), users in at.items():
            if not indexes & users.keys():
                continue
            terms = [v for i in indexes if i not in tm.fixed for v in users.get(i, ())]
            terms += booked.get((facility_id, tm.days[n].isoweekday(), h), [])
            if any(i in tm.fixed for i in indexes & users.keys()):
                for v in terms:
                    tm.model.add(v == 0)
            elif len(terms) > 1:
                tm.model.add_at_most_one(terms)


def teacher_classes(tm: TimeModel) -> dict[frozenset, list[str]]:
    """Teachers with the same activities and bookings share their constraints: (activities, requests) → teachers.
    A class whose activities and requests all belong to another class is dropped (its constraints are implied)."""
    acts: dict[str, set[int]] = defaultdict(set)
    for i, placement in enumerate(tm.placements):
        for t in placement.participants:
            acts[t].add(i)
    reqs: dict[str, set[str]] = defaultdict(set)
    for q in tm.facts.data.requests:
        if q.teacher_id:
            reqs[q.teacher_id].add(q.request_id)
    classes: dict[frozenset, list[str]] = defaultdict(list)
    for t in set(acts) | set(reqs):
        key = frozenset([*(("a", i) for i in acts[t]), *(("q", q) for q in reqs[t])])
        classes[key].append(t)
    keys = sorted(classes, key=len, reverse=True)
    kept: list[frozenset] = []
    for key in keys:
        if not any(key <= other for other in kept):
            kept.append(key)
    return {k: sorted(classes[k]) for k in kept}


def add_teacher_once(tm: TimeModel, at, classes) -> None:
    """No teacher in two places at once: per half day, one activity or booking of each teacher."""
    fixed_at: dict[tuple[int, str], set[int]] = defaultdict(set)
    for i, (n, half) in tm.fixed.items():
        for h in covers(half):
            fixed_at[(n, h)].add(i)
    booked = _requests_by(tm, 0)
    for key in classes:
        mine = {i for tag, i in key if tag == "a"}
        requests = [q for tag, q in key if tag == "q"]
        for (n, h), users in at.items():
            if not mine & users.keys() and not requests:
                continue
            weekday = tm.days[n].isoweekday()
            terms = [v for i in mine if i not in tm.fixed for v in users.get(i, ())]
            for q in requests:
                terms += booked.get((q, weekday, h), [])
            if mine & fixed_at.get((n, h), set()):
                for v in terms:
                    tm.model.add(v == 0)
            elif len(terms) > 1:
                tm.model.add_at_most_one(terms)


def add_weekly_cap(tm: TimeModel, classes) -> None:
    """`limits.max_per_teacher_per_week`: a teacher takes part in at most N activities a week."""
    cap = tm.facts.policy.limits.max_per_teacher_per_week
    week_of = [d.isocalendar()[:2] for d in tm.days]
    by_week: dict[tuple[int, int], dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for (i, n, half), var in tm.x.items():
        by_week[week_of[n]][i].append(var)
    fixed_week: dict[tuple[int, int], set[int]] = defaultdict(set)
    for i, (n, _) in tm.fixed.items():
        fixed_week[week_of[n]].add(i)
    for key in classes:
        mine = {i for tag, i in key if tag == "a"}
        for week, users in by_week.items():
            already = len(mine & fixed_week.get(week, set()))
            terms = [v for i in mine if i not in tm.fixed for v in users.get(i, ())]
            if len(terms) > cap - already:
                tm.model.add(_sum(terms) <= max(0, cap - already))


def spread_terms(tm: TimeModel) -> list[tuple[cp_model.IntVar, int]]:
    """A subject group's second activity in a week costs `weights.same_week` (spread over the term)."""
    weight = int(round(tm.facts.policy.weights.same_week * SCALE))
    if not weight:
        return []
    week_of = [d.isocalendar()[:2] for d in tm.days]
    by: dict[tuple, list] = defaultdict(list)
    for (i, n, half), var in tm.x.items():
        d = tm.placements[i].demand
        if d.rule in GROUP_RULES:
            by[(d.subject, d.band, week_of[n])].append(var)
    terms = []
    for key, mine in by.items():
        if len(mine) <= 1:
            continue
        extra = tm.model.new_int_var(0, len(mine), f"extra[{key}]")
        tm.model.add(extra >= _sum(mine) - 1)
        terms.append((extra, weight))
    return terms


def preference_terms(tm: TimeModel) -> tuple[list[tuple[cp_model.IntVar, int]], int]:
    """Afternoons preferred (`weights.morning`); re-planning keeps the earlier half day (`weights.moved`);
    a pinned date is kept unless it cannot be (`weights.pin_dropped`)."""
    facts = tm.facts
    w = facts.policy.weights
    terms: list[tuple[cp_model.IntVar, int]] = []
    offset = 0
    morning = int(round(w.morning * SCALE))
    for (i, n, half), var in tm.x.items():
        if half == "am" and morning:
            terms.append((var, morning))
    day_index = {d: n for n, d in enumerate(tm.days)}
    for i, placement in enumerate(tm.placements):
        activity_id = placement.demand.activity_id
        pin = facts.pins.get(activity_id)
        before = facts.previous.get(activity_id)
        if pin is not None and pin.date is not None:
            pinned_day = day_index.get(pin.date)
            kept = [v for (j, m, h), v in tm.x.items() if j == i and m == pinned_day and (pin.half in (None, h))]
            cost = int(round(w.pin_dropped * SCALE))
            if kept:
                keep = tm.model.new_bool_var(f"pin[{activity_id}]")
                tm.model.add(_sum(kept) == keep)
                tm.pin_kept[activity_id] = keep
                terms.append((keep, -cost))
                offset += cost
            else:
                tm.pin_kept[activity_id] = tm.model.new_constant(0)
        elif before is not None:
            earlier = day_index.get(before.date)
            same = tm.x.get((i, earlier, before.half)) if earlier is not None else None
            cost = int(round(w.moved * SCALE))
            if same is not None and cost:
                terms.append((same, -cost))
                offset += cost
    return terms, offset


def build_time_model(facts: Facts, placements: list[Placement], days: list[dt.date]) -> tuple[TimeModel, int]:
    model = cp_model.CpModel()
    tm = TimeModel(facts, placements, days, model, {}, {}, {}, {}, {})
    short = int(round(facts.policy.weights.activity_short * SCALE))
    terms: list[tuple[cp_model.IntVar, int]] = []
    offset = 0
    day_index = {d: n for n, d in enumerate(days)}
    for i, placement in enumerate(placements):
        held = facts.held.get(placement.demand.activity_id)
        if held is not None and held.date in day_index:
            n = day_index[held.date]
            tm.fixed[i] = (n, held.half)
            var = model.new_bool_var(f"x[{placement.demand.activity_id}:held]")
            model.add(var == 1)
            tm.x[(i, n, held.half)] = var
            tm.held[i] = var
            continue
        options = slot_options(tm, i)
        add_one_day(tm, i, options)
        terms.append((tm.held[i], -short))
        offset += short
    terms += add_facility_requests(tm)
    at = _occupying(tm)
    add_venue_once(tm, at)
    classes = teacher_classes(tm)
    add_teacher_once(tm, at, classes)
    add_weekly_cap(tm, classes)
    terms += spread_terms(tm)
    more, extra = preference_terms(tm)
    terms += more
    offset += extra
    model.minimize(cp_model.LinearExpr.weighted_sum([v for v, _ in terms], [c for _, c in terms]) + offset)
    return tm, offset


def hints_from_previous(tm: TimeModel) -> list[tuple[cp_model.IntVar, int]]:
    hints = []
    for (i, n, half), var in tm.x.items():
        before = tm.facts.previous.get(tm.placements[i].demand.activity_id)
        if before is not None:
            hints.append((var, int(before.date == tm.days[n] and before.half == half)))
    return hints


def greedy_hint(tm: TimeModel) -> list[tuple[cp_model.IntVar, int]]:
    """A calendar built one activity at a time (the most constrained first), keeping every hard rule,
    as the solver's first solution: CP-SAT then only improves it (spread, afternoons, travel)."""
    facts = tm.facts
    cap = facts.policy.limits.max_per_teacher_per_week
    week_of = [d.isocalendar()[:2] for d in tm.days]
    busy: set[tuple[str, int, str]] = set()  # teacher, day, half
    weekly: set[tuple[str, int, str]] = set()  # teacher or facility, weekday, half (standing bookings)
    venue: set[tuple[str, int, str]] = set()
    count: dict[tuple[str, tuple], int] = defaultdict(int)
    group_week: dict[tuple, int] = defaultdict(int)
    chosen: set[tuple] = set()
    requests = {q.request_id: q for q in facts.data.requests}
    by_request: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    for (q, f, w, h) in tm.r:
        by_request[q].append((f, w, h))

    def take(i: int, n: int, half: str) -> None:
        placement = tm.placements[i]
        for h in covers(half):
            for t in placement.participants:
                busy.add((t, n, h))
            if placement.facility_id:
                venue.add((placement.facility_id, n, h))
        for t in placement.participants:
            count[(t, week_of[n])] += 1
        d = placement.demand
        group_week[(d.subject, d.band, week_of[n])] += 1
        chosen.add((i, n, half))

    for i, (n, half) in tm.fixed.items():
        take(i, n, half)
    booked: set[tuple[str, str, int, str]] = set()
    for q_id in sorted(by_request, key=lambda q: len(by_request[q])):
        request = requests[q_id]
        done_days: set[int] = set()
        for f, w, h in sorted(by_request[q_id], key=lambda o: (
                facts.km(request.school_id, facts.facilities[o[0]].school_id), o[1], o[2])):
            if len(done_days) >= request.per_week or w in done_days or (f, w, h) in weekly:
                continue
            if request.teacher_id and (request.teacher_id, w, h) in weekly:
                continue
            weekly.add((f, w, h))
            if request.teacher_id:
                weekly.add((request.teacher_id, w, h))
            booked.add((q_id, f, w, h))
            done_days.add(w)
    pinned = {p.activity_id: (p.date, p.half) for p in facts.data.pins if p.date is not None}
    for activity_id, before in facts.previous.items():
        pinned.setdefault(activity_id, (before.date, before.half))
    options: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for (i, n, half) in tm.x:
        if i not in tm.fixed:
            options[i].append((n, half))
    for i in sorted(options, key=lambda i: (tm.placements[i].demand.activity_id not in pinned, len(options[i]), i)):
        placement = tm.placements[i]
        d = placement.demand
        people = placement.participants
        best, best_cost = None, None
        for n, half in options[i]:
            weekday = tm.days[n].isoweekday()
            if any(count[(t, week_of[n])] >= cap for t in people):
                continue
            clash = False
            for h in covers(half):
                if placement.facility_id and ((placement.facility_id, n, h) in venue
                                              or (placement.facility_id, weekday, h) in weekly):
                    clash = True
                    break
                if any((t, n, h) in busy or (t, weekday, h) in weekly for t in people):
                    clash = True
                    break
            if clash:
                continue
            cost = group_week[(d.subject, d.band, week_of[n])] * 10 + (1 if half == "am" else 0)
            wanted = pinned.get(d.activity_id)
            if wanted is not None and wanted[0] == tm.days[n] and wanted[1] in (None, half):
                cost = -100  # a pin (or the earlier plan) first
            elif wanted is not None:
                cost += 1
            if best_cost is None or cost < best_cost:
                best, best_cost = (n, half), cost
                if cost < 0 or (cost == 0 and wanted is None):
                    break
        if best is not None:
            take(i, *best)
    hints = [(var, int(key in chosen)) for key, var in tm.x.items()]
    hints += [(var, int(key in booked)) for key, var in tm.r.items()]
    return hints

