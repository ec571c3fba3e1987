"""Why an activity the policy asks for is not in the calendar, in the planner's words, with the numbers.

Every unplaced activity and every weekly facility session not booked gets a reason, grouped by the
quota it belongs to, counted from the inputs and from the calendar it accompanies (so its numbers
agree with it), naming the policy key that would change it and a value for it:

- asked for but impossible before any day is chosen: no excellent teacher of the subject at the
  supporting school (`demo_lesson.presenter_scope`), more demonstration lessons than presenters can
  give (`demo_lesson.max_per_presenter`), no paired school teaching a famous teacher's subject
  (`famous_lesson.paired`), no venue seating the group (`facilities.require_venue`);
- no half day at all in its window: joint-exam days, participants away (unavailability, a leader's
  exchange weekday), the venue closed — and whether the whole term would have one (`<rule>.spread`);
- a participant has more activities in the window than the weekly cap allows
  (`limits.max_per_teacher_per_week`, the value that would fit);
- every free half day taken by the same teachers' other activities or their weekly cap: the cap
  one higher is tried again (重算验证) when time allows;
- a facility session: no facility of the kind seating the class within `facilities.max_km` (the
  distance that would reach one), or every usable half day taken.
"""
from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import replace

from ..cpsat import Explanation, found_solution, solve_with_rules
from .activities import Demand, Demands
from .model import Facts, HostModel, TimeModel, build_time_model, covers, options_for
from .results import CalendarResult
from .words import group_name, period_words, when

RULE_ZH = {"lesson_prep": "集体备课", "same_lesson": "同研一节课", "research": "教研活动", "training": "培训",
           "same_grade_prep": "同年级同学科备课", "demo_lesson": "示范课", "famous_lesson": "名师示范课"}
RULE_EN = {"lesson_prep": "joint lesson preparation", "same_lesson": "lesson studied together",
           "research": "research activity", "training": "training", "same_grade_prep": "same-grade preparation",
           "demo_lesson": "demonstration lesson", "famous_lesson": "famous teacher's lesson"}


class _Words:
    def __init__(self, facts: Facts):
        self.facts = facts

    def school(self, school_id: str, lang: str) -> str:
        s = self.facts.schools.get(school_id)
        return s.name if s else school_id

    def teacher(self, teacher_id: str, lang: str) -> str:
        t = self.facts.teachers.get(teacher_id)
        return f"{t.name}（{self.school(t.school_id, lang)}）" if t and lang == "zh" else \
            f"{t.name} ({self.school(t.school_id, lang)})" if t else teacher_id

    def what(self, d: Demand, lang: str) -> str:
        """初中数学教研活动第 2 次（共 3 次） / junior math research activity 2 of 3."""
        if d.rule == "demo_lesson" and d.pair:
            return (f"{self.school(d.pair[1], lang)}的{group_name(d.subject, d.band)}示范课" if lang == "zh" else
                    f"the {group_name(d.subject, d.band, 'en')} demonstration lesson at {self.school(d.pair[1], lang)}")
        if d.rule == "famous_lesson":
            return (f"名师{self.teacher(d.presenter, lang)}的示范课{period_words(d.period)}" if lang == "zh" else
                    f"famous teacher {self.teacher(d.presenter, lang)}'s lesson {period_words(d.period, 'en')}")
        if d.rule == "same_grade_prep" and d.pair:
            pair = f"{self.school(d.pair[0], lang)}—{self.school(d.pair[1], lang)}"
            return (f"{pair}同年级同学科备课{period_words(d.period)}" if lang == "zh" else
                    f"same-grade preparation {pair} {period_words(d.period, 'en')}")
        return (f"{group_name(d.subject, d.band)}{RULE_ZH[d.rule]}（{period_words(d.period)}）" if lang == "zh" else
                f"{group_name(d.subject, d.band, 'en')} {RULE_EN[d.rule]} ({period_words(d.period, 'en')})")


def _window(d: Demand, lang: str) -> str:
    return f"{d.first:%m-%d}—{d.last:%m-%d}" if lang == "zh" else f"{d.first:%d %b}–{d.last:%d %b}"


