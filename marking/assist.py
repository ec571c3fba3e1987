"""Who else may mark a school's scripts when a best-effort marking plan is short (尽力方案的阅卷补位), as a pure rule.

A best-effort marking plan may give a group fewer than two markers of other schools for some
school's scripts (relaxation `own_school`): those scripts cannot be double-marked by the group's
markers alone. A marking centre then fills in, in this order, for that group and that school only:

1. the group's leaders (题组长) of other schools give first and second marks;
2. if still fewer than two distinct people of other schools, leaders and markers of the subject's
   other groups (of other schools) give them, after their own group's work;
3. if the whole subject has only one person of another school, that person marks those scripts
   once (单评), and the scripts are flagged;
4. if it has none, nobody may mark them (a script is never marked by its own school): the plan
   must change.

Where leaders give first or second marks, a leader who marked a script cannot arbitrate it, so the
subject's other leaders (of other schools) may arbitrate that group's scripts of that school too.
Arbitration, like every mark, never goes to the script's own school (the queue's lease enforces it).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

GROUP_LEADERS = "group_leaders"  # 本组外校题组长参加一评二评
OTHER_GROUP = "other_group"  # 同学科其他题组的外校教师参加一评二评
SINGLE = "single"  # 全学科只有一名外校教师：单评并标记
NOBODY = "nobody"  # 全学科没有外校教师：无法评
ARBITRATION = "arbitration"  # a grant's kind of help: arbitration only
ARB_OTHER_LEADERS = "arbitration_other_leaders"  # 本组无外校题组长：同学科其他题组的外校题组长仲裁
ARB_MARKERS = "arbitration_markers"  # 题组长已评或不足：未评过该卷的外校题组长或阅卷教师仲裁
ARB_NOBODY = "arbitration_nobody"  # 全学科无外校教师可仲裁
REGULAR = ("first", "second")


def group_label(item_group: str) -> str:
    """第2组 for the planner's group ids (physics-G2), the id itself otherwise (a bureau's own names)."""
    match = re.fullmatch(r"[a-z]+-G(\d+)", item_group)
    return f"第{int(match.group(1))}组" if match else item_group


@dataclass(frozen=True)
class Person:
    """A registered marker of the exam (as in the marking plan)."""

    teacher_id: str
    school_id: str
    subject: str
    item_group: str
    role: str  # leader or marker


@dataclass(frozen=True)
class Grant:
    """`teacher_id` may take tasks of `kinds` of the group (subject, item_group) for scripts of `schools`."""

    teacher_id: str
    subject: str
    item_group: str
    schools: tuple[str, ...]
    kinds: tuple[str, ...]
    how: str  # group_leaders, other_group, single, arbitration


@dataclass(frozen=True)
class SchoolCase:
    """What applies to one school's double-marked scripts in one group."""

    subject: str
    item_group: str
    school_id: str
    scripts: int
    how: str  # group_leaders, other_group, single, nobody, or arbitration_* (who arbitrates)
    markers: tuple[str, ...]  # the group's markers of other schools
    helpers: tuple[str, ...]  # who fills in (leaders, other groups' people, or the one single marker)

    def zh(self, subject_names: Mapping[str, str] | None = None, school_names: Mapping[str, str] | None = None) -> str:
        subject = (subject_names or {}).get(self.subject, self.subject)
        school = (school_names or {}).get(self.school_id, self.school_id)
        where = f"{subject} {group_label(self.item_group)}：{school} 的 {self.scripts} 份答卷"
        if self.how == GROUP_LEADERS:
            return f"{where}由外校题组长完成二评（本组外校阅卷教师 {len(self.markers)} 名）"
        if self.how == OTHER_GROUP:
            return f"{where}由本组外校题组长和同学科其他题组的外校教师完成二评（本组外校阅卷教师 {len(self.markers)} 名）"
        if self.how == SINGLE:
            return f"{where}全学科只有 1 名外校教师（{'、'.join(self.helpers)}），改为单评，已标记"
        if self.how == ARB_OTHER_LEADERS:
            return f"{where}如需仲裁，本组没有外校题组长，由同学科其他题组的外校题组长仲裁（{len(self.helpers)} 名）"
        if self.how == ARB_MARKERS:
            return (f"{where}如需仲裁，题组长已参加评卷或不足，由未评过该卷的外校题组长或外校阅卷教师仲裁"
                    f"（{len(self.helpers)} 名）")
        if self.how == ARB_NOBODY:
            return f"{where}如需仲裁，全学科没有外校教师可以仲裁；请增派外校题组长（xuequ marking markers）"
        return (f"{where}全学科没有外校教师，无法评卷（答卷不由本校教师评）；请为该学科增加外校阅卷教师"
                f"（xuequ marking markers）")

    def en(self) -> str:
        where = f"{self.subject}/{self.item_group}: {self.scripts} scripts of {self.school_id}"
        if self.how == GROUP_LEADERS:
            return f"{where} double-marked with the group's leaders of other schools ({len(self.markers)} marker(s) of other schools)"
        if self.how == OTHER_GROUP:
            return f"{where} double-marked with the group's leaders and the subject's other groups (other schools)"
        if self.how == SINGLE:
            return f"{where} single-marked by the only teacher of another school in the subject ({', '.join(self.helpers)}); flagged"
        if self.how == ARB_OTHER_LEADERS:
            return f"{where}: arbitration by the subject's other groups' leaders of other schools ({len(self.helpers)})"
        if self.how == ARB_MARKERS:
            return (f"{where}: arbitration by leaders or markers of other schools who did not mark the script "
                    f"({len(self.helpers)})")
        if self.how == ARB_NOBODY:
            return f"{where}: nobody of another school may arbitrate; add leaders of other schools"
        return f"{where} cannot be marked: the subject has no teacher of another school; add markers of other schools"


