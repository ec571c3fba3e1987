"""Why a blueprint cannot be met (组卷无解的原因): items to keep that cannot be kept, cells the eligible
items cannot fill exactly, and the global rule groups that clash (the kit's minimal-conflict search)."""
from __future__ import annotations

from collections import Counter

from ortools.sat.python import cp_model

from ..cpsat import minimal_core
from ._common import DIFFICULTY_SCALE, Cell, cell_label, fmt_points, say
from .assembly_model import GLOBAL_RULES, _PaperModel, _Pool, _solver
from .bank import BankItem, symmetric_enemies
from .blueprint import Blueprint
from .feasibility import cell_capacity
from .policy import AssemblyPolicy

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
    """Every cell alone is fillable, so global rules clash: find a small core of the rule groups that do.

    Cells stay hard (see `_solve_with_assumptions`); the global rule groups are guarded, and the
    kit's search starts from the solver's assumption core, with presolve (large banks need it), and
    shrinks it by deletion when it has at most 12 groups (larger ones would take too many solves)."""
    budget = time_limit_s / 3
    paper_model = _PaperModel(pool, blueprint, policy, forms, guarded=GLOBAL_RULES)
    paper_model.add_all_rules()
    keys = list(paper_model.guards)
    found = minimal_core(paper_model.model, keys, time_limit_s=2 * budget, num_workers=num_workers,
                         literal=paper_model.guards.__getitem__, others="off", assumption_presolve=True,
                         shrink_limit=12)
    if found is None:
        # Can only happen on a time-out: the unguarded model was proven infeasible.
        return [say(lang, "求解器未能在时限内确定冲突的约束", "the solver could not isolate the conflict in time")]
    return _core_lines(found.core, keys, pool, blueprint, policy, forms, excluded, budget, num_workers, seed, lang)


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