def explain_missing(facts: Facts, demands: Demands) -> list[Explanation]:
    words = _Words(facts)
    out = []
    for m in demands.missing:
        n = m.numbers
        if m.reason == "no_presenter":
            giver, taker = words.school(n["giver"], "zh"), words.school(n["taker"], "zh")
            group, group_en = group_name(n["subject"], n["band"]), group_name(n["subject"], n["band"], "en")
            kinds = "、".join({"backbone": "骨干", "famous": "名师", "teacher": "教师"}[k]
                             for k in facts.policy.demo_lesson.presenters)
            value: object
            if n["in_cluster"] and facts.policy.demo_lesson.presenter_scope == "supporter":
                key, value = "demo_lesson.presenter_scope", "cluster"
                hint = f"学区内其他学校有 {n['in_cluster']} 名可上的教师：把 {key} 改为 \"cluster\""
                hint_en = f"{n['in_cluster']} teachers of other cluster schools could: set {key} = \"cluster\""
            else:
                key, value = "demo_lesson.presenters", ["backbone", "famous", "teacher"]
                hint = f"学区内也没有：可把 {key} 加上 \"teacher\"（任何教师），或把 demo_lesson.per_subject_per_term 改为 0"
                hint_en = f"nor has the cluster: add \"teacher\" to {key}, or set demo_lesson.per_subject_per_term = 0"
            out.append(Explanation(
                "no_presenter", f"{taker}的{group}示范课（{m.count} 节）无人可上：{giver}没有{group}的{kinds}教师",
                f"no one can give the {group_en} demonstration lesson at {words.school(n['taker'], 'en')} "
                f"({m.count}): {words.school(n['giver'], 'en')} has no {group_en} teacher of the kinds allowed",
                {"short": m.count, "in_cluster": n["in_cluster"]}, scope=m.scope, suggestion_zh=hint,
                suggestion_en=hint_en, policy_key=key, suggested_value=value))
        elif m.reason == "no_paired_school":
            teacher = words.teacher(n["teacher"], "zh")
            group = group_name(n["subject"], n["band"])
            out.append(Explanation(
                "no_paired_school", f"名师{teacher}的示范课（{m.count} 节）无处可上：{n['partners']} 所结对学校都没有{group}教师",
                f"famous teacher {words.teacher(n['teacher'], 'en')} has nowhere to give {m.count} lessons: none of "
                f"{n['partners']} paired schools teaches {group_name(n['subject'], n['band'], 'en')}",
                {"short": m.count, "partners": n["partners"]}, scope=m.scope,
                suggestion_zh="把 famous_lesson.paired 改为 \"cluster\"（学区内任何其他学校）",
                suggestion_en="set famous_lesson.paired = \"cluster\" (any other cluster school)",
                policy_key="famous_lesson.paired", suggested_value="cluster"))
        else:
            pair = f"{words.school(n['giver'], 'zh')}—{words.school(n['taker'], 'zh')}"
            out.append(Explanation(
                "no_shared_grade", f"{pair}没有同年级同学科的教师：同年级同学科备课（{m.count} 次）无法开展",
                f"{words.school(n['giver'], 'en')} and {words.school(n['taker'], 'en')} share no grade of any subject: "
                f"{m.count} same-grade preparations cannot take place", {"short": m.count}, scope=m.scope,
                suggestion_zh="该结对不适用此规则：可把 same_grade_prep.per_pair_per_term 改为 0",
                suggestion_en="the rule does not fit this pair: set same_grade_prep.per_pair_per_term = 0",
                policy_key="same_grade_prep.per_pair_per_term", suggested_value=0))
    return out


