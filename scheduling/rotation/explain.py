"""Why a policy cannot be met, and why posts stay empty: in the planner's words, with the numbers.

The solver names the conflicting rule instances (the infeasible core of the guarded rules, see
`scheduling/cpsat/`); this module turns each into a sentence in Chinese and English, adds numbers found by
counting candidates (and, for counted rules, the best the solver can reach under the other rules
of the core), and suggests which policy key to loosen and by how much.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from domain.vocab import SUBJECTS

from ..cpsat import disjoint_cores, maximise_under
from .candidates import CandidateIndex, build_candidates
from .inputs import RotationInput, RotationTeacher
from .leaders import LeaderModel
from .model import PostingModel, RuleInstance, build_posting_model
from .policy import RotationPolicy
from .results import Explanation, Shortfall
from .rules import ceil_share, counts_as_backbone, in_scope, ineligibility_reasons, is_quota_sender, posting_direction


def _pct(share: float) -> str:
    return f"{share * 100:g}%"


def _floor_pct(value: float) -> float:
    """A share rounded down to 0.1 %, as a fraction."""
    return math.floor(value * 1000) / 1000


def _subject(subject: str, lang: str) -> str:
    return SUBJECTS.get(subject, subject) if lang == "zh" else subject


@dataclass
class Roster:
    """Counts of the roster an explanation accompanies, so that every number it states agrees with it."""

    rotating: dict[str, int] = field(default_factory=dict)  # sending school → teachers rotating out
    backbone: dict[str, int] = field(default_factory=dict)  # sending school → backbone (or famous) among them
    learning: dict[str, int] = field(default_factory=dict)  # sending school → learning postings (跟岗)
    to_rural_backbone: dict[str, int] = field(default_factory=dict)  # sending school → backbone to rural schools
    to_school_backbone: dict[tuple[str, str], int] = field(default_factory=dict)  # (from, to) → backbone postings
    apprentices: dict[str, int] = field(default_factory=dict)  # mentor → apprentices

    @classmethod
    def of(cls, index: CandidateIndex, postings: Sequence, mentoring: Sequence = ()) -> Roster:
        roster = cls()
        rural = index.policy.mingzhu.rural_localities
        for p in postings:
            teacher = index.teachers[p.teacher_id]
            backbone = counts_as_backbone(teacher, index.policy)
            roster.rotating[p.from_school_id] = roster.rotating.get(p.from_school_id, 0) + 1
            if backbone:
                roster.backbone[p.from_school_id] = roster.backbone.get(p.from_school_id, 0) + 1
                key = (p.from_school_id, p.to_school_id)
                roster.to_school_backbone[key] = roster.to_school_backbone.get(key, 0) + 1
                if index.schools[p.to_school_id].locality in rural:
                    roster.to_rural_backbone[p.from_school_id] = roster.to_rural_backbone.get(p.from_school_id, 0) + 1
            if p.direction == "learn":
                roster.learning[p.from_school_id] = roster.learning.get(p.from_school_id, 0) + 1
        for m in mentoring:
            roster.apprentices[m.mentor_id] = roster.apprentices.get(m.mentor_id, 0) + 1
        return roster


@dataclass
class _Context:
    index: CandidateIndex
    model: PostingModel | None
    core: list[RuleInstance]
    time_limit_s: float
    num_workers: int
    broken: dict[str, int] = field(default_factory=dict)  # rule key → units short in the accompanying roster
    roster: Roster | None = None
    deadline: float | None = None  # perf_counter time after which no "at most N" solve is started

    @property
    def policy(self) -> RotationPolicy:
        return self.index.policy

    def school_name(self, school_id: str) -> str:
        school = self.index.schools.get(school_id)
        return f"{school.name}（{school_id}）" if school and school.name != school_id else school_id

    def school_name_en(self, school_id: str) -> str:
        school = self.index.schools.get(school_id)
        return f"{school.name} ({school_id})" if school and school.name != school_id else school_id

    def best_under_others(self, rule: RuleInstance) -> int | None:
        """The solver's best value of the rule's count while the other rules of the core hold."""
        if self.model is None or rule.measure is None:
            return None
        import time

        if self.deadline is not None and time.perf_counter() > self.deadline:
            return None
        # Only the rules the accompanying roster keeps: a best-effort roster that breaks one of them
        # may well exceed what the core's rules allow together ("at most 0" beside a roster of 4).
        others = [r for r in self.core if r is not rule and r.key not in self.broken]
        return maximise_under(self.model.model, others, rule.measure,
                              time_limit_s=max(0.5, self.time_limit_s / max(1, len(self.core))),
                              num_workers=self.num_workers)


# --- counting --------------------------------------------------------------------------------------

def nearest_post_km(index: CandidateIndex, teacher: RotationTeacher) -> float | None:
    """Distance to the nearest post of the teacher's subject and grades in scope and direction, no limit."""
    sender = index.schools[teacher.school_id]
    grades = set(teacher.grades)
    best = None
    for need in index.needs:
        if need.posts <= 0 or need.subject != teacher.subject or need.grade not in grades:
            continue
        host = index.schools[need.school_id]
        if not in_scope(sender, host, index.policy) or posting_direction(sender, host, index.policy) is None:
            continue
        km = index.distances.teacher_km(teacher, need.school_id)
        best = km if best is None else min(best, km)
    return best


def _km_needed(index: CandidateIndex, teachers: Sequence[RotationTeacher], count: int) -> float | None:
    """The distance limit at which `count` of these teachers would have a post (None: never)."""
    distances = sorted(d for d in (nearest_post_km(index, t) for t in teachers) if d is not None)
    if count <= 0 or len(distances) < count:
        return None
    return math.ceil(distances[count - 1] * 10 - 1e-6) / 10  # up to the next 0.1 km


def _with_candidates(index: CandidateIndex, teachers: Sequence[RotationTeacher], direction: str | None = None) -> list:
    out = []
    for t in teachers:
        ids = index.by_teacher.get(t.teacher_id, ())
        if any(direction is None or index.candidates[i].direction == direction for i in ids):
            out.append(t)
    return out


# --- one rule instance → one explanation ---------------------------------------------------------------

def _quota(ctx: _Context, rule: RuleInstance) -> Explanation:
    index, policy = ctx.index, ctx.policy
    school_id = str(rule.scope[0])
    eligible = index.eligible_at(school_id)
    able = _with_candidates(index, eligible)
    required, km = rule.numbers["required"], policy.distance.max_km
    best = ctx.best_under_others(rule)
    numbers = {"required": required, "eligible": len(eligible), "with_post": len(able), "best": best,
               "max_km": km, "min_fraction": policy.quota.min_fraction}
    head_zh = (f"学校 {ctx.school_name(school_id)}：{_pct(policy.quota.min_fraction)} 交流比例要求至少 {required} 名"
               f"教师交流（符合交流条件 {len(eligible)} 人）")
    head_en = (f"school {ctx.school_name_en(school_id)}: the {_pct(policy.quota.min_fraction)} quota needs "
               f"{required} rotating teachers ({len(eligible)} eligible)")
    if len(able) < required:
        zh = f"{head_zh}，但只有 {len(able)} 名符合条件的教师在 {km:g} 公里内有对口岗位"
        en = f"{head_en}, but only {len(able)} eligible teachers have a post within {km:g} km"
    else:
        zh = f"{head_zh}，{len(able)} 名符合条件的教师在 {km:g} 公里内有对口岗位"
        en = f"{head_en}; {len(able)} eligible teachers have a post within {km:g} km"
        if best is not None and best < required:
            zh += f"，但与下列规则一起最多只能交流 {best} 人"
            en += f", but together with the other rules listed at most {best} can rotate"
    reach = best if best is not None else len(able)
    hints_zh, hints_en = [], []
    needed_km = _km_needed(index, eligible, required) if len(able) < required else None
    if needed_km is not None:
        numbers["suggest_max_km"] = needed_km
        hints_zh.append(f"把 distance.max_km 从 {km:g} 放宽到 {needed_km:g} 公里")
        hints_en.append(f"raise distance.max_km from {km:g} to {needed_km:g} km")
    if eligible and reach < required:
        share = _floor_pct(reach / len(eligible))
        numbers["suggest_min_fraction"] = share
        hints_zh.append(f"把 quota.min_fraction 从 {_pct(policy.quota.min_fraction)} 降到 {_pct(share)}")
        hints_en.append(f"lower quota.min_fraction from {_pct(policy.quota.min_fraction)} to {_pct(share)}")
    if len(able) < required:
        hints_zh.append("或请接收学校增加该校教师学科年级的岗位")
        hints_en.append("or ask receiving schools for more posts in this school's subjects and grades")
        if not able and not policy.scope.cross_cluster:
            hints_zh.append("或允许跨学区交流（scope.cross_cluster = true）")
            hints_en.append("or allow postings across clusters (scope.cross_cluster = true)")
    return Explanation(code="quota", scope=school_id, zh=zh, en=en, suggestion_zh="；".join(hints_zh),
                       suggestion_en="; ".join(hints_en), numbers=numbers)


