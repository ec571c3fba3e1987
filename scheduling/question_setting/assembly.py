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

from ._common import (
    DIFFICULTY_SCALE, Cell, cell_label, check_lang, fmt_points, say, score_scale, to_units,
)
from .bank import BankItem, recent_exam_ids, symmetric_enemies
from .blueprint import Blueprint
from .feasibility import cell_capacity
from .paper import Paper
from .policy import AssemblyPolicy

FORM_LABELS = "ABCDEFGH"
# Deviations from the difficulty target smaller than this are free: the band is the rule, the target a
# preference, and a dead band lets the solver prove optimality at once on large banks.
TARGET_DEAD_BAND = 0.005
STATUS_NAMES = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible", cp_model.INFEASIBLE: "infeasible",
                cp_model.MODEL_INVALID: "invalid", cp_model.UNKNOWN: "unknown"}


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


@dataclass
class _Pool:
    """The eligible items, indexed, with everything the model needs in integer units."""

    items: list[BankItem]
    scale: int  # score units per point
    score: list[int]
    diff: list[int]  # difficulty × 1000
    by_cell: dict[Cell, list[int]]
    enemy_pairs: list[tuple[int, int]]
    pinned: dict[int, int | None]  # index → required form (None: any form)
    previous: list[set[str]]  # item ids of each previous form
    total_units: int
    cell_units: dict[Cell, int]

    def index(self) -> dict[str, int]:
        return {item.item_id: n for n, item in enumerate(self.items)}


GLOBAL_RULES = frozenset({"disjoint", "diff_low", "diff_high", "enemies", "match", "pin"})