def explain_hosts(facts: Facts, hm: HostModel, solver) -> list[Explanation]:
    """Activities the host model could not place: no venue large enough, or presenters at their cap."""
    words = _Words(facts)
    out = []
    no_venue: dict[tuple, list[int]] = defaultdict(list)
    capped: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, demand in enumerate(hm.demands):
        if solver.boolean_value(hm.placed[i]):
            continue
        if i in hm.no_host:
            no_venue[(demand.rule, demand.subject, demand.band)].append(i)
        elif demand.presenters:
            capped[demand.presenters].append(i)
    for (rule, subject, band), indexes in no_venue.items():
        for i in indexes:
            demand = hm.demands[i]
            sizes = hm.no_host[i]["too_small"]
            size = max((n for n, _ in sizes.values()), default=0)
            biggest = max((b for _, b in sizes.values()), default=0)
            out.append(Explanation(
                "no_venue", f"{words.what(demand, 'zh')}无处举行：{size} 人参加，可承办学校最大的{demand.venue}场地只有 {biggest} 座",
                f"{words.what(demand, 'en')} has no venue: {size} take part, the largest {demand.venue} of the schools "
                f"that could host seats {biggest}",
                {"short": 1, "size": size, "largest": biggest, "activity_id": demand.activity_id}, scope=demand.scope,
                suggestion_zh="在 facilities.csv 登记足够大的场地，或把 facilities.require_venue 改为 false",
                suggestion_en="register a venue large enough in facilities.csv, or set facilities.require_venue = false",
                policy_key="facilities.require_venue", suggested_value=False))
    cap = facts.policy.demo_lesson.max_per_presenter
    given: dict[str, int] = defaultdict(int)
    for (_, t), var in hm.p.items():
        if solver.boolean_value(var):
            given[t] += 1
    for presenters, indexes in capped.items():
        asked = sum(1 for d in hm.demands if d.presenters == presenters)
        full = all(given[t] >= cap for t in presenters)
        need = max(cap + 1, math.ceil(asked / len(presenters)))
        for i in indexes:
            demand = hm.demands[i]
            if full:
                zh = (f"{words.what(demand, 'zh')}无人可上：可上的 {len(presenters)} 名教师本学期都已排满每人 {cap} 节"
                      f"（这批教师共被要求 {asked} 节）")
                en = (f"{words.what(demand, 'en')} has no presenter left: all {len(presenters)} teachers who may give "
                      f"it already give {cap} each this term ({asked} asked of them)")
                hint, hint_en, key, value = (f"把 demo_lesson.max_per_presenter 改为 {need}",
                                             f"set demo_lesson.max_per_presenter = {need}",
                                             "demo_lesson.max_per_presenter", need)
            else:
                zh = f"{words.what(demand, 'zh')}未排入：求解时限内未找到主讲教师（可上的 {len(presenters)} 名教师尚未排满）"
                en = (f"{words.what(demand, 'en')} is not planned: no presenter was found in the time limit "
                      f"({len(presenters)} teachers who may give it are not all at their cap)")
                hint, hint_en, key, value = "延长求解时间后重排", "plan again with a longer time limit", "", None
            out.append(Explanation(
                "presenter_cap", zh, en, {"short": 1, "asked": asked, "presenters": len(presenters), "cap": cap,
                                          "activity_id": demand.activity_id}, exact=full, scope=demand.scope,
                suggestion_zh=hint, suggestion_en=hint_en, policy_key=key, suggested_value=value))
    return out


def _term_options(tm: TimeModel, i: int) -> int:
    """How many half days the activity would have over the whole term (its window widened)."""
    placement = tm.placements[i]
    wide = replace(placement, demand=replace(placement.demand, first=tm.days[0], last=tm.days[-1]))
    return len(options_for(tm.facts, wide, tm.days)[0])


def _occupancy(tm: TimeModel, solver) -> tuple[dict, dict, set]:
    """Who is busy at each half day, activities per teacher and week, venues in use, in the final calendar."""
    busy: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    per_week: dict[tuple[str, tuple], int] = defaultdict(int)
    venue_used: set[tuple[str, int, str]] = set()
    for (j, n, half), var in tm.x.items():
        if not solver.boolean_value(var):
            continue
        other = tm.placements[j]
        for h in covers(half):
            for t in other.participants:
                busy[(n, h)][t] = j
            if other.facility_id:
                venue_used.add((other.facility_id, n, h))
        for t in other.participants:
            per_week[(t, tm.days[n].isocalendar()[:2])] += 1
    return busy, per_week, venue_used


def _taken(tm: TimeModel, occupancy, i: int) -> dict[str, int]:
    """Why each half day the activity could take is not free in the final calendar."""
    busy, per_week, venue_used = occupancy
    placement = tm.placements[i]
    cap = tm.facts.policy.limits.max_per_teacher_per_week
    causes: dict[str, int] = defaultdict(int)
    mine = placement.participants
    for (n, half) in options_for(tm.facts, placement, tm.days)[0]:
        week = tm.days[n].isocalendar()[:2]
        if any(t in busy.get((n, h), {}) for h in covers(half) for t in mine):
            causes["teacher_busy"] += 1
        elif any(per_week.get((t, week), 0) >= cap for t in mine):
            causes["weekly_cap"] += 1
        elif placement.facility_id and any((placement.facility_id, n, h) in venue_used for h in covers(half)):
            causes["venue_busy"] += 1
        else:
            causes["free"] += 1
    return dict(causes)