def _quota_max(ctx: _Context, rule: RuleInstance) -> Explanation:
    school_id, cap = str(rule.scope[0]), rule.numbers["cap"]
    zh = f"学校 {ctx.school_name(school_id)}：每校交流人数上限为 {cap} 人（quota.max_fraction = {_pct(ctx.policy.quota.max_fraction)}）"
    en = (f"school {ctx.school_name_en(school_id)}: at most {cap} teachers may rotate "
          f"(quota.max_fraction = {_pct(ctx.policy.quota.max_fraction)})")
    return Explanation(code="quota_max", scope=school_id, zh=zh, en=en, suggestion_zh="提高 quota.max_fraction",
                       suggestion_en="raise quota.max_fraction", numbers={"cap": cap})


def _backbone(ctx: _Context, rule: RuleInstance) -> Explanation:
    index, policy = ctx.index, ctx.policy
    share = policy.quota.backbone_min_share
    scope = str(rule.scope[0])
    if rule.kind == "backbone_school":
        schools = [scope]
        where_zh, where_en = f"学校 {ctx.school_name(scope)}", f"school {ctx.school_name_en(scope)}"
    else:
        schools = [s.school_id for s in index.data.schools if s.cluster_id == scope and is_quota_sender(s, policy)]
        where_zh, where_en = f"学区 {scope}", f"cluster {scope}"
    eligible = [t for s in schools for t in index.eligible_at(s)]
    backbone_able = _with_candidates(index, [t for t in eligible if counts_as_backbone(t, policy)])
    required_total = 0
    for s in schools:
        quota = ctx.model.rule("quota", s) if ctx.model else None
        required_total += quota.numbers["required"] if quota else 0
    need_backbone = ceil_share(share, required_total)
    best = ctx.best_under_others(rule)
    numbers = {"share": share, "rotating_required": required_total, "backbone_required": need_backbone,
               "backbone_with_post": len(backbone_able), "best": best}
    zh = (f"{where_zh}：骨干教师须占交流人数的 {_pct(share)}（应交流 {required_total} 人至少需 {need_backbone} 名骨干），"
          f"但只有 {len(backbone_able)} 名符合条件的骨干教师在 {policy.distance.max_km:g} 公里内有对口岗位")
    en = (f"{where_en}: backbone teachers must be {_pct(share)} of those rotating ({required_total} rotating need "
          f"{need_backbone} backbone), but only {len(backbone_able)} eligible backbone teachers have a post within "
          f"{policy.distance.max_km:g} km")
    if best is not None:
        zh += f"；与其他规则一起，最多只能派出 {best} 名骨干"
        en += f"; together with the other rules at most {best} backbone teachers can go"
    reach = min(len(backbone_able), best if best is not None else len(backbone_able))
    if required_total and reach < need_backbone:
        lowered = _floor_pct(reach / required_total)
        numbers["suggest_backbone_min_share"] = lowered
        hint_zh = f"把 quota.backbone_min_share 从 {_pct(share)} 降到 {_pct(lowered)}"
        hint_en = f"lower quota.backbone_min_share from {_pct(share)} to {_pct(lowered)}"
    else:
        hint_zh = "降低 quota.backbone_min_share，或放宽与之冲突的规则"
        hint_en = "lower quota.backbone_min_share, or loosen the rules it conflicts with"
    return Explanation(code=rule.kind, scope=scope, zh=zh, en=en, suggestion_zh=hint_zh, suggestion_en=hint_en,
                       numbers=numbers)


def _learn(ctx: _Context, rule: RuleInstance) -> Explanation:
    index, policy = ctx.index, ctx.policy
    school_id = str(rule.scope[0])
    eligible = index.eligible_at(school_id)
    able = _with_candidates(index, eligible, "learn")
    if rule.kind == "learn_min":
        required = rule.numbers["required"]
        best = ctx.best_under_others(rule)
        zh = (f"学校 {ctx.school_name(school_id)}：跟岗学习至少 {required} 人（learn.min_fraction = "
              f"{_pct(policy.learn.min_fraction)}），但只有 {len(able)} 名符合条件的教师在 "
              f"{policy.distance.max_km:g} 公里内有更强学校的对口岗位")
        en = (f"school {ctx.school_name_en(school_id)}: at least {required} teachers must go learning "
              f"(learn.min_fraction = {_pct(policy.learn.min_fraction)}), but only {len(able)} eligible teachers "
              f"have a post at a stronger school within {policy.distance.max_km:g} km")
        reach = min(len(able), best if best is not None else len(able))
        share = _floor_pct(reach / len(eligible)) if eligible else 0.0
        return Explanation(code="learn_min", scope=school_id, zh=zh, en=en,
                           suggestion_zh=f"把 learn.min_fraction 降到 {_pct(share)}",
                           suggestion_en=f"lower learn.min_fraction to {_pct(share)}",
                           numbers={"required": required, "with_post": len(able), "best": best})
    cap = rule.numbers["cap"]
    zh = f"学校 {ctx.school_name(school_id)}：跟岗人数不得超过 {cap} 人（learn.max_fraction = {_pct(policy.learn.max_fraction)}）"
    en = (f"school {ctx.school_name_en(school_id)}: at most {cap} teachers may go learning "
          f"(learn.max_fraction = {_pct(policy.learn.max_fraction)})")
    return Explanation(code="learn_max", scope=school_id, zh=zh, en=en, suggestion_zh="提高 learn.max_fraction",
                       suggestion_en="raise learn.max_fraction", numbers={"cap": cap})


def _mingzhu(ctx: _Context, rule: RuleInstance) -> Explanation:
    index, policy = ctx.index, ctx.policy
    school_id = str(rule.scope[0])
    backbone = [t for t in index.eligible_at(school_id) if counts_as_backbone(t, policy)]
    able = _with_candidates(index, backbone)
    best = ctx.best_under_others(rule)
    if rule.kind == "mingzhu_backbone":
        required = rule.numbers["required"]
        zh = (f"学校 {ctx.school_name(school_id)}：每学年 {_pct(policy.mingzhu.backbone_fraction)} 的骨干教师须交流"
              f"（{len(backbone)} 名符合条件的骨干中至少 {required} 人），但只有 {len(able)} 人在 "
              f"{policy.distance.max_km:g} 公里内有对口岗位")
        en = (f"school {ctx.school_name_en(school_id)}: {_pct(policy.mingzhu.backbone_fraction)} of backbone teachers "
              f"must exchange ({required} of {len(backbone)} eligible), but only {len(able)} have a post within "
              f"{policy.distance.max_km:g} km")
        if best is not None and best < len(able):
            zh += f"；与其他规则一起最多 {best} 人"
            en += f"; together with the other rules at most {best}"
        reach = min(len(able), best if best is not None else len(able))
        share = _floor_pct(reach / len(backbone)) if backbone else 0.0
        return Explanation(code=rule.kind, scope=school_id, zh=zh, en=en,
                           suggestion_zh=f"把 mingzhu.backbone_fraction 降到 {_pct(share)}",
                           suggestion_en=f"lower mingzhu.backbone_fraction to {_pct(share)}",
                           numbers={"required": required, "backbone_eligible": len(backbone), "with_post": len(able),
                                    "best": best})
    rural = policy.mingzhu.rural_localities
    to_rural = [t for t in able if any(index.schools[index.candidates[i].to_school_id].locality in rural
                                       for i in index.by_teacher[t.teacher_id])]
    zh = (f"学校 {ctx.school_name(school_id)}：交流骨干中至少 {_pct(policy.mingzhu.rural_share)} 须到乡下学校，"
          f"但只有 {len(to_rural)} 名骨干在 {policy.distance.max_km:g} 公里内有乡下学校的对口岗位")
    en = (f"school {ctx.school_name_en(school_id)}: at least {_pct(policy.mingzhu.rural_share)} of exchanged backbone "
          f"teachers must go to rural schools, but only {len(to_rural)} have a rural post within "
          f"{policy.distance.max_km:g} km")
    return Explanation(code=rule.kind, scope=school_id, zh=zh, en=en, suggestion_zh="降低 mingzhu.rural_share",
                       suggestion_en="lower mingzhu.rural_share",
                       numbers={"backbone_to_rural": len(to_rural), "best": best})