class _PaperModel:
    """CP-SAT model of assembly. Rule groups named in `guarded` sit behind assumption literals (to find
    which groups clash); groups in `skip` are left out (to measure what the others allow)."""

    def __init__(self, pool: _Pool, blueprint: Blueprint, policy: AssemblyPolicy, forms: int,
                 guarded: frozenset[str] = frozenset(), skip: frozenset[str] = frozenset()):
        self.pool, self.blueprint, self.policy, self.forms = pool, blueprint, policy, forms
        self.guarded, self.skip = guarded, skip
        self.model = cp_model.CpModel()
        self.guards: dict[tuple, cp_model.IntVar] = {}
        self.x = {(i, f): self.model.new_bool_var(f"x_{pool.items[i].item_id}_{FORM_LABELS[f]}")
                  for i in range(len(pool.items)) for f in range(forms)}
        n = len(pool.items)
        weights = [pool.score[i] * pool.diff[i] for i in range(n)]
        self.difficulty = [cp_model.LinearExpr.weighted_sum([self.x[i, f] for i in range(n)], weights)
                           for f in range(forms)]

    def _add(self, constraint, key: tuple) -> None:
        if key[0] not in self.guarded:
            return
        if key not in self.guards:
            self.guards[key] = self.model.new_bool_var("guard_" + "_".join(map(str, key)))
        constraint.only_enforce_if(self.guards[key])

    # --- constraint builders ---------------------------------------------------------------

    def add_cells(self) -> None:
        """Every cell gets exactly its points (and its item count, if fixed) on every form."""
        counts = self.blueprint.item_counts
        for cell, members in self.pool.by_cell.items():
            for f in range(self.forms):
                chosen = [self.x[i, f] for i in members]
                points = cp_model.LinearExpr.weighted_sum(chosen, [self.pool.score[i] for i in members])
                self._add(self.model.add(points == self.pool.cell_units[cell]), ("cell", cell))
                if cell in counts:
                    self._add(self.model.add(cp_model.LinearExpr.sum(chosen) == counts[cell]), ("cell", cell))

    def add_forms_disjoint(self) -> None:
        if self.forms < 2:
            return
        for i in range(len(self.pool.items)):
            self._add(self.model.add_at_most_one(self.x[i, f] for f in range(self.forms)), ("disjoint",))

    def add_difficulty_band(self) -> None:
        total = self.pool.total_units
        low = round(self.policy.difficulty_min * DIFFICULTY_SCALE) * total
        high = round(self.policy.difficulty_max * DIFFICULTY_SCALE) * total
        for f in range(self.forms):
            self._add(self.model.add(self.difficulty[f] >= low), ("diff_low",))
            self._add(self.model.add(self.difficulty[f] <= high), ("diff_high",))

    def add_enemies(self) -> None:
        for a, b in self.pool.enemy_pairs:
            for f in range(self.forms):
                self._add(self.model.add_bool_or([self.x[a, f].Not(), self.x[b, f].Not()]), ("enemies",))

    def add_forms_matched(self) -> None:
        tolerance = round(self.policy.form_difficulty_tolerance * DIFFICULTY_SCALE) * self.pool.total_units
        for f in range(1, self.forms):
            self._add(self.model.add(self.difficulty[f] - self.difficulty[0] <= tolerance), ("match",))
            self._add(self.model.add(self.difficulty[0] - self.difficulty[f] <= tolerance), ("match",))

    def add_form_order(self) -> None:
        """Symmetry breaking: fresh forms are interchangeable, so order them by difficulty (A easiest).

        Only when no form is tied to a previous paper or pin, where A and B are no longer alike.
        """
        if self.forms < 2 or self.pool.previous or any(f is not None for f in self.pool.pinned.values()):
            return
        for f in range(1, self.forms):
            self.model.add(self.difficulty[f - 1] >= self.difficulty[f])

    def add_pins(self) -> None:
        for i, form in self.pool.pinned.items():
            key = ("pin", self.pool.items[i].item_id)
            if form is not None and form < self.forms:
                self._add(self.model.add(self.x[i, form] == 1), key)
            else:
                self._add(self.model.add(sum(self.x[i, f] for f in range(self.forms)) == 1), key)

    def add_all_rules(self) -> None:
        builders = {"cell": self.add_cells, "disjoint": self.add_forms_disjoint,
                    "diff": self.add_difficulty_band, "enemies": self.add_enemies,
                    "match": self.add_forms_matched, "pin": self.add_pins, "order": self.add_form_order}
        for name, build in builders.items():
            if name not in self.skip:
                build()

    # --- objective terms ---------------------------------------------------------------------

    def change_penalty(self) -> list:
        """Minimum change: each item of a previous form that leaves that form costs `change_weight`."""
        index = self.pool.index()
        weight = round(self.policy.change_weight * self.pool.total_units)
        terms = []
        for f, previous in enumerate(self.pool.previous[: self.forms]):
            for item_id in previous:
                i = index.get(item_id)
                terms.append(weight * (1 - self.x[i, f]) if i is not None else weight)
        return terms

    def target_penalty(self) -> list:
        """Distance of each form's mean difficulty from the target, beyond a small dead band."""
        total = self.pool.total_units
        low = round((self.policy.target - TARGET_DEAD_BAND) * DIFFICULTY_SCALE) * total
        high = round((self.policy.target + TARGET_DEAD_BAND) * DIFFICULTY_SCALE) * total
        weight = round(self.policy.difficulty_weight * 10)  # per 0.0001 of mean difficulty → integer
        terms = []
        for f in range(self.forms):
            deviation = self.model.new_int_var(0, DIFFICULTY_SCALE * total, f"target_dev_{FORM_LABELS[f]}")
            self.model.add(deviation >= self.difficulty[f] - high)
            self.model.add(deviation >= low - self.difficulty[f])
            terms.append(weight * deviation)
        return terms

    def exposure_penalty(self) -> list:
        """Prefer items used less often (by any cohort): keeps the bank fresh."""
        weight = round(self.policy.exposure_weight * 10 * self.pool.total_units)
        return [weight * len(item.usage) * self.x[i, f] for i, item in enumerate(self.pool.items)
                if item.usage for f in range(self.forms)]

    def set_objective(self) -> None:
        # Units: 0.0001 of mean difficulty ≙ total_units; one change ≙ change_weight × 10000 of those.
        terms = [10 * t for t in self.change_penalty()] + self.target_penalty() + self.exposure_penalty()
        if terms:
            self.model.minimize(sum(terms))