def _window_load(tm: TimeModel, i: int) -> tuple[str, int, int, int] | None:
    """A participant whose activities confined to this window exceed the weekly cap over its weeks:
    (teacher, activities, weeks, cap), the worst one; None when no one is over."""
    placement = tm.placements[i]
    d = placement.demand
    cap = tm.facts.policy.limits.max_per_teacher_per_week
    weeks = {day.isocalendar()[:2] for day in tm.days if d.first <= day <= d.last
             and day not in tm.facts.data.exam_days}
    worst = None
    inside_window = [p for p in tm.placements if d.first <= p.demand.first and p.demand.last <= d.last]
    for t in placement.participants:
        inside = sum(1 for p in inside_window if t in p.participants)
        if inside > cap * len(weeks) and (worst is None or inside - cap * len(weeks) > worst[1] - cap * worst[2]):
            worst = (t, inside, len(weeks), cap)
    return worst


def _verify_cap(facts: Facts, tm: TimeModel, unheld: list[int], value: int, time_limit_s: float,
                num_workers: int) -> set[int]:
    """The unplaced activities a weekly cap of `value` would place (a re-solve of the time model)."""
    from .solve import read_calendar

    bigger = Facts(facts.data, facts.policy.replace(limits={"max_per_teacher_per_week": value}))
    trial, _ = build_time_model(bigger, tm.placements, tm.days)
    from .solve import TIME_MODEL_PARAMS

    solver, code = solve_with_rules(trial.model, [], time_limit_s=time_limit_s, num_workers=num_workers,
                                    relative_gap=0.01, params=TIME_MODEL_PARAMS)
    if not found_solution(code):
        return set()
    _, _, still, _ = read_calendar(trial, solver)
    return set(unheld) - set(still)