def _coverage(ctx: _Context, rule: RuleInstance) -> Explanation:
    school_id, subject, grade = str(rule.scope[0]), str(rule.scope[1]), rule.scope[2]
    members = rule.numbers["members"]
    zh = (f"学校 {ctx.school_name(school_id)}：{_subject(subject, 'zh')} {grade} 年级只有 {members} 名任课教师，"
          f"须至少留 1 人在本校")
    en = (f"school {ctx.school_name_en(school_id)}: {subject} grade {grade} has only {members} teacher(s), "
          f"and at least one must stay")
    return Explanation(code="coverage", scope=f"{school_id}/{subject}/{grade}", zh=zh, en=en,
                       suggestion_zh="降低该校的交流比例，或关闭 scope.keep_subject_coverage",
                       suggestion_en="lower this school's quota, or turn off scope.keep_subject_coverage",
                       numbers={"members": members})


def _capacity(ctx: _Context, rule: RuleInstance) -> Explanation:
    index = ctx.index
    school_id = str(rule.scope[0])
    posts = rule.numbers["posts"]
    wanting = {index.candidates[i].teacher_id for n, need in enumerate(index.needs) if need.school_id == school_id
               for i in index.by_need.get(n, ())}
    detail = ", ".join(f"{n.subject}{n.grade}×{n.posts}" for n in index.needs if n.school_id == school_id)
    zh = f"学校 {ctx.school_name(school_id)}：只申请了 {posts} 个岗位（{detail}），不能接收更多交流教师"
    en = f"school {ctx.school_name_en(school_id)}: asked for only {posts} posts ({detail}) and cannot receive more"
    return Explanation(code="capacity", scope=school_id, zh=zh, en=en, suggestion_zh="请该校在 needs.csv 中增加岗位",
                       suggestion_en="ask the school for more posts in needs.csv",
                       numbers={"posts": posts, "candidates": len(wanting)})


def _mentoring(ctx: _Context, rule: RuleInstance) -> Explanation:
    index, policy = ctx.index, ctx.policy
    host_id = str(rule.scope[0])
    mentors = {m for (m, h) in index.apprentices if h == host_id}
    apprentices = {a for (m, h), ids in index.apprentices.items() if h == host_id for a in ids}
    by_subject: dict[str, int] = defaultdict(int)
    for t in index.teachers_by_school[host_id]:
        if t.role == "teacher" and t.teaching_years <= policy.mentoring.max_apprentice_teaching_years:
            by_subject[t.subject] += 1
    years = policy.mentoring.max_apprentice_teaching_years
    zh = (f"学校 {ctx.school_name(host_id)}：交流来的骨干教师、名师须在该校结对带徒（同学科、同年级、教龄不超过 {years} 年），"
          f"可能来的 {len(mentors)} 名骨干/名师只有 {len(apprentices)} 名符合条件的青年教师可结对")
    en = (f"school {ctx.school_name_en(host_id)}: every incoming backbone or famous teacher needs an apprentice there "
          f"(same subject and grade, at most {years} teaching years); {len(mentors)} possible mentors share "
          f"{len(apprentices)} possible apprentices")
    # The least teaching years that would add an apprentice for one of the possible mentors.
    longer = sorted({t.teaching_years for m in mentors for t in index.teachers_by_school[host_id]
                     if t.role == "teacher" and t.teaching_years > years and t.subject == index.teachers[m].subject
                     and set(t.grades) & set(index.teachers[m].grades)})
    hint_zh, hint_en = "关闭 mentoring.enabled，或", "turn off mentoring.enabled, or "
    numbers: dict[str, Any] = {"mentors": len(mentors), "apprentices": len(apprentices), "by_subject": dict(by_subject)}
    if longer:
        numbers["suggest_max_apprentice_teaching_years"] = longer[0]
        hint_zh += f"把 mentoring.max_apprentice_teaching_years 至少放宽到 {longer[0]} 年"
        hint_en += f"raise mentoring.max_apprentice_teaching_years to at least {longer[0]}"
    else:
        hint_zh += "在该校安排青年教师"
        hint_en += "place young teachers at this school"
    return Explanation(code="mentoring", scope=host_id, zh=zh, en=en, suggestion_zh=hint_zh, suggestion_en=hint_en,
                       numbers=numbers)


def _pin(ctx: _Context, rule: RuleInstance) -> Explanation:
    index = ctx.index
    teacher_id, to_school = str(rule.scope[0]), rule.scope[1]
    teacher = index.teachers[teacher_id]
    where_zh = f"学校 {ctx.school_name(str(to_school))}" if to_school else "其他学校"
    where_en = f"school {ctx.school_name_en(str(to_school))}" if to_school else "another school"
    if rule.kind == "forbid":
        zh = f"教师 {teacher.name}（{teacher_id}）被规划人员禁止交流到{where_zh}"
        en = f"teacher {teacher.name} ({teacher_id}) is forbidden to go to {where_en} by a planner"
        return Explanation(code="forbid", scope=teacher_id, zh=zh, en=en, suggestion_zh="撤销这条禁止",
                           suggestion_en="remove this forbid", numbers={})
    options = rule.numbers.get("options", 0)
    if options == 0:
        zh = (f"教师 {teacher.name}（{teacher_id}）被指定交流到{where_zh}，但那里没有{_subject(teacher.subject, 'zh')}"
              f" {'/'.join(str(g) for g in teacher.grades) or '?'} 年级的岗位")
        en = (f"teacher {teacher.name} ({teacher_id}) is pinned to {where_en}, but it has no {teacher.subject} post "
              f"at grade(s) {', '.join(str(g) for g in teacher.grades) or '?'}")
    else:
        zh = f"教师 {teacher.name}（{teacher_id}）被规划人员指定交流到{where_zh}"
        en = f"teacher {teacher.name} ({teacher_id}) is pinned to {where_en} by a planner"
    return Explanation(code="pin", scope=teacher_id, zh=zh, en=en, suggestion_zh="撤销或修改这条指定",
                       suggestion_en="remove or change this pin", numbers={"options": options})


