"""Automated paper assembly (自动组卷) with CP-SAT.

Choose bank items so that every blueprint cell's points (and item count, if the blueprint fixes it)
are met exactly, the points-weighted mean difficulty lies in the policy band, no item the cohort saw
in its last N exams is reused, and no two enemy items share a paper. Optional parallel forms (A/B)
share no item and have matched difficulty. Reviewer swaps forbid or pin items and re-assemble with
the fewest changes from the previous paper. When the blueprint cannot be met the result explains why:
cells the eligible items cannot fill exactly (subset-sum check, with the shortfall in points), then
the solver's assumptions core for the global rules (difficulty band, enemies, forms, pins).
"""
from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from ..cpsat import status_name
from ._common import DIFFICULTY_SCALE, Cell, check_lang, say, score_scale, to_units
from .assembly_explain import _capacity_problems, _explain_infeasible, _pin_problems
from .assembly_model import FORM_LABELS, _PaperModel, _Pool, _solver
from .bank import BankItem, recent_exam_ids, symmetric_enemies
from .blueprint import Blueprint
from .paper import Paper
from .policy import AssemblyPolicy


@dataclass
class AssemblyResult:
    """Outcome of `assemble_paper`: the forms, or an explanation of why there are none."""

    status: str  # optimal, feasible (time limit hit with a paper), infeasible, invalid, unknown
    forms: list[Paper]
    explanation: list[str]  # empty when a paper was found
    solve_seconds: float  # wall-clock seconds of the whole call (checks, model, solve)
    num_workers: int
    objective: float | None = None
    objective_bound: float | None = None  # the solver's proven lower bound on the objective
    removed_ids: list[str] = field(default_factory=list)  # items of `previous` no longer on the paper
    added_ids: list[str] = field(default_factory=list)  # items not on `previous`
    excluded_recent: list[str] = field(default_factory=list)  # ids the cohort saw in its last N exams

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "feasible")

    @property
    def paper(self) -> Paper:
        if not self.forms:
            raise ValueError("no paper: " + "; ".join(self.explanation))
        return self.forms[0]


def _cohort_exclusions(bank: Sequence[BankItem], cohort: int, policy: AssemblyPolicy) -> set[str]:
    exams = recent_exam_ids(bank, cohort, policy.recent_exams_excluded)
    return {item.item_id for item in bank if any(u.exam_id in exams for u in item.uses_for_cohort(cohort))}


def _previous_forms(previous: Paper | Sequence[Paper] | None) -> list[Paper]:
    if previous is None:
        return []
    if isinstance(previous, Paper):
        return [previous]
    return list(previous)


def _ordered(i: int, j: int) -> tuple[int, int]:
    """An enemy pair the same way round whichever item names the other."""
    return (i, j) if i <= j else (j, i)