def _solver(time_limit_s: float, num_workers: int, seed: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, float(time_limit_s))
    solver.parameters.num_workers = max(1, int(num_workers))
    solver.parameters.random_seed = seed
    return solver


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
        return finish(STATUS_NAMES[status], [], papers=papers, objective=solver.objective_value,
                      objective_bound=solver.best_objective_bound,
                      removed_ids=removed, added_ids=added, excluded_recent=recent_list)
    if status == cp_model.INFEASIBLE:
        remaining = max(1.0, time_limit_s - (time.perf_counter() - started))
        lines = _explain_infeasible(pool, blueprint, policy, forms, excluded, remaining, num_workers, seed, lang)
        return finish("infeasible", [say(lang, "无法按细目表组卷：", "The blueprint cannot be met:")] + lines,
                      excluded_recent=recent_list)
    return finish(STATUS_NAMES.get(status, "unknown"),
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


# --- explanations ---------------------------------------------------------------------------------

def _pin_problems(pinned: list[str], forbidden: set[str], recent: set[str], known_ids: set[str],
                  bank: list[BankItem], blueprint: Blueprint, lang: str, cohort: int) -> list[str]:
    """Items to keep that cannot be kept whatever else is chosen."""
    by_id = {i.item_id: i for i in bank}
    out = []
    for item_id in pinned:
        if item_id not in known_ids:
            out.append(say(lang, f"保留题目 {item_id} 不在本学科本年级的题库中",
                           f"item {item_id} to keep is not in the bank for this subject and grade"))
        elif item_id in forbidden:
            out.append(say(lang, f"题目 {item_id} 既要保留又要移除", f"item {item_id} is both kept and removed"))
        elif by_id[item_id].cell not in blueprint.cells:
            out.append(say(lang, f"保留题目 {item_id} 的单元{cell_label(by_id[item_id].cell, lang)}不在细目表中",
                           f"item {item_id} to keep belongs to cell {cell_label(by_id[item_id].cell, lang)}, "
                           "which is not in the blueprint"))
        elif item_id in recent:
            out.append(say(lang, f"保留题目 {item_id} 在 {cohort} 届学生最近的考试中用过",
                           f"item {item_id} to keep was used in a recent exam of cohort {cohort}"))
    enemies = symmetric_enemies([by_id[p] for p in pinned if p in by_id])
    for a, b in sorted({tuple(sorted((a, b))) for a, others in enemies.items() for b in others}):
        out.append(say(lang, f"保留题目 {a} 与 {b} 互斥，不能同卷", f"items to keep {a} and {b} are enemies"))
    return out


def _exclusion_note(counter: Counter, lang: str) -> str:
    parts = []
    if counter.get("recent"):
        parts.append(say(lang, f"{counter['recent']} 题因本届学生最近考试用过而排除",
                         f"{counter['recent']} excluded as recently used by this cohort"))
    if counter.get("forbidden"):
        parts.append(say(lang, f"{counter['forbidden']} 题被审题人移除", f"{counter['forbidden']} removed by the reviewer"))
    if not parts:
        return ""
    return say(lang, "（另有 " + "，".join(parts) + "）", " (" + "; ".join(parts) + ")")


def _capacity_problems(pool: _Pool, blueprint: Blueprint, forms: int, excluded: dict[Cell, Counter],
                       policy: AssemblyPolicy, lang: str) -> list[str]:
    """Cells whose eligible items cannot make their points exactly, with the shortfall in points."""
    out = []
    s = pool.scale
    for cell, members in pool.by_cell.items():
        need = pool.cell_units[cell]
        count = blueprint.item_counts.get(cell)
        pinned = [i for i in members if i in pool.pinned]
        free = [pool.score[i] for i in members if i not in pool.pinned]
        pinned_points = sum(pool.score[i] for i in pinned)
        label, points, note = cell_label(cell, lang), fmt_points(need / s), _exclusion_note(excluded[cell], lang)
        if forms == 1:
            if pinned_points > need:
                out.append(say(lang, f"单元{label}需 {points} 分，保留的题目已有 {fmt_points(pinned_points / s)} 分",
                               f"cell {label} needs {points} points but the items to keep already have "
                               f"{fmt_points(pinned_points / s)}"))
                continue
            if count is not None and len(pinned) > count:
                out.append(say(lang, f"单元{label}只要 {count} 题，保留的题目有 {len(pinned)} 题",
                               f"cell {label} takes {count} items but {len(pinned)} are to be kept"))
                continue
            capacity = cell_capacity(free, need - pinned_points, None if count is None else count - len(pinned))
            extra_points, extra_items = pinned_points, len(pinned)
        else:
            # Several forms: pinned items count like the others (each goes on one form).
            scores = free + [pool.score[i] for i in pinned]
            if sum(scores) < forms * need:
                have = sum(scores)
                out.append(say(lang, f"单元{label}：{forms} 套试卷共需 {fmt_points(forms * need / s)} 分（各 {points} 分，"
                                     f"不共用题目），可用题目合计只有 {fmt_points(have / s)} 分（{len(scores)} 题），"
                                     f"缺 {fmt_points((forms * need - have) / s)} 分{note}",
                               f"cell {label}: {forms} forms need {fmt_points(forms * need / s)} points "
                               f"({points} each, no shared items) but the eligible items total "
                               f"{fmt_points(have / s)} ({len(scores)} items), "
                               f"{fmt_points((forms * need - have) / s)} short{note}"))
                continue
            if count is not None and len(scores) < forms * count:
                out.append(say(lang, f"单元{label}：{forms} 套试卷共需 {forms * count} 题，可用题目只有 "
                                     f"{len(scores)} 题{note}",
                               f"cell {label}: {forms} forms need {forms * count} items, only "
                               f"{len(scores)} are eligible{note}"))
                continue
            capacity = cell_capacity(scores, need, count)
            extra_points, extra_items = 0, 0
        if capacity.exact:
            continue
        if capacity.shortfall > 0:
            out.append(say(lang, f"单元{label}需 {points} 分，可用题目合计只有 "
                                 f"{fmt_points((capacity.available + extra_points) / s)} 分"
                                 f"（{capacity.available_items + extra_items} 题），缺 {fmt_points(capacity.shortfall / s)} 分{note}",
                           f"cell {label} needs {points} points, the eligible items total only "
                           f"{fmt_points((capacity.available + extra_points) / s)} "
                           f"({capacity.available_items + extra_items} items): "
                           f"{fmt_points(capacity.shortfall / s)} short{note}"))
        elif capacity.need_items is not None and capacity.available_items < capacity.need_items:
            out.append(say(lang, f"单元{label}需 {count} 题，可用题目只有 {capacity.available_items + extra_items} 题{note}",
                           f"cell {label} needs {count} items, only {capacity.available_items + extra_items} "
                           f"are eligible{note}"))
        else:
            scores = sorted({pool.score[i] for i in members})
            score_text = "、".join(fmt_points(v / s) for v in scores)
            near = [fmt_points((v + extra_points) / s)
                    for v in (capacity.nearest_below, capacity.nearest_above) if v is not None]
            how = say(lang, f"恰好 {count} 题" if count is not None else "", f"exactly {count} items " if count else "")
            out.append(say(lang, f"单元{label}需 {points} 分，可用题目的分值（{score_text} 分）无法用{how}凑出恰好 {points} 分"
                                 + (f"，最接近的是 {' 或 '.join(near)} 分" if near else "") + note,
                           f"cell {label} needs {points} points; no {how}combination of the eligible items' scores "
                           f"({score_text}) makes exactly {points}"
                           + (f"; nearest: {' or '.join(near)}" if near else "") + note))
    return out


def _solve_with_assumptions(pool, blueprint, policy, forms, keys, time_limit_s, num_workers, seed,
                            objective=None, skip=frozenset()):
    """Cells hard, global rule groups guarded; assume exactly the guards in `keys`.

    Why cells are not guarded: each cell alone passed the capacity check, and guarding thousands of
    cell constraints weakens presolve so much that a 5,000-item bank times out.
    """
    paper_model = _PaperModel(pool, blueprint, policy, forms, guarded=GLOBAL_RULES, skip=skip)
    paper_model.add_all_rules()
    keys = list(paper_model.guards) if keys is None else keys
    wanted = [paper_model.guards[k] for k in keys if k in paper_model.guards]
    for key, guard in paper_model.guards.items():
        if key not in keys:
            paper_model.model.add(guard == 0)  # a dropped rule must not be enforced
    paper_model.model.add_assumptions(wanted)
    if objective is not None:
        objective(paper_model)
    solver = _solver(time_limit_s, num_workers, seed)
    status = solver.solve(paper_model.model)
    return status, solver, paper_model


def _explain_infeasible(pool: _Pool, blueprint: Blueprint, policy: AssemblyPolicy, forms: int,
                        excluded: dict[Cell, Counter], time_limit_s: float, num_workers: int, seed: int,
                        lang: str) -> list[str]:
    """Every cell alone is fillable, so global rules clash: find a small core of the rule groups that do."""
    budget = time_limit_s / 3
    status, solver, paper_model = _solve_with_assumptions(pool, blueprint, policy, forms, None, budget,
                                                          num_workers, seed)
    keys = list(paper_model.guards)
    if status != cp_model.INFEASIBLE:
        # Can only happen on a time-out: the unguarded model was proven infeasible.
        return [say(lang, "求解器未能在时限内确定冲突的约束", "the solver could not isolate the conflict in time")]
    by_literal = {guard.index: key for key, guard in paper_model.guards.items()}
    core = [by_literal[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in by_literal]
    core = _shrink_core(core or keys, pool, blueprint, policy, forms, budget, num_workers, seed)
    return _core_lines(core, keys, pool, blueprint, policy, forms, excluded, budget, num_workers, seed, lang)


def _shrink_core(core: list[tuple], pool, blueprint, policy, forms, budget, num_workers, seed) -> list[tuple]:
    """Deletion-based minimisation: drop a rule group when the rest still clash (small cores only)."""
    if len(core) > 12:
        return core
    per_solve = max(0.2, budget / (len(core) + 1))
    kept = list(core)
    for key in list(core):
        trial = [k for k in kept if k != key]
        status, _, _ = _solve_with_assumptions(pool, blueprint, policy, forms, trial, per_solve, num_workers, seed)
        if status == cp_model.INFEASIBLE:
            kept = trial
    return kept


def _difficulty_range(keys, pool, blueprint, policy, forms, budget, num_workers, seed) -> tuple[float, float] | None:
    """Lowest and highest mean difficulty of form A with every rule except the band (None if unknown)."""
    others = [k for k in keys if k[0] not in ("diff_low", "diff_high")]
    bounds = []
    for sense in ("min", "max"):
        def objective(m, sense=sense):
            (m.model.minimize if sense == "min" else m.model.maximize)(m.difficulty[0])
        status, solver, _ = _solve_with_assumptions(pool, blueprint, policy, forms, others, budget / 2,
                                                    num_workers, seed, objective, skip=frozenset({"diff", "order"}))
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        value = solver.best_objective_bound if status == cp_model.FEASIBLE else solver.objective_value
        bounds.append(value / (DIFFICULTY_SCALE * pool.total_units))
    return bounds[0], bounds[1]


def _sub_pool(pool: _Pool, cell: Cell) -> _Pool:
    """The pool restricted to one cell's items (to test a clash cell by cell)."""
    members = pool.by_cell[cell]
    new_index = {old: new for new, old in enumerate(members)}
    return _Pool(
        items=[pool.items[i] for i in members], scale=pool.scale, score=[pool.score[i] for i in members],
        diff=[pool.diff[i] for i in members], by_cell={cell: list(range(len(members)))},
        enemy_pairs=[(new_index[a], new_index[b]) for a, b in pool.enemy_pairs if a in new_index and b in new_index],
        pinned={new_index[i]: f for i, f in pool.pinned.items() if i in new_index}, previous=pool.previous,
        total_units=pool.cell_units[cell], cell_units={cell: pool.cell_units[cell]})


def _cells_in_clash(core, pool, blueprint, policy, forms, budget, num_workers, seed) -> list[Cell]:
    """Cells that cannot be filled on their own under the core's item rules (enemies, forms, pins)."""
    rules = {k[0] for k in core} & {"enemies", "disjoint", "pin"}
    if not rules:
        return []
    skip = frozenset({"diff", "match", "order", "enemies", "disjoint", "pin"} - rules)
    per_cell = max(0.05, budget / max(1, len(pool.by_cell)))
    out = []
    for cell in pool.by_cell:
        sub = _sub_pool(pool, cell)
        paper_model = _PaperModel(sub, blueprint, policy, forms, skip=skip)
        paper_model.add_all_rules()
        status = _solver(per_cell, num_workers, seed).solve(paper_model.model)
        if status == cp_model.INFEASIBLE:
            out.append(cell)
    return out


def _core_lines(core, keys, pool, blueprint, policy, forms, excluded, budget, num_workers, seed, lang) -> list[str]:
    lines = []
    s = pool.scale
    cells = _cells_in_clash(core, pool, blueprint, policy, forms, budget, num_workers, seed)
    kinds = {k[0] for k in core}
    band = f"{policy.difficulty_min:.2f}–{policy.difficulty_max:.2f}"
    if kinds & {"diff_low", "diff_high"}:
        reach = _difficulty_range(keys, pool, blueprint, policy, forms, budget, num_workers, seed)
        reach_zh = f"，满足其他要求的组卷平均难度系数只能在 {reach[0]:.3f}–{reach[1]:.3f} 之间" if reach else ""
        reach_en = f"; with every other rule met, the mean difficulty can only be {reach[0]:.3f}–{reach[1]:.3f}" \
            if reach else ""
        if "diff_low" in kinds:
            lines.append(say(lang, f"平均难度系数（得分率）达不到下限 {policy.difficulty_min:.2f}（目标区间 {band}）"
                                   f"{reach_zh}：可用题目偏难",
                             f"the mean difficulty (expected score rate) cannot reach the lower bound "
                             f"{policy.difficulty_min:.2f} (band {band}){reach_en}: the eligible items are too hard"))
        if "diff_high" in kinds:
            lines.append(say(lang, f"平均难度系数（得分率）降不到上限 {policy.difficulty_max:.2f}（目标区间 {band}）"
                                   f"{reach_zh}：可用题目偏易",
                             f"the mean difficulty (expected score rate) cannot get below the upper bound "
                             f"{policy.difficulty_max:.2f} (band {band}){reach_en}: the eligible items are too easy"))
    if "enemies" in kinds:
        lines.append(say(lang, "互斥题目不能同卷，去掉互斥的题后下列单元凑不出所需分值",
                         "enemy items may not share a paper, and without them the cells below cannot be filled"))
    if "disjoint" in kinds:
        lines.append(say(lang, f"{forms} 套试卷不能共用题目，下列单元的可用题目不够分成 {forms} 套",
                         f"the {forms} forms may not share items, and the cells below cannot be split {forms} ways"))
    if "match" in kinds:
        lines.append(say(lang, f"各套试卷平均难度之差须不超过 {policy.form_difficulty_tolerance:.3f}，无法做到",
                         f"the forms' mean difficulties cannot be kept within "
                         f"{policy.form_difficulty_tolerance:.3f} of each other"))
    for key in core:
        if key[0] == "pin":
            lines.append(say(lang, f"保留题目 {key[1]} 与其他要求冲突", f"keeping item {key[1]} clashes with the rest"))
    for cell in cells:
        members = pool.by_cell[cell]
        have = sum(pool.score[i] for i in members)
        lines.append(say(lang, f"涉及单元{cell_label(cell, lang)}：需 {fmt_points(pool.cell_units[cell] / s)} 分，"
                               f"可用 {len(members)} 题共 {fmt_points(have / s)} 分{_exclusion_note(excluded[cell], lang)}",
                         f"involves cell {cell_label(cell, lang)}: needs {fmt_points(pool.cell_units[cell] / s)} "
                         f"points; {len(members)} eligible items total {fmt_points(have / s)}"
                         f"{_exclusion_note(excluded[cell], lang)}"))
    if kinds & {"enemies", "disjoint"} and not cells:
        lines.append(say(lang, "每个单元单独都能满足，冲突发生在多个单元之间（跨单元的互斥题目）",
                         "each cell can be filled alone; the clash spans several cells (enemies across cells)"))
    if not lines:
        lines.append(say(lang, "细目表各单元单独都能满足，但合在一起无法满足",
                         "every cell can be met alone, but not all together"))
    return lines