def _leader(ctx: _Context, rule: RuleInstance) -> Explanation:
    policy = ctx.policy
    if rule.kind == "leader_pair":
        a, b = rule.scope
        na, nb = rule.numbers["leaders_a"], rule.numbers["leaders_b"]
        head_zh = f"学校 {ctx.school_name(str(a))} 与 {ctx.school_name(str(b))} 结对：每月须各派 1 名干部交流"
        head_en = (f"pair {ctx.school_name_en(str(a))} – {ctx.school_name_en(str(b))}: each month each side sends "
                   f"one leader")
        if min(na, nb) == 0:
            empty = a if na == 0 else b
            zh = f"{head_zh}，但学校 {ctx.school_name(str(empty))} 没有中层干部或校长"
            en = f"{head_en}, but school {ctx.school_name_en(str(empty))} has no leader or principal"
            hint_zh, hint_en = "在 teachers.csv 中为该校登记中层干部，或修改结对", "register leaders of that school, or change the pairs"
        else:
            zh = f"{head_zh}（两校分别有 {na} 和 {nb} 名中层干部/校长）"
            en = f"{head_en} ({na} and {nb} leaders)"
            hint_zh, hint_en = "减少结对（leaders.pairing）或放宽下列规则", "use fewer pairs (leaders.pairing) or loosen the rules listed"
        return Explanation(code="leader_pair", scope=f"{a}-{b}", zh=zh, en=en, suggestion_zh=hint_zh,
                           suggestion_en=hint_en, numbers=dict(rule.numbers))
    if rule.kind == "leader_load":
        school_id = str(rule.scope[0])
        pairs, leaders, limit = rule.numbers["pairs"], rule.numbers["leaders"], rule.numbers["limit"]
        needed = math.ceil(pairs / max(1, leaders))
        zh = (f"学校 {ctx.school_name(str(school_id))} 与 {pairs} 所学校结对，每月须派出 {pairs} 名干部，"
              f"但只有 {leaders} 名中层干部/校长，每人每月最多参加 {limit} 个结对")
        en = (f"school {ctx.school_name_en(str(school_id))} is in {pairs} pairs and must send {pairs} leaders a month, "
              f"but has {leaders} leaders, each in at most {limit} pair(s) a month")
        hint_zh = f"把 leaders.max_pairs_per_leader_per_month 提高到 {max(needed, limit + 1)}"
        hint_en = f"raise leaders.max_pairs_per_leader_per_month to {max(needed, limit + 1)}"
        return Explanation(code="leader_load", scope=str(school_id), zh=zh, en=en, suggestion_zh=hint_zh,
                           suggestion_en=hint_en, numbers=dict(rule.numbers))
    months = rule.numbers.get("months", 0)
    scope = "-".join(str(s) for s in rule.scope)
    if rule.kind == "principal_month":
        zh = f"学校 {ctx.school_name(str(rule.scope[0]))}：校长须交流一个月，但本次安排只有 {months} 个月可选"
        en = f"school {ctx.school_name_en(str(rule.scope[0]))}: the principal exchanges one month, but {months} months are available"
    else:
        zh = f"结对 {scope}：两位校长不能在同一个月外出交流，可选月份只有 {months} 个"
        en = f"pair {scope}: the two principals may not be away in the same month, and {months} months are available"
    return Explanation(code=rule.kind, scope=scope, zh=zh, en=en,
                       suggestion_zh=f"修改 principals.term（现为 {policy.principals.term}）或按整学年安排",
                       suggestion_en=f"change principals.term (now {policy.principals.term}) or plan the whole school year",
                       numbers={"months": months})


def _excellent(ctx: _Context, rule: RuleInstance) -> Explanation:
    index, policy = ctx.index, ctx.policy
    giver, taker = str(rule.scope[0]), str(rule.scope[1])
    required, per_year = rule.numbers["required"], policy.support.excellent_per_year
    candidates = rule.numbers.get("candidates", 0)
    posts = sum(n.posts for n in index.needs if n.school_id == taker)
    best = ctx.best_under_others(rule)
    period_zh = "本学期" if index.data.term else "本学年"
    period_en = "this term" if index.data.term else "this school year"
    zh = (f"学校 {ctx.school_name(giver)} 须向帮扶学校 {ctx.school_name(taker)} 派出至少 {required} 名优秀教师"
          f"（骨干、名师；support.excellent_per_year = {per_year}，{period_zh} {required} 名），"
          f"但只有 {candidates} 名符合条件的优秀教师在 {policy.distance.max_km:g} 公里内有该校的对口岗位"
          f"（该校共申请 {posts} 个岗位）")
    en = (f"school {ctx.school_name_en(giver)} must send at least {required} excellent (backbone or famous) teachers "
          f"to {ctx.school_name_en(taker)}, the school it supports (support.excellent_per_year = {per_year}, "
          f"{required} {period_en}), but only {candidates} eligible excellent teachers have a post there within "
          f"{policy.distance.max_km:g} km ({posts} posts asked)")
    if best is not None and best < required:
        zh += f"；与其他规则一起最多 {best} 名"
        en += f"; together with the other rules at most {best}"
    reach = min(candidates, best if best is not None else candidates)
    numbers = {"required": required, "candidates": candidates, "posts": posts, "best": best,
               "suggest_excellent_per_year": reach * (2 if index.data.term else 1)}
    return Explanation(code="excellent", scope=f"{giver}->{taker}", zh=zh, en=en,
                       suggestion_zh=f"把 support.excellent_per_year 降到 {numbers['suggest_excellent_per_year']}；或请 {ctx.school_name(taker)} 增加对口岗位",
                       suggestion_en=f"lower support.excellent_per_year to {numbers['suggest_excellent_per_year']}; or ask "
                                     f"{ctx.school_name_en(taker)} for more posts",
                       numbers=numbers)


def _person_times(ctx: _Context, rule: RuleInstance) -> Explanation:
    index, policy = ctx.index, ctx.policy
    cluster_id, required = str(rule.scope[0]), rule.numbers["required"]
    schools = [s.school_id for s in index.data.schools if s.cluster_id == cluster_id]
    able = sum(len(index.candidate_teachers_at(s)) for s in schools)
    posts = sum(n.posts for n in index.needs if n.school_id in schools)
    best = ctx.best_under_others(rule)
    zh = (f"学区 {cluster_id}：明珠学区规则要求教师每学年至少交流 {policy.mingzhu.min_person_times_per_year} 人次"
          f"（本次至少 {required} 人次），学区内 {able} 名教师有对口岗位，共 {posts} 个岗位")
    en = (f"cluster {cluster_id}: the Mingzhu rule asks {policy.mingzhu.min_person_times_per_year} teacher exchanges "
          f"a year ({required} in this plan); {able} teachers have a post, {posts} posts in all")
    if best is not None and best < required:
        zh += f"；与其他规则一起最多 {best} 人次"
        en += f"; together with the other rules at most {best}"
    reach = min(able, posts, best if best is not None else able)
    numbers = {"required": required, "with_post": able, "posts": posts, "best": best,
               "suggest_min_person_times": reach * (2 if index.data.term else 1)}
    return Explanation(code="mingzhu_person_times", scope=cluster_id, zh=zh, en=en,
                       suggestion_zh=f"把 mingzhu.min_person_times_per_year 降到 {numbers['suggest_min_person_times']}",
                       suggestion_en=f"lower mingzhu.min_person_times_per_year to {numbers['suggest_min_person_times']}",
                       numbers=numbers)


def _famous_apprentices(ctx: _Context, rule: RuleInstance) -> Explanation:
    index, policy = ctx.index, ctx.policy
    mentor_id, host_id = str(rule.scope[0]), str(rule.scope[1])
    mentor = index.teachers[mentor_id]
    possible = rule.numbers.get("apprentices", 0)
    least, years = policy.mentoring.famous_min_apprentices, policy.mentoring.max_apprentice_teaching_years
    zh = (f"名师 {mentor.name}（{ctx.school_name(mentor.school_id)}）到 {ctx.school_name(host_id)} 交流须带教至少 "
          f"{least} 名青年教师（mentoring.famous_min_apprentices），该校同学科同年级、教龄不超过 {years} 年的青年教师只有 "
          f"{possible} 名")
    en = (f"famous teacher {mentor.name} ({ctx.school_name_en(mentor.school_id)}) at {ctx.school_name_en(host_id)} must "
          f"mentor at least {least} young teachers (mentoring.famous_min_apprentices), but only {possible} young "
          f"teachers of the subject and grade (≤ {years} teaching years) are there")
    numbers = {"required": least, "apprentices": possible,
               "suggest_famous_min_apprentices": max(1, min(possible, least - 1))}
    return Explanation(code="famous_apprentices", scope=f"{mentor_id}@{host_id}", zh=zh, en=en,
                       suggestion_zh=f"把 mentoring.famous_min_apprentices 降到 {numbers['suggest_famous_min_apprentices']}",
                       suggestion_en=f"lower mentoring.famous_min_apprentices to {numbers['suggest_famous_min_apprentices']}",
                       numbers=numbers)


_DESCRIBE = {
    "excellent": _excellent, "mingzhu_person_times": _person_times, "famous_apprentices": _famous_apprentices,
    "quota": _quota, "quota_max": _quota_max, "backbone_school": _backbone, "backbone_cluster": _backbone,
    "learn_min": _learn, "learn_max": _learn, "mingzhu_backbone": _mingzhu, "mingzhu_rural": _mingzhu,
    "coverage": _coverage, "capacity": _capacity, "mentoring": _mentoring, "pin": _pin, "forbid": _pin,
    "leader_pair": _leader, "leader_load": _leader, "principal_month": _leader, "principal_pair": _leader,
}