def assemble_paper(bank: Sequence[BankItem], blueprint: Blueprint, policy: AssemblyPolicy | None = None, *,
                   cohort: int, forms: int = 1, pinned: Iterable[str] = (), forbidden: Iterable[str] = (),
                   previous: Paper | Sequence[Paper] | None = None, time_limit_s: float = 10,
                   num_workers: int = 2, lang: str = "zh", seed: int = 0) -> AssemblyResult:
    """Assemble `forms` papers (A, B, ...) from `bank` that meet `blueprint` under `policy`.

    cohort: the 届别 sitting the exam; items it saw in its last `policy.recent_exams_excluded` exams
    are not used. pinned / forbidden: item ids the reviewer keeps / removes. previous: the paper(s)
    before the swap; the result changes as few of their items as possible. Explanations are Chinese
    unless lang="en".
    """
    started = time.perf_counter()
    check_lang(lang)
    policy = policy or AssemblyPolicy()
    if not 1 <= forms <= len(FORM_LABELS):
        raise ValueError(f"forms must be between 1 and {len(FORM_LABELS)}")

    def finish(status: str, explanation: list[str], **kw) -> AssemblyResult:
        return AssemblyResult(status, kw.pop("papers", []), explanation, time.perf_counter() - started,
                              num_workers, **kw)

    problems = blueprint.problems(lang)
    if problems:
        return finish("invalid", [say(lang, "细目表有误：", "The blueprint is invalid:")] + problems)

    subject_bank = [i for i in bank if i.subject == blueprint.subject and int(i.grade) == int(blueprint.grade)]
    known_ids = {i.item_id for i in subject_bank}
    if len(known_ids) < len(subject_bank):
        twice = sorted(k for k, n in Counter(i.item_id for i in subject_bank).items() if n > 1)
        raise ValueError(f"item ids appear more than once in the bank: {twice[:10]}")
    pinned, forbidden = list(dict.fromkeys(pinned)), set(forbidden)
    previous_forms = _previous_forms(previous)
    recent = _cohort_exclusions(subject_bank, cohort, policy)

    # Which items may go on the paper, and why the others may not.
    eligible: list[BankItem] = []
    excluded: dict[Cell, Counter] = defaultdict(Counter)
    for item in subject_bank:
        if item.cell not in blueprint.cells or item.max_score <= 0:
            continue
        if item.item_id in forbidden:
            excluded[item.cell]["forbidden"] += 1
        elif item.item_id in recent and item.item_id not in pinned:
            excluded[item.cell]["recent"] += 1
        else:
            eligible.append(item)
    recent_list = sorted(recent)

    pin_problems = _pin_problems(pinned, forbidden, recent, known_ids, subject_bank, blueprint, lang, cohort)
    if pin_problems:
        return finish("infeasible", [say(lang, "保留题目的要求无法满足：", "The items to keep cannot be kept:")]
                      + pin_problems, excluded_recent=recent_list)

    scale = score_scale([blueprint.total, *blueprint.cells.values(), *(i.max_score for i in eligible)])
    index = {item.item_id: n for n, item in enumerate(eligible)}
    by_cell: dict[Cell, list[int]] = {cell: [] for cell in blueprint.cells}
    for n, item in enumerate(eligible):
        by_cell[item.cell].append(n)
    enemies = symmetric_enemies(eligible)
    pairs = sorted({_ordered(index[a], index[b]) for a, others in enemies.items() for b in others})
    form_of_previous = {item_id: f for f, paper in enumerate(previous_forms) for item_id in paper.item_ids}
    pool = _Pool(
        items=eligible, scale=scale, score=[to_units(i.max_score, scale) for i in eligible],
        diff=[round(i.difficulty * DIFFICULTY_SCALE) for i in eligible], by_cell=by_cell, enemy_pairs=pairs,
        pinned={index[p]: form_of_previous.get(p) for p in pinned}, previous=[set(p.item_ids) for p in previous_forms],
        total_units=to_units(blueprint.total, scale),
        cell_units={cell: to_units(points, scale) for cell, points in blueprint.cells.items()})

    capacity_problems = _capacity_problems(pool, blueprint, forms, excluded, policy, lang)
    if capacity_problems:
        return finish("infeasible", [say(lang, "无法按细目表组卷：", "The blueprint cannot be met:")]
                      + capacity_problems, excluded_recent=recent_list)

    paper_model = _PaperModel(pool, blueprint, policy, forms)
    paper_model.add_all_rules()
    paper_model.set_objective()
    remaining = time_limit_s - (time.perf_counter() - started)
    solver = _solver(remaining, num_workers, seed)
    # Stop within `objective_gap` of mean difficulty of the best bound (estimates have two decimals);
    # a change from the previous paper costs far more, so the gap never buys an extra change.
    solver.parameters.absolute_gap_limit = (policy.objective_gap * DIFFICULTY_SCALE * 10
                                            * max(policy.difficulty_weight, 1e-9) * pool.total_units)
    status = solver.solve(paper_model.model)

    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        papers = []
        for f in range(forms):
            chosen = [eligible[i] for i in range(len(eligible)) if solver.boolean_value(paper_model.x[i, f])]
            papers.append(Paper.from_items(chosen, policy, subject=blueprint.subject, grade=blueprint.grade,
                                           cohort=cohort, form=FORM_LABELS[f], blueprint_name=blueprint.name))
        removed, added = _changes(previous_forms, papers)
        return finish(status_name(status, lower=True), [], papers=papers, objective=solver.objective_value,
                      objective_bound=solver.best_objective_bound,
                      removed_ids=removed, added_ids=added, excluded_recent=recent_list)
    if status == cp_model.INFEASIBLE:
        remaining = max(1.0, time_limit_s - (time.perf_counter() - started))
        lines = _explain_infeasible(pool, blueprint, policy, forms, excluded, remaining, num_workers, seed, lang)
        return finish("infeasible", [say(lang, "无法按细目表组卷：", "The blueprint cannot be met:")] + lines,
                      excluded_recent=recent_list)
    return finish(status_name(status, lower=True),
                  [say(lang, f"在 {time_limit_s:g} 秒内没有找到试卷，也没有证明无解；请放宽时间限制。",
                       f"No paper found and no proof of infeasibility within {time_limit_s:g} s; allow more time.")],
                  excluded_recent=recent_list)


def _changes(previous_forms: list[Paper], papers: list[Paper]) -> tuple[list[str], list[str]]:
    if not previous_forms:
        return [], []
    removed = [i for f, p in enumerate(previous_forms) for i in p.item_ids
               if f >= len(papers) or i not in papers[f].item_ids]
    added = [i for f, p in enumerate(papers) for i in p.item_ids
             if f >= len(previous_forms) or i not in previous_forms[f].item_ids]
    return removed, added
