"""Attainment of a roster (how much of each rule it fills) and what the hard rules alone allow.

A best-effort roster (the policy cannot be met) should fill as much of every rule as the others
allow. `attainment` counts what a roster reaches; `hard_rule_ceilings` solves, for each quantity
alone, the most the hard rules allow (eligibility, distance, scope, needs, coverage, mentoring,
caps, forbids; the counted rules — quotas, shares, pins — left free), so the two can be printed
side by side (`benchmarks/bench_rotation.py`) and compared in tests.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from ..cpsat import new_solver as _solver
from .candidates import build_candidates
from .inputs import RotationInput
from .model import _sum, build_posting_model, out_vars
from .policy import RotationPolicy
from .results import RotationPlan, RotationResult
from .rules import ceil_share, counts_as_backbone, is_eligible, is_quota_sender


@dataclass
class Attainment:
    """What a roster reaches (or, from `hard_rule_ceilings`, the most the hard rules allow)."""

    required_rotations: int  # Σ over quota schools of ⌈min_fraction × eligible⌉
    rotations_made: int  # Σ over quota schools of min(rotating, required)
    posts: int  # posts asked in needs.csv
    posts_filled: int  # posts filled by full postings (part-time cover not counted)
    backbone_rotating: int  # backbone (or famous) teachers rotating from quota schools
    rotating: int  # teachers rotating from quota schools
    quota_by_school: dict[str, tuple[int, int]] = field(default_factory=dict)  # school → (made, required)
    exact: bool = True  # every ceiling was proven optimal (always True for a roster's own attainment)

    @property
    def backbone_share(self) -> float | None:
        return self.backbone_rotating / self.rotating if self.rotating else None

    def line(self, lang: str = "zh") -> str:
        share = f"{self.backbone_share * 100:.0f}%" if self.backbone_share is not None else "–"
        zh = lang == "zh"
        if self.rotating:
            backbone = (f"骨干 {self.backbone_rotating}/{self.rotating} 人（{share}）" if zh else
                        f"backbone {self.backbone_rotating}/{self.rotating} ({share})")
        else:
            backbone = f"骨干最多 {self.backbone_rotating} 人" if zh else f"backbone at most {self.backbone_rotating}"
        if zh:
            return f"应交流 {self.rotations_made}/{self.required_rotations} 人，岗位 {self.posts_filled}/{self.posts} 个，{backbone}"
        return (f"required rotations {self.rotations_made}/{self.required_rotations}, posts "
                f"{self.posts_filled}/{self.posts}, {backbone}")


def _required(data: RotationInput, policy: RotationPolicy) -> dict[str, int]:
    out = {}
    for s in data.schools:
        if is_quota_sender(s, policy):
            eligible = sum(1 for t in data.teachers if t.school_id == s.school_id
                           and is_eligible(t, data.school_year, policy))
            required = ceil_share(policy.quota.min_fraction, eligible)
            if required:
                out[s.school_id] = required
    return out


def attainment(plan_or_result: RotationPlan | RotationResult, data: RotationInput,
               policy: RotationPolicy | None = None) -> Attainment:
    """How much of each counted rule a roster fills."""
    policy = policy or RotationPolicy()
    plan = plan_or_result.plan if isinstance(plan_or_result, RotationResult) else plan_or_result
    required = _required(data, policy)
    senders = {s.school_id for s in data.schools if is_quota_sender(s, policy)}
    out = Counter(p.from_school_id for p in plan.postings)
    posts = {(n.school_id, n.subject, n.grade): n.posts for n in data.needs}
    filled = Counter((p.to_school_id, p.subject, p.grade) for p in plan.postings)
    teachers = {t.teacher_id: t for t in data.teachers}
    from_senders = [p for p in plan.postings if p.from_school_id in senders]
    return Attainment(
        required_rotations=sum(required.values()),
        rotations_made=sum(min(out[s], r) for s, r in required.items()),
        posts=sum(posts.values()), posts_filled=sum(min(c, posts.get(k, 0)) for k, c in filled.items()),
        backbone_rotating=sum(1 for p in from_senders if counts_as_backbone(teachers[p.teacher_id], policy)),
        rotating=len(from_senders),
        quota_by_school={s: (min(out[s], r), r) for s, r in sorted(required.items())})


def _maximise(model: cp_model.CpModel, expression, time_limit_s: float, num_workers: int) -> tuple[int, bool]:
    trial = model.clone()
    trial.clear_objective()
    trial.clear_hints()
    trial.maximize(expression)
    solver = _solver(time_limit_s, num_workers)
    status = solver.solve(trial)
    if status == cp_model.OPTIMAL:
        return int(round(solver.objective_value)), True
    if status == cp_model.FEASIBLE:
        return int(round(solver.best_objective_bound)), False  # an upper bound: the ceiling is at most this
    return 0, False


def hard_rule_ceilings(data: RotationInput, policy: RotationPolicy | None = None, *, time_limit_s: float = 30.0,
                       num_workers: int = 2, per_school: bool = True) -> Attainment:
    """For each quantity alone, the most the hard rules allow (a separate solve maximising it):
    required rotations made, posts filled, backbone teachers rotating from quota schools, and per
    quota school its rotations (up to its quota). `rotating` is left 0 (no single ceiling)."""
    from .solve import components, restrict

    policy = policy or RotationPolicy()
    started = time.perf_counter()
    required = _required(data, policy)
    total = Attainment(required_rotations=sum(required.values()), rotations_made=0,
                       posts=sum(n.posts for n in data.needs), posts_filled=0, backbone_rotating=0, rotating=0)
    groups = components(data, policy)
    for number, group in enumerate(groups):
        part = restrict(data, group, None)
        index = build_candidates(part, policy)
        pm = build_posting_model(index, relaxed=True)
        left = max(0.5, (time_limit_s - (time.perf_counter() - started)) / max(1, len(groups) - number))
        quota_rules = [r for r in pm.rules if r.kind == "quota"]
        measures = {
            "made": _sum(r.numbers["required"] - r.numbers["deficit_var"] for r in quota_rules) if quota_rules else None,
            "posts": _sum(pm.x),
            "backbone": _sum(v for s in part.schools if is_quota_sender(s, policy)
                             for v in out_vars(index, pm.x, s.school_id, backbone=True)),
        }
        per = left / (len(measures) + (len(quota_rules) if per_school else 0))
        for name, expression in measures.items():
            value, exact = _maximise(pm.model, expression, per, num_workers) if expression is not None else (0, True)
            total.exact &= exact
            if name == "made":
                total.rotations_made += value
            elif name == "posts":
                total.posts_filled += value
            else:
                total.backbone_rotating += value
        if per_school:
            for rule in quota_rules:
                value, exact = _maximise(pm.model, rule.numbers["required"] - rule.numbers["deficit_var"], per,
                                         num_workers)
                total.exact &= exact
                total.quota_by_school[str(rule.scope[0])] = (value, rule.numbers["required"])
    total.quota_by_school = dict(sorted(total.quota_by_school.items()))
    return total


def attainment_frame(reached: Attainment, data: RotationInput, ceiling: Attainment | None = None, *,
                     lang: str = "en"):
    """One row per counted quantity (and per quota school): required, reached and, when given, the
    most the hard rules allow. Columns in English keys, or Chinese headers with lang="zh"."""
    import pandas as pd

    names = {s.school_id: s.name for s in data.schools}
    zh = lang == "zh"
    rows = [
        {"item": "应交流人数（合计）" if zh else "required rotations", "school_id": "",
         "asked": reached.required_rotations, "reached": reached.rotations_made,
         "hard_rules_allow": ceiling.rotations_made if ceiling else None},
        {"item": "岗位" if zh else "posts filled", "school_id": "", "asked": reached.posts,
         "reached": reached.posts_filled, "hard_rules_allow": ceiling.posts_filled if ceiling else None},
        {"item": "骨干教师（承担比例学校）" if zh else "backbone rotating (quota schools)", "school_id": "",
         "asked": None, "reached": reached.backbone_rotating,
         "hard_rules_allow": ceiling.backbone_rotating if ceiling else None},
    ]
    for school_id, (made, required) in reached.quota_by_school.items():
        best = ceiling.quota_by_school.get(school_id, (None, None))[0] if ceiling else None
        rows.append({"item": (f"{names.get(school_id, school_id)} 应交流" if zh else
                              f"{names.get(school_id, school_id)} quota"), "school_id": school_id,
                     "asked": required, "reached": made, "hard_rules_allow": best})
    frame = pd.DataFrame(rows, columns=["item", "school_id", "asked", "reached", "hard_rules_allow"])
    for column in ("asked", "reached", "hard_rules_allow"):  # whole numbers, empty where not applicable
        frame[column] = frame[column].astype("Int64")
    if zh:
        frame = frame.rename(columns={"item": "项目", "school_id": "学校编号", "asked": "要求", "reached": "本方案",
                                      "hard_rules_allow": "硬性规则允许的上限"})
    return frame