def describe_core(index: CandidateIndex, core: Sequence[RuleInstance], model: PostingModel | None = None, *,
                  time_limit_s: float = 5.0, num_workers: int = 1) -> list[Explanation]:
    """One explanation per rule instance of an infeasible core."""
    ctx = _Context(index, model, list(core), time_limit_s, num_workers)
    return [_DESCRIBE[r.kind](ctx, r) for r in core]


def explain_posting_model(pm: PostingModel, *, time_limit_s: float, num_workers: int) -> tuple[list[Explanation], dict]:
    """The independent conflicts (disjoint cores) of an infeasible posting model, described; each
    explanation's `conflict` numbers the conflict it belongs to."""
    cores = disjoint_cores(pm.model, pm.rules, time_limit_s=time_limit_s * 0.7, num_workers=num_workers)
    if not cores:
        return [_undetermined()], {"core": None}
    explanations: list[Explanation] = []
    for number, found in enumerate(cores, start=1):
        described = describe_core(pm.index, found.core, pm, time_limit_s=time_limit_s * 0.3 / len(cores),
                                  num_workers=num_workers)
        explanations += [replace(e, conflict=number) for e in described]
    return explanations, {"core": [[r.key for r in found.core] for found in cores],
                          "core_minimal": all(found.minimal for found in cores),
                          "core_seconds": round(sum(found.seconds for found in cores), 3)}


def explain_leader_model(lm: LeaderModel, index: CandidateIndex, *, time_limit_s: float,
                         num_workers: int) -> tuple[list[Explanation], dict]:
    cores = disjoint_cores(lm.model, lm.rules, time_limit_s=time_limit_s, num_workers=num_workers)
    if not cores:
        return [_undetermined()], {"leader_core": None}
    explanations: list[Explanation] = []
    for number, found in enumerate(cores, start=1):
        explanations += [replace(e, conflict=100 + number) for e in describe_core(index, found.core)]
    return explanations, {"leader_core": [[r.key for r in found.core] for found in cores]}


def _undetermined() -> Explanation:
    return Explanation(code="undetermined", scope="", zh="求解器在时限内未能找出冲突的规则，请延长时限后重试",
                       en="the solver could not single out the conflicting rules in the time limit; retry with more time")


def explain_infeasibility(data: RotationInput, policy: RotationPolicy | None = None, *, time_limit_s: float = 30.0,
                          num_workers: int = 2) -> list[Explanation]:
    """Which rules of the policy conflict on this input (empty when the roster is feasible).

    Builds the posting model and the leaders' model, finds the conflicting rule instances from
    CP-SAT's assumption cores (disjoint cores: independent conflicts), and describes each with its
    numbers and a suggestion. `plan_rotation` does the same per cluster on its way to a roster.
    """
    from ..cpsat import is_infeasible
    from .leaders import build_leader_model

    policy = policy or RotationPolicy()
    index = build_candidates(data, policy)
    explanations: list[Explanation] = []
    pm = build_posting_model(index)
    if is_infeasible(pm.model, pm.rules, time_limit_s=time_limit_s / 4, num_workers=num_workers) is True:
        explanations += explain_posting_model(pm, time_limit_s=time_limit_s / 2, num_workers=num_workers)[0]
    lm = build_leader_model(data, policy)
    if is_infeasible(lm.model, lm.rules, time_limit_s=time_limit_s / 8, num_workers=num_workers) is True:
        explanations += explain_leader_model(lm, index, time_limit_s=time_limit_s / 8, num_workers=num_workers)[0]
    return explanations


# --- shortfalls of a feasible plan ------------------------------------------------------------------

def shortfall_report(index: CandidateIndex, filled: dict[int, int], posted: dict[str, int] | None = None,
                     covered: dict[int, int] | None = None) -> list[Shortfall]:
    """Why each need that stays (partly) unfilled does, found by counting teachers step by step.

    `filled` counts the postings per need (index into `index.needs`); `posted` maps each posted
    teacher to the need filled (to tell candidates taken elsewhere from candidates kept at home);
    `covered` counts the part-time covers (跨校兼课) of each need, which are said but fill no post."""
    posted = posted or {}
    covered = covered or {}
    policy, data = index.policy, index.data
    out = []
    for n_index, need in enumerate(index.needs):
        got = filled.get(n_index, 0)
        if got >= need.posts:
            continue
        host = index.schools[need.school_id]
        teaching = [t for t in data.teachers if t.subject == need.subject and need.grade in t.grades
                    and t.school_id != need.school_id and t.role in policy.eligibility.roles]
        eligible = [t for t in teaching if index.eligible[t.teacher_id]]
        allowed = [t for t in eligible if in_scope(index.schools[t.school_id], host, policy)
                   and posting_direction(index.schools[t.school_id], host, policy) is not None]
        near = [t for t in allowed if index.distances.teacher_km(t, need.school_id) <= policy.distance.max_km]
        candidates = {index.candidates[i].teacher_id for i in index.by_need.get(n_index, ())}
        subject_zh = _subject(need.subject, "zh")
        numbers: dict[str, Any] = {"teaching": len(teaching), "eligible": len(eligible), "allowed": len(allowed),
                                   "within_km": len(near), "candidates": len(candidates)}
        head_zh = f"学校 {host.name}（{host.school_id}）{subject_zh} {need.grade} 年级 {need.posts} 个岗位空缺 {need.posts - got} 个"
        head_en = (f"school {host.name} ({host.school_id}) {need.subject} grade {need.grade}: {need.posts - got} of "
                   f"{need.posts} posts unfilled")
        if not teaching:
            code, zh, en = "no_teacher", "：其他学校没有教该学科该年级的教师", ": no teacher elsewhere teaches this subject and grade"
        elif not eligible:
            reasons: dict[str, int] = defaultdict(int)
            for t in teaching:
                for r in ineligibility_reasons(t, data.school_year, policy):
                    reasons[r] += 1
            numbers["ineligible_reasons"] = dict(reasons)
            code = "none_eligible"
            zh = f"：{len(teaching)} 名可教的教师都不符合交流条件（{_reasons(reasons, 'zh')}）"
            en = f": none of the {len(teaching)} teachers who teach it is eligible ({_reasons(reasons, 'en')})"
        elif not allowed:
            code = "wrong_direction"
            zh = f"：{len(eligible)} 名符合条件的教师都不在允许的交流范围或方向内（学区、支教/跟岗）"
            en = f": the {len(eligible)} eligible teachers are all outside the allowed scope or direction"
        elif not near:
            nearest = min(index.distances.teacher_km(t, need.school_id) for t in allowed)
            numbers["nearest_km"] = round(nearest, 1)
            code = "too_far"
            zh = (f"：{len(allowed)} 名符合条件的教师都超出 {policy.distance.max_km:g} 公里（最近 {nearest:.1f} 公里）")
            en = (f": the {len(allowed)} eligible teachers all live beyond {policy.distance.max_km:g} km "
                  f"(nearest {nearest:.1f} km)")
        else:
            elsewhere = {t for t in candidates if t in posted and posted[t] != n_index}
            staying = {t for t in candidates if t not in posted}
            lonely = {t for t in staying if index.is_mentor(index.teachers[t])
                      and not index.apprentices.get((t, need.school_id))}
            numbers.update(posted_elsewhere=len(elsewhere), mentors_without_apprentice=len(lonely),
                           kept_home=len(staying - lonely))
            code = "mentoring" if lonely and lonely == staying and not elsewhere else "taken"
            candidates = elsewhere | staying  # those filling this need are counted in `filled`
            zh = (f"：{len(candidates)} 名候选教师中，{len(elsewhere)} 名已安排到其他岗位，"
                  f"{len(lonely)} 名骨干/名师在该校没有可结对的青年教师，"
                  f"{len(staying - lonely)} 名须留校（本校学科覆盖、比例上限等规则）")
            en = (f": of {len(candidates)} candidates {len(elsewhere)} are posted elsewhere, {len(lonely)} are "
                  f"mentors without an apprentice there, {len(staying - lonely)} must stay (coverage at home, caps)")
        part = covered.get(n_index, 0)
        if part:
            hours = policy.part_time.hours_per_week
            numbers["part_time"] = part
            zh += f"；其中 {part} 个由跨校兼课教师承担（每周 {hours} 课时，不算交流）"
            en += f"; {part} covered part-time by a partner school's teacher ({hours} hours a week, not a rotation)"
        out.append(Shortfall(need.school_id, need.subject, need.grade, need.posts, got, code, numbers,
                             head_zh + zh, head_en + en))
    return out