@dataclass
class AssistPlan:
    grants: list[Grant] = field(default_factory=list)
    cases: list[SchoolCase] = field(default_factory=list)

    def grants_for(self, teacher_id: str) -> list[Grant]:
        return [g for g in self.grants if g.teacher_id == teacher_id]

    def single(self) -> list[SchoolCase]:
        return [c for c in self.cases if c.how == SINGLE]

    def nobody(self) -> list[SchoolCase]:
        return [c for c in self.cases if c.how in (NOBODY, ARB_NOBODY)]


def _others(people: Iterable[Person], school_id: str) -> list[Person]:
    return [p for p in people if p.school_id != school_id]


def _ids(people: Iterable[Person]) -> tuple[str, ...]:
    return tuple(sorted({p.teacher_id for p in people}))


def plan_assists(people: Iterable[Person], double_scripts: Mapping[tuple[str, str, str], int]) -> AssistPlan:
    """Who fills in for each (subject, item_group, school) whose double-marked scripts
    (`double_scripts`: count of scripts needing two marks) the group's markers of other schools
    cannot mark twice. Cases are listed only where help is needed."""
    people = list(people)
    by_group: dict[tuple[str, str], list[Person]] = {}
    for p in people:
        by_group.setdefault((p.subject, p.item_group), []).append(p)
    plan = AssistPlan()
    pending: dict[tuple[str, str, str, tuple[str, ...], str], set[str]] = {}  # (teacher, subject, group, kinds, how) → schools

    def grant(person: Person, subject: str, group: str, school: str, kinds: tuple[str, ...], how: str) -> None:
        pending.setdefault((person.teacher_id, subject, group, kinds, how), set()).add(school)

    for (subject, group, school), scripts in sorted(double_scripts.items()):
        if scripts <= 0:
            continue
        members = by_group.get((subject, group), [])
        markers = _others([p for p in members if p.role != "leader"], school)
        if len({p.teacher_id for p in markers}) >= 2:
            continue  # the group's own markers double-mark them
        leaders = _others([p for p in members if p.role == "leader"], school)
        outside = _others([p for p in people if p.subject == subject and p.item_group != group], school)
        in_group = {p.teacher_id for p in markers} | {p.teacher_id for p in leaders}
        if len(in_group) >= 2:
            how, helpers = GROUP_LEADERS, leaders
        elif len(in_group | {p.teacher_id for p in outside}) >= 2:
            how, helpers = OTHER_GROUP, leaders + outside
        elif in_group or outside:
            how, helpers = SINGLE, (markers or leaders or outside)[:1]
        else:
            how, helpers = NOBODY, []
        plan.cases.append(SchoolCase(subject, group, school, int(scripts), how, _ids(markers), _ids(helpers)))
        if how in (GROUP_LEADERS, OTHER_GROUP):
            for p in helpers:
                grant(p, subject, group, school, REGULAR, how)
        elif how == SINGLE and (helpers[0].item_group != group or helpers[0].role == "leader"):
            grant(helpers[0], subject, group, school, ("first",), SINGLE)
    for (subject, group, school), scripts in sorted(double_scripts.items()):
        if scripts <= 0:
            continue
        # Arbitration (仲裁) needs a leader of another school who has not marked the script. The group has
        # none for this school, or its leaders give first and second marks here: the subject's other
        # leaders of other schools arbitrate; failing them, the markers of other schools (the lease
        # never hands a script to someone who marked it or to its own school).
        members = by_group.get((subject, group), [])
        leaders = _others([p for p in members if p.role == "leader"], school)
        leaders_mark = any(c.how in (GROUP_LEADERS, OTHER_GROUP) for c in plan.cases
                           if (c.subject, c.item_group, c.school_id) == (subject, group, school))
        if leaders and not leaders_mark:
            continue
        outside = _others([p for p in people if p.subject == subject and p.item_group != group], school)
        arbiters = [p for p in outside if p.role == "leader"]
        how = ARB_OTHER_LEADERS
        if leaders_mark or not arbiters:
            # the leaders who gave first and second marks here may have marked every script they could
            # arbitrate: markers of other schools who did not mark the script arbitrate it then
            arbiters += [p for p in _others(members, school) if p.role != "leader"] + \
                        [p for p in outside if p.role != "leader"]
            how = ARB_MARKERS
        for p in arbiters:
            grant(p, subject, group, school, ("arbitration",), ARBITRATION)
        if not leaders or how == ARB_MARKERS or not arbiters:  # stated: beyond the group's leaders
            plan.cases.append(SchoolCase(subject, group, school, int(scripts), how if arbiters else ARB_NOBODY,
                                         (), _ids(arbiters)))
    plan.grants = [Grant(t, s, g, tuple(sorted(schools)), kinds, how)
                   for (t, s, g, kinds, how), schools in sorted(pending.items())]
    return plan