def explain_time(facts: Facts, tm: TimeModel, solver, unheld: list[int], *, deadline: float,
                 num_workers: int) -> list[Explanation]:
    words = _Words(facts)
    policy = facts.policy
    out: list[Explanation] = []
    crowded: list[int] = []
    for i in unheld:
        d = tm.placements[i].demand
        what, what_en = words.what(d, "zh"), words.what(d, "en")
        if i in tm.no_slot:
            c = tm.no_slot[i]
            parts = [f"联考日 {c.get('exam_day', 0)} 天" if c.get("exam_day") else "",
                     f"参加教师不可安排 {c.get('unavailable', 0)} 个半天" if c.get("unavailable") else "",
                     f"干部交流日 {c.get('leader_day', 0)} 个半天" if c.get("leader_day") else "",
                     f"场地不开放 {c.get('venue_closed', 0)} 个半天" if c.get("venue_closed") else ""]
            parts_en = [f"{c.get('exam_day', 0)} joint-exam days" if c.get("exam_day") else "",
                        f"{c.get('unavailable', 0)} half days a participant is unavailable" if c.get("unavailable") else "",
                        f"{c.get('leader_day', 0)} half days on a leader's exchange day" if c.get("leader_day") else "",
                        f"{c.get('venue_closed', 0)} half days the venue is closed" if c.get("venue_closed") else ""]
            spread = getattr(getattr(policy, d.rule, None), "spread", False)
            wide = _term_options(tm, i) if spread else 0
            value: object = None
            key, hint, hint_en = "", "", ""
            if spread and wide:
                key, value = f"{d.rule}.spread", False
                hint = f"整个学期有 {wide} 个可用半天：把 {key} 改为 false（不再按学期分段）"
                hint_en = f"the whole term has {wide} free half days: set {key} = false"
            elif len(policy.time.halves) < 2:
                key, value = "time.halves", ["am", "pm"]
                hint, hint_en = f"上午也可安排：把 {key} 改为 [\"am\", \"pm\"]", f"allow mornings: set {key} = [\"am\", \"pm\"]"
            out.append(Explanation(
                "no_slot", f"{what}排不进：{_window(d, 'zh')} 共 {c.get('window_days', 0)} 个教学日，没有一个半天全部参加教师都能到场"
                + ("（" + "，".join(p for p in parts if p) + "）" if any(parts) else ""),
                f"{what_en} cannot be placed: none of the {c.get('window_days', 0)} teaching days of "
                f"{_window(d, 'en')} has a half day every participant can attend"
                + (" (" + ", ".join(p for p in parts_en if p) + ")" if any(parts_en) else ""),
                {**c, "activity_id": d.activity_id}, scope=d.scope, suggestion_zh=hint, suggestion_en=hint_en, policy_key=key,
                suggested_value=value))
            continue
        load = _window_load(tm, i)
        if load is not None:
            teacher, count, weeks, cap = load
            need = math.ceil(count / max(1, weeks))
            out.append(Explanation(
                "teacher_load", f"{what}排不进：{words.teacher(teacher, 'zh')}在 {_window(d, 'zh')} 有 {count} 项学区活动，"
                f"每周最多 {cap} 项 × {weeks} 周 = {cap * weeks} 项",
                f"{what_en} cannot be placed: {words.teacher(teacher, 'en')} has {count} cluster activities in "
                f"{_window(d, 'en')}, at most {cap} a week × {weeks} weeks = {cap * weeks}",
                {"activities": count, "weeks": weeks, "cap": cap, "activity_id": d.activity_id}, scope=d.scope,
                suggestion_zh=f"把 limits.max_per_teacher_per_week 改为 {need}",
                suggestion_en=f"set limits.max_per_teacher_per_week = {need}",
                policy_key="limits.max_per_teacher_per_week", suggested_value=need))
            continue
        crowded.append(i)
    if crowded:
        cap = policy.limits.max_per_teacher_per_week
        verified: set[int] = set()
        left = deadline - time.perf_counter()
        if left > 2.0 and cap < 10:
            verified = _verify_cap(facts, tm, unheld, cap + 1, left, num_workers)
        occupancy = _occupancy(tm, solver)
        for i in crowded:
            d = tm.placements[i].demand
            causes = _taken(tm, occupancy, i)
            total = sum(causes.values())
            checked = "（已重算验证）" if i in verified else ""
            checked_en = " (verified by solving again)" if i in verified else ""
            out.append(Explanation(
                "crowded", f"{words.what(d, 'zh')}排不进：{_window(d, 'zh')} 可用的 {total} 个半天中，"
                f"{causes.get('teacher_busy', 0)} 个参加教师已有其他活动，{causes.get('weekly_cap', 0)} 个所在周已达每周上限，"
                f"{causes.get('venue_busy', 0)} 个场地已占用" + (f"，{causes['free']} 个时限内未用上" if causes.get("free") else ""),
                f"{words.what(d, 'en')} cannot be placed: of {total} possible half days in {_window(d, 'en')}, "
                f"{causes.get('teacher_busy', 0)} clash with the participants' other activities, "
                f"{causes.get('weekly_cap', 0)} fall in weeks at the weekly cap, {causes.get('venue_busy', 0)} have the "
                "venue taken" + (f", {causes['free']} were left unused in the time limit" if causes.get("free") else ""),
                {"options": total, **causes, "activity_id": d.activity_id}, exact=False, scope=d.scope,
                suggestion_zh=f"把 limits.max_per_teacher_per_week 改为 {cap + 1}{checked}" if cap < 10 else "",
                suggestion_en=f"set limits.max_per_teacher_per_week = {cap + 1}{checked_en}" if cap < 10 else "",
                policy_key="limits.max_per_teacher_per_week" if cap < 10 else "",
                suggested_value=cap + 1 if cap < 10 else None))
    return out