_REASONS = {"role": ("岗位", "role"), "years_at_school": ("本校年限不足", "too few years at school"),
            "cooldown": ("近年交流过", "rotated recently"), "retirement": ("临近退休", "near retirement")}


def _reasons(reasons: dict[str, int], lang: str) -> str:
    k = 0 if lang == "zh" else 1
    return ("，" if lang == "zh" else ", ").join(f"{_REASONS[r][k]} {n}" for r, n in sorted(reasons.items()))


# --- a best-effort roster: each broken rule with the roster's numbers and a verified suggestion ------

#: numbers key of a suggestion → (policy table, key, kind); kind "share" values are fractions
SUGGESTION_KEYS: dict[str, tuple[str, str, str]] = {
    "suggest_max_km": ("distance", "max_km", "km"),
    "suggest_min_fraction": ("quota", "min_fraction", "share"),
    "suggest_backbone_min_share": ("quota", "backbone_min_share", "share"),
    "suggest_learn_min_fraction": ("learn", "min_fraction", "share"),
    "suggest_mingzhu_backbone_fraction": ("mingzhu", "backbone_fraction", "share"),
    "suggest_mingzhu_rural_share": ("mingzhu", "rural_share", "share"),
    "suggest_min_person_times": ("mingzhu", "min_person_times_per_year", "int"),
    "suggest_excellent_per_year": ("support", "excellent_per_year", "int"),
    "suggest_famous_min_apprentices": ("mentoring", "famous_min_apprentices", "int"),
    "suggest_max_apprentice_teaching_years": ("mentoring", "max_apprentice_teaching_years", "int_up"),
}


def _school_scoped(kind: str) -> bool:
    return kind in ("quota", "quota_max", "backbone_school", "learn_min", "learn_max", "mingzhu_backbone",
                    "mingzhu_rural", "excellent")


def _cluster_senders(index: CandidateIndex, cluster_id: str) -> list[str]:
    return [s.school_id for s in index.data.schools if s.cluster_id == cluster_id and is_quota_sender(s, index.policy)]


def with_roster(ctx: _Context, rule: RuleInstance, e: Explanation) -> Explanation:
    """The explanation with the accompanying roster's own numbers (and how far it falls short)."""
    roster = ctx.roster
    if roster is None:
        return e
    numbers = dict(e.numbers)
    short = ctx.broken.get(rule.key)
    zh = en = ""
    if _school_scoped(rule.kind):
        school_id = str(rule.scope[0])
        n, b = roster.rotating.get(school_id, 0), roster.backbone.get(school_id, 0)
        numbers.update(school_id=school_id, roster_rotating=n, roster_backbone=b)
        zh, en = f"本方案该校交流 {n} 人（骨干 {b} 人）", f"this roster rotates {n} from it ({b} backbone)"
        if rule.kind == "excellent":
            host = str(rule.scope[1])
            sent = roster.to_school_backbone.get((school_id, host), 0)
            numbers["roster_excellent"] = sent
            zh += f"，其中到 {ctx.school_name(host)} 的优秀教师 {sent} 人"
            en += f", {sent} excellent teachers to {ctx.school_name_en(host)}"
    elif rule.kind in ("backbone_cluster", "mingzhu_person_times"):
        schools = _cluster_senders(ctx.index, str(rule.scope[0])) if rule.kind == "backbone_cluster" else \
            [s.school_id for s in ctx.index.data.schools if s.cluster_id == rule.scope[0]]
        n = sum(roster.rotating.get(s, 0) for s in schools)
        b = sum(roster.backbone.get(s, 0) for s in schools)
        numbers.update(cluster_id=str(rule.scope[0]), roster_rotating=n, roster_backbone=b)
        zh, en = f"本方案该学区交流 {n} 人（骨干 {b} 人）", f"this roster rotates {n} in the cluster ({b} backbone)"
    elif rule.kind == "famous_apprentices":
        got = roster.apprentices.get(str(rule.scope[0]), 0)
        numbers["roster_apprentices"] = got
        zh, en = f"本方案带徒 {got} 人", f"this roster gives {got} apprentices"
    if short:
        numbers["short"] = short
        unit_zh = "名骨干" if rule.kind.startswith("backbone") else "人"
        zh += f"{'，' if zh else '本方案'}差 {short} {unit_zh}"
        en += f"{', ' if en else 'this roster is '}{short} short"
    if not zh:
        return replace(e, numbers=numbers)
    return replace(e, zh=f"{e.message_zh}；{zh}", en=f"{e.message_en}; {en}", numbers=numbers)


def _format(value: Any, kind: str) -> str:
    if kind == "share":
        return f"{value:g}（{_pct(value)}）"
    if kind == "km":
        return f"{value:g} 公里"
    return f"{value:g}"


def _format_en(value: Any, kind: str) -> str:
    return f"{value:g} ({_pct(value)})" if kind == "share" else f"{value:g} km" if kind == "km" else f"{value:g}"


def _tries(kind: str, value: Any, current: Any) -> list[Any]:
    """The suggested value, then a few a step further from the current one."""
    if kind == "share":
        steps = [value, _floor_pct(value * 0.75), _floor_pct(value * 0.5)]
    elif kind == "km":
        steps = [value, value + 5, value + 10]
    elif kind == "int_up":
        steps = [value, value + 1, value + 2]
    else:
        steps = [value, value - 1, value - 2]
    out = []
    for v in steps:
        if kind in ("share",) and v < 0 or kind == "int" and v < 0:
            continue
        if v != current and v not in out:
            out.append(v)
    return out


# Policy tables whose keys change only the counted rules, never who may go where: a re-solve under a
# changed value can reuse the candidate index (building it is the costly part on a district).
_RULE_ONLY_KEYS = {("quota", "min_fraction"), ("quota", "backbone_min_share"), ("learn", "min_fraction"),
                   ("mingzhu", "backbone_fraction"), ("mingzhu", "rural_share"),
                   ("mingzhu", "min_person_times_per_year"), ("support", "excellent_per_year"),
                   ("mentoring", "famous_min_apprentices")}


class Verifier:
    """Re-solves the best-effort roster under changed policy values, once per (key, value), within a
    deadline: which rule instances each change meets."""

    def __init__(self, index: CandidateIndex, *, deadline: float, num_workers: int):
        self.index, self.deadline, self.num_workers = index, deadline, num_workers
        self.cache: dict[tuple[str, str, Any], dict[str, bool] | None] = {}
        self.last_cost = 0.0  # seconds the last re-solve took, building included

    def _run(self, table: str, name: str, value: Any) -> dict[str, bool] | None:
        import time

        began = time.perf_counter()
        try:
            return self._solve(table, name, value)
        finally:
            self.last_cost = time.perf_counter() - began

    def left(self) -> float:
        import time

        return self.deadline - time.perf_counter()

    def _solve(self, table: str, name: str, value: Any) -> dict[str, bool] | None:
        from dataclasses import replace as dc_replace

        from ..cpsat import STATUS_NAMES, solve_with_rules

        try:
            changed = self.index.policy.replace(**{table: {name: value}})
        except ValueError:
            return None
        if (table, name) in _RULE_ONLY_KEYS:
            index = dc_replace(self.index, policy=changed)
        else:
            index = build_candidates(self.index.data, changed)
        relaxed = build_posting_model(index, relaxed=True)
        left = self.left()
        if left < 0.2:
            return None
        solver, code = solve_with_rules(relaxed.model, [], time_limit_s=min(left, 10.0), num_workers=self.num_workers)
        if STATUS_NAMES.get(code) not in ("OPTIMAL", "FEASIBLE"):
            return None
        outcome = {}
        for rule in relaxed.rules:
            deficit = rule.numbers.get("deficit_var")
            outcome[rule.key] = (solver.value(deficit) == 0) if deficit is not None else \
                bool(solver.boolean_value(rule.literal))
        return outcome

    def met(self, table: str, name: str, value: Any, rule_key: str) -> bool | None:
        """True: the re-solved roster meets the rule; False: it does not; None: no answer (time, invalid value)."""

        key = (table, name, value)
        if key not in self.cache:
            if self.left() < max(0.3, self.last_cost):  # none is started that would overrun the deadline
                return None
            self.cache[key] = self._run(table, name, value)
        outcome = self.cache[key]
        if outcome is None:
            return None
        return outcome.get(rule_key, True)  # a rule instance that no longer exists asks nothing


def roster_suggestion(ctx: _Context, rule: RuleInstance, e: Explanation) -> Explanation:
    """For a broken counted rule: the policy value the roster itself reaches (what the other rules
    allow it), as the suggestion to verify."""
    numbers = dict(e.numbers)
    n, b = numbers.get("roster_rotating"), numbers.get("roster_backbone")
    if rule.kind == "quota" and numbers.get("eligible"):
        numbers["suggest_min_fraction"] = _floor_pct(n / numbers["eligible"])
    elif rule.kind in ("backbone_school", "backbone_cluster") and n:
        numbers["suggest_backbone_min_share"] = _floor_pct(b / n)
    elif rule.kind == "learn_min" and ctx.roster is not None:
        eligible = len(ctx.index.eligible_at(str(rule.scope[0])))
        if eligible:
            numbers["suggest_learn_min_fraction"] = _floor_pct(ctx.roster.learning.get(str(rule.scope[0]), 0) / eligible)
    elif rule.kind == "mingzhu_backbone" and numbers.get("backbone_eligible"):
        numbers["suggest_mingzhu_backbone_fraction"] = _floor_pct(b / numbers["backbone_eligible"])
    elif rule.kind == "mingzhu_rural" and b and ctx.roster is not None:
        numbers["suggest_mingzhu_rural_share"] = _floor_pct(ctx.roster.to_rural_backbone.get(str(rule.scope[0]), 0) / b)
    return replace(e, numbers=numbers)


def verified_suggestion(verifier: Verifier, rule: RuleInstance, e: Explanation) -> Explanation:
    """Keep only suggestions that a re-solve confirms: the changed key makes this rule instance met."""
    policy = verifier.index.policy
    numbers = dict(e.numbers)
    found_zh, found_en = [], []
    pending = [k for k in SUGGESTION_KEYS if k in numbers]
    for key in pending:
        table, name, kind = SUGGESTION_KEYS[key]
        current = getattr(getattr(policy, table), name)
        numbers.pop(key)
        for value in _tries(kind, e.numbers[key], current):
            verdict = verifier.met(table, name, value, rule.key)
            if verdict is None and verifier.left() < 0.3:
                numbers["unverified"] = True
                break
            if verdict:
                numbers[key] = value
                verb_zh = "降到" if value < current else "放宽到" if kind == "km" else "提高到"
                verb_en = "lower" if value < current else "raise"
                found_zh.append(f"把 {table}.{name} 从 {_format(current, kind)} {verb_zh} {_format(value, kind)} "
                                f"可满足（已重算验证）")
                found_en.append(f"{verb_en} {table}.{name} from {_format_en(current, kind)} to "
                                f"{_format_en(value, kind)} (verified by re-solving)")
                break
    # the describer's other hints, without its unverified values for the keys just tried
    tried = [f"{SUGGESTION_KEYS[k][0]}.{SUGGESTION_KEYS[k][1]}" for k in pending]
    extra_zh = [h for h in e.suggestion_zh.split("；") if h and not any(key in h for key in tried)
                and "从" not in h and "至少放宽到" not in h]
    extra_en = [h for h in e.suggestion_en.split("; ") if h and not any(key in h for key in tried)
                and " from " not in h and "to at least" not in h]
    numbers["verified"] = bool(found_zh)
    if pending and not found_zh:
        tried_zh = "、".join(tried)
        found_zh.append(f"重算未找到能满足的 {tried_zh} 取值" + ("（时限内未完成）" if numbers.get("unverified") else ""))
        found_en.append(f"no value of {', '.join(tried)} met it when re-solved"
                        + (" (time ran out)" if numbers.get("unverified") else ""))
    return replace(e, suggestion_zh="；".join(found_zh + extra_zh), suggestion_en="; ".join(found_en + extra_en),
                   numbers=numbers)


def explain_best_effort(pm: PostingModel, postings: Sequence, mentoring: Sequence, broken: dict[str, int], *,
                        time_limit_s: float, num_workers: int, find_cores: bool = True) -> tuple[list[Explanation], dict]:
    """Explanations for a best-effort roster: the conflicting rules (disjoint cores) described with the
    roster's own numbers, every broken rule (in a core or not) with how far the roster falls short and
    a suggestion verified by re-solving. Without `find_cores` (plan_rotation(explain=False)) only the
    broken rules are described, by counting, with no extra solve."""
    import time

    started = time.perf_counter()
    index = pm.index
    roster = Roster.of(index, postings, mentoring)
    cores = disjoint_cores(pm.model, pm.rules, time_limit_s=time_limit_s * 0.35, num_workers=num_workers) \
        if find_cores else []
    described: list[tuple[RuleInstance, Explanation]] = []
    seen: set[str] = set()
    describe_until = started + time_limit_s * 0.55  # "at most N under the other rules" solves stop here
    for number, found in enumerate(cores, start=1):
        ctx = _Context(index, pm, list(found.core), time_limit_s * 0.2 / len(cores), num_workers, broken, roster,
                       describe_until)
        for rule in found.core:
            seen.add(rule.key)
            described.append((rule, replace(with_roster(ctx, rule, _DESCRIBE[rule.kind](ctx, rule)), conflict=number)))
            if rule.key in broken:
                described[-1] = (rule, roster_suggestion(ctx, rule, described[-1][1]))
    number = len(cores)
    for rule in pm.rules:
        if rule.key in broken and rule.key not in seen and rule.kind in _DESCRIBE:
            number += 1
            ctx = _Context(index, pm if find_cores else None, [rule], time_limit_s * 0.05, num_workers, broken, roster,
                           describe_until)
            e = replace(with_roster(ctx, rule, _DESCRIBE[rule.kind](ctx, rule)), conflict=number)
            described.append((rule, roster_suggestion(ctx, rule, e)))
    verifier = Verifier(index, deadline=started + time_limit_s, num_workers=num_workers)
    out = [verified_suggestion(verifier, rule, e) if find_cores and rule.key in broken else e
           for rule, e in described]
    info = {"core": [[r.key for r in found.core] for found in cores] or None,
            "core_minimal": all(found.minimal for found in cores) if cores else None}
    return out, info


# --- leaders: a best-effort plan's waiting pairs ------------------------------------------------------

def _leaders_feasible(data: RotationInput, policy: RotationPolicy, *, time_limit_s: float, num_workers: int) -> bool:
    from ..cpsat import is_infeasible
    from .leaders import build_leader_model

    lm = build_leader_model(data, policy)
    return is_infeasible(lm.model, lm.rules, time_limit_s=time_limit_s, num_workers=num_workers) is False