def explain_bookings(facts: Facts, tm: TimeModel, short: dict[str, int]) -> list[Explanation]:
    words = _Words(facts)
    policy = facts.policy
    requests = {q.request_id: q for q in facts.data.requests}
    out = []
    for request_id, missing in sorted(short.items()):
        q = requests[request_id]
        school = words.school(q.school_id, "zh")
        usable = tm.request_options.get(request_id, [])
        kind_zh = {"lab": "实验室", "gym": "体育馆", "library": "图书馆", "hall": "报告厅"}.get(q.kind, q.kind)
        if not usable:
            seats = [f for f in facts.data.facilities if f.kind == q.kind and f.capacity >= q.size]
            if seats:
                nearest = min(facts.km(q.school_id, f.school_id) for f in seats)
                need = math.ceil(nearest)
                out.append(Explanation(
                    "facility_far", f"{school}的设施使用计划 {request_id}（{q.size} 人用{kind_zh}）每周少 {missing} 次："
                    f"{policy.facilities.max_km:g} 公里内没有容量足够的{kind_zh}，最近的在 {nearest:.1f} 公里外",
                    f"{words.school(q.school_id, 'en')}'s facility plan {request_id} ({q.size} people, {q.kind}) is "
                    f"{missing} a week short: no {q.kind} seating them within {policy.facilities.max_km:g} km, the "
                    f"nearest is {nearest:.1f} km away", {"short": missing, "nearest_km": round(nearest, 1)},
                    scope=request_id, suggestion_zh=f"把 facilities.max_km 改为 {need}",
                    suggestion_en=f"set facilities.max_km = {need}", policy_key="facilities.max_km",
                    suggested_value=float(need)))
            else:
                out.append(Explanation(
                    "facility_none", f"{school}的设施使用计划 {request_id} 每周少 {missing} 次：学区内没有容纳 {q.size} 人的{kind_zh}",
                    f"{words.school(q.school_id, 'en')}'s facility plan {request_id} is {missing} a week short: no "
                    f"{q.kind} in the cluster seats {q.size}", {"short": missing, "size": q.size}, scope=request_id,
                    suggestion_zh="在 facilities.csv 登记容量足够的设施，或把该计划拆成人数更少的几组",
                    suggestion_en="register a facility large enough in facilities.csv, or split the plan into smaller groups"))
            continue
        out.append(Explanation(
            "facility_full", f"{school}的设施使用计划 {request_id} 每周少 {missing} 次：可用的 {len(usable)} 处{kind_zh}"
            f"（{policy.facilities.max_km:g} 公里内）可用的半天已被其他计划、活动或该班教师的其他安排占满",
            f"{words.school(q.school_id, 'en')}'s facility plan {request_id} is {missing} a week short: every open half "
            f"day of the {len(usable)} usable {q.kind}s within {policy.facilities.max_km:g} km is taken",
            {"short": missing, "facilities": len(usable)}, exact=False, scope=request_id,
            suggestion_zh="把 facilities.max_km 调大以使用更远的设施，或减少 per_week",
            suggestion_en="raise facilities.max_km to reach farther facilities, or lower per_week",
            policy_key="facilities.max_km"))
    return out


def _pin_explanation(facts: Facts, activity_id: str) -> Explanation:
    pin = facts.pins[activity_id]
    where = facts.schools[pin.host_school_id].name if pin.host_school_id in facts.schools else (pin.host_school_id or "")
    day = when(pin.date, pin.half or "day") if pin.date else ""
    day_en = when(pin.date, pin.half or "day", "en") if pin.date else ""
    return Explanation(
        "pin_dropped", f"指定 {activity_id}（{day}{' ' if day and where else ''}{where}）未能保留：该时间或学校不满足硬性规则"
        "（联考日、教师不可安排或已有安排、场地、承办条件、活动的时间段）",
        f"pin {activity_id} ({day_en}{' ' if day_en and where else ''}{where}) could not be kept: the hard rules "
        "exclude that day or host (joint-exam day, a participant away or busy, the venue, who may host, the "
        "activity's window)", {}, scope=activity_id, suggestion_zh="换一个日期或学校再指定",
        suggestion_en="pin another day or school", policy_key="weights.pin_dropped")


def explain_pins(facts: Facts, result: CalendarResult) -> list[Explanation]:
    """Pins the calendar does not keep (read from the calendar itself, whichever solver made it)."""
    placed = {a.activity_id: a for a in result.plan.activities}
    dropped = []
    for pin in facts.data.pins:
        a = placed.get(pin.activity_id)
        if a is None or (pin.date and a.date != pin.date) or (pin.half and a.half != pin.half) or (
                pin.host_school_id and a.host_school_id != pin.host_school_id):
            dropped.append(pin.activity_id)
    return [_pin_explanation(facts, a) for a in dropped]


def explain_calendar(facts: Facts, demands: Demands, hm: HostModel, host_solver, tm: TimeModel, solver,
                     unheld: list[int], result: CalendarResult, *, time_limit_s: float = 5.0,
                     num_workers: int = 2) -> list[Explanation]:
    """Every shortfall of the calendar, in its quota's words, with the key to change."""
    deadline = time.perf_counter() + time_limit_s
    found = explain_missing(facts, demands) + explain_hosts(facts, hm, host_solver)
    found += explain_time(facts, tm, solver, unheld, deadline=deadline, num_workers=num_workers)
    found += explain_bookings(facts, tm, result.booking_short)
    found += explain_pins(facts, result)
    return [replace(e, conflict=n) for n, e in enumerate(found, start=1)]