def explain_leader_waits(lm: LeaderModel, index: CandidateIndex, waits: dict[tuple[str, str], list[int]],
                         principals_home: Sequence[str] = (), *, time_limit_s: float = 5.0,
                         num_workers: int = 1) -> list[Explanation]:
    """One explanation per pair that waits (which months, and the school whose leaders are too few),
    and per principal left without an exchange month; the key to change is verified by re-solving."""
    policy, data = lm.policy, lm.data
    ctx = _Context(index, None, [], time_limit_s, num_workers)
    limit = policy.leaders.max_pairs_per_leader_per_month
    pairs_of: dict[str, int] = defaultdict(int)
    for a, b in lm.pairs:
        pairs_of[a] += 1
        pairs_of[b] += 1
    principal_away = {school_id for school_id, principal in lm.principals.items()
                      if lm.principal_months and any(principal.teacher_id == t.teacher_id
                                                     for t in lm.leaders.get(school_id, []))}
    # One suggestion for all the waits: the pairs a leader may serve a month, checked by re-solving.
    hint_zh = hint_en = ""
    verified: int | None = None
    def enough(value: int) -> bool:  # a necessary condition, counted: no solve for values that cannot work
        return all(len(lm.leaders.get(s, [])) * value - (value if s in principal_away else 0) >= pairs_of[s]
                   for s in pairs_of)

    if waits:
        for value in (v for v in range(limit + 1, 6) if enough(v)):
            try:
                changed = policy.replace(leaders={"max_pairs_per_leader_per_month": value})
            except ValueError:
                break
            if _leaders_feasible(data, changed, time_limit_s=max(0.5, time_limit_s / 4), num_workers=num_workers):
                verified = value
                break
        if verified is not None:
            hint_zh = (f"把 leaders.max_pairs_per_leader_per_month 从 {limit} 提高到 {verified} 可让所有结对每月交流"
                       f"（已重算验证）")
            hint_en = (f"raise leaders.max_pairs_per_leader_per_month from {limit} to {verified} so that every pair "
                       f"exchanges every month (verified by re-solving)")
    out = []
    for (a, b), months in sorted(waits.items()):
        # the side whose leaders cannot cover its pairs every month
        def capacity(school_id: str) -> int:
            staff = len(lm.leaders.get(school_id, []))
            return staff * limit - (limit if school_id in principal_away else 0)

        short = min((a, b), key=lambda s: capacity(s) - pairs_of[s])
        staff = len(lm.leaders.get(short, []))
        month_list_zh = "、".join(f"{m} 月" for m in months)
        month_list_en = ", ".join(str(m) for m in months)
        away_zh = "（校长外出交流的那个月少 1 人）" if short in principal_away else ""
        away_en = " (one fewer in the principal's own exchange month)" if short in principal_away else ""
        zh = (f"结对 {ctx.school_name(a)}–{ctx.school_name(b)}：{month_list_zh}暂停干部交流（共 {len(months)} 个月）。"
              f"原因：学校 {ctx.school_name(short)} 与 {pairs_of[short]} 所学校结对，每月须派出 {pairs_of[short]} 名干部，"
              f"但只有 {staff} 名中层干部/校长{away_zh}，每人每月最多参加 {limit} 个结对")
        en = (f"pair {ctx.school_name_en(a)} – {ctx.school_name_en(b)} waits in month(s) {month_list_en} "
              f"({len(months)} months): school {ctx.school_name_en(short)} is in {pairs_of[short]} pairs and must send "
              f"{pairs_of[short]} leaders a month, but has {staff} leaders{away_en}, each in at most {limit} pair(s) "
              f"a month")
        numbers = {"months": list(months), "school_id": short, "pairs": pairs_of[short], "leaders": staff,
                   "limit": limit, "suggest_max_pairs_per_leader_per_month": verified}
        extra_zh = f"或在 teachers.csv 中为 {ctx.school_name(short)} 登记更多中层干部"
        extra_en = f"or register more leaders of {ctx.school_name_en(short)}"
        out.append(Explanation(code="leader_wait", scope=f"{a}-{b}", zh=zh, en=en,
                               suggestion_zh="；".join(h for h in (hint_zh, extra_zh) if h),
                               suggestion_en="; ".join(h for h in (hint_en, extra_en) if h), numbers=numbers,
                               conflict=200))
    for school_id in principals_home:
        zh = (f"学校 {ctx.school_name(school_id)}：本方案未安排校长交流月（可选月份 {len(lm.principal_months)} 个，"
              f"与结对学校校长不能同月外出）")
        en = (f"school {ctx.school_name_en(school_id)}: its principal gets no exchange month in this plan "
              f"({len(lm.principal_months)} months available, never the same month as a partner's principal)")
        out.append(Explanation(code="principal_month", scope=school_id, zh=zh, en=en,
                               suggestion_zh=f"修改 principals.term（现为 {policy.principals.term}）或按整学年安排",
                               suggestion_en=f"change principals.term (now {policy.principals.term}) or plan the whole school year",
                               numbers={"months": len(lm.principal_months)}, conflict=200))
    return out


# --- unfilled posts: the key that would fill one, verified ----------------------------------------------

def _post_suggestion(index: CandidateIndex, shortfall: Shortfall) -> tuple[str, str, Any] | None:
    """(table, key, value) that would give this need a candidate: the distance limit for too_far, the
    years at the school or the cool-down for none_eligible (the least change that frees one teacher)."""
    policy, data = index.policy, index.data
    if shortfall.reason_code == "too_far" and "nearest_km" in shortfall.numbers:
        return "distance", "max_km", math.ceil(shortfall.numbers["nearest_km"] * 10 + 1e-6) / 10
    if shortfall.reason_code != "none_eligible":
        return None
    teaching = [t for t in data.teachers if t.subject == shortfall.subject and shortfall.grade in t.grades
                and t.school_id != shortfall.school_id and t.role in policy.eligibility.roles]
    only_years = [t for t in teaching if ineligibility_reasons(t, data.school_year, policy) == ["years_at_school"]]
    if only_years:
        return "eligibility", "min_years_at_school", max(t.years_at_school for t in only_years)
    only_cooldown = [t for t in teaching if ineligibility_reasons(t, data.school_year, policy) == ["cooldown"]]
    if only_cooldown:
        last = max(t.last_rotation_year for t in only_cooldown if t.last_rotation_year is not None)
        return "eligibility", "cooldown_years", max(0, data.school_year - last - 1)
    return None


def verify_post_suggestions(index: CandidateIndex, shortfalls: Sequence[Shortfall], *, relaxed: bool,
                            broken_total: int = 0, time_limit_s: float, num_workers: int) -> list[Shortfall]:
    """Each unfilled post with a policy change that fills it, checked by re-solving (the strict model for a
    policy that is met; the best-effort model, breaking no more than before, otherwise)."""
    import time

    from ..cpsat import STATUS_NAMES, solve_with_rules

    started = time.perf_counter()
    cache: dict[tuple[str, str, Any], dict[tuple[str, str, int], int] | None] = {}
    last_cost = 0.0  # seconds the last re-solve took, building included: none is started that would overrun
    out = []
    for s in shortfalls:
        found = _post_suggestion(index, s)
        if found is None or (found not in cache and time.perf_counter() - started + last_cost > time_limit_s):
            out.append(s)
            continue
        table, name, value = found
        current = getattr(getattr(index.policy, table), name)
        if value == current:
            out.append(s)
            continue
        if found not in cache:
            cache[found] = None
            began = time.perf_counter()
            try:
                changed = index.policy.replace(**{table: {name: value}})
            except ValueError:
                out.append(s)
                continue
            again = build_candidates(index.data, changed)
            pm = build_posting_model(again, relaxed=relaxed)
            left = max(0.3, min(time_limit_s / 3, time_limit_s - (time.perf_counter() - started)))
            solver, code = solve_with_rules(pm.model, [] if relaxed else pm.rules, time_limit_s=left,
                                            num_workers=num_workers)
            if STATUS_NAMES.get(code) in ("OPTIMAL", "FEASIBLE"):
                broken = sum(int(solver.value(r.numbers["deficit_var"])) for r in pm.rules
                             if r.numbers.get("deficit_var") is not None)
                if not relaxed or broken <= broken_total:
                    filled: dict[tuple[str, str, int], int] = defaultdict(int)
                    for c in again.candidates:
                        if solver.boolean_value(pm.x[c.index]):
                            need = again.needs[c.need_index]
                            filled[(need.school_id, need.subject, need.grade)] += 1
                    cache[found] = dict(filled)
            last_cost = time.perf_counter() - began
        verified_fill = cache.get(found)
        gained = (verified_fill or {}).get((s.school_id, s.subject, s.grade), 0) - s.filled
        if verified_fill is None or gained <= 0:
            out.append(s)
            continue
        numbers = {**s.numbers, "suggest": {"key": f"{table}.{name}", "value": value, "fills": gained,
                                            "verified": True}}
        verb_zh = "放宽到" if (table, name) == ("distance", "max_km") else "改为"
        zh = f"。建议：把 {table}.{name} 从 {current:g} {verb_zh} {value:g} 可填补 {gained} 个（已重算验证）"
        en = f". Suggestion: set {table}.{name} from {current:g} to {value:g} to fill {gained} (verified by re-solving)"
        out.append(replace(s, numbers=numbers, message_zh=s.message_zh + zh, message_en=s.message_en + en))
    return out
