"""Paper assembly: exact blueprint matching, the difficulty band, recency, enemies, A/B forms, swaps."""
import datetime as dt
import itertools
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.vocab import COGNITIVE_LEVELS, ITEM_TYPES
from scheduling.question_setting import AssemblyPolicy, BankItem, Blueprint, ItemUse, assemble_paper

COHORT = 2016
EXAMS = [(f"E{n}", dt.date(2023, 1, 1) + dt.timedelta(days=40 * n)) for n in range(1, 7)]
AREAS = ["数与式", "函数", "几何"]
SCORES = [1, 2, 3, 4, 5, 6, 8, 10]
HYPOTHESIS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def make_item(item_id, cell, score, difficulty, enemies=(), usage=()):
    area, level, item_type = cell
    return BankItem(item_id, "math", 8, item_type, float(score), area, level, difficulty, key="A",
                    enemies=tuple(enemies), usage=tuple(usage))


def use(exam_index: int, cohort: int = COHORT) -> ItemUse:
    exam_id, day = EXAMS[exam_index]
    return ItemUse(exam_id, cohort, day)


def exam_history_items() -> list[BankItem]:
    """One item per exam outside any blueprint cell, so every exam counts in the cohort's history."""
    return [make_item(f"H{n}", ("历史", "remember", "fill_in"), 2, 0.5, usage=[use(n)]) for n in range(len(EXAMS))]


def all_enemy_pairs(bank):
    pairs = set()
    for item in bank:
        for other in item.enemies:
            pairs.add(frozenset((item.item_id, other)))
    return pairs


def cohort_recent_ids(bank, last_n):
    recent_exams = {exam_id for exam_id, _ in sorted(EXAMS, key=lambda e: e[1])[-last_n:]}
    return {i.item_id for i in bank if any(u.cohort == COHORT and u.exam_id in recent_exams for u in i.usage)}


cells_strategy = st.lists(st.tuples(st.sampled_from(AREAS), st.sampled_from(list(COGNITIVE_LEVELS)),
                                    st.sampled_from(list(ITEM_TYPES))), min_size=1, max_size=5, unique=True)


@st.composite
def feasible_case(draw, forms: int = 1):
    """A bank with a hidden paper (or two disjoint matched ones) that meets every rule by construction."""
    cells = draw(cells_strategy)
    last_n = draw(st.integers(1, 4))
    recent_exam_indices = list(range(len(EXAMS)))[-last_n:]
    old_exam_indices = [n for n in range(len(EXAMS)) if n not in recent_exam_indices]
    witnesses: list[list[BankItem]] = [[] for _ in range(forms)]
    bank = exam_history_items()
    counter = itertools.count()
    for cell in cells:
        for _ in range(draw(st.integers(1, 3))):
            score = draw(st.sampled_from(SCORES))
            difficulty = draw(st.integers(20, 95)) / 100
            for f in range(forms):
                # Twins of the other forms differ by at most 0.01 in difficulty.
                d = difficulty if f == 0 else min(0.99, max(0.01, difficulty + draw(st.integers(-1, 1)) / 100))
                usage = []
                if old_exam_indices and draw(st.booleans()):
                    usage.append(use(draw(st.sampled_from(old_exam_indices))))  # old use: still allowed
                if draw(st.booleans()):
                    usage.append(use(recent_exam_indices[-1], cohort=COHORT + 1))  # another cohort: allowed
                item = make_item(f"W{next(counter)}", cell, score, d, usage=usage)
                witnesses[f].append(item)
                bank.append(item)
    witness_ids = [i.item_id for w in witnesses for i in w]
    for _ in range(draw(st.integers(0, 15))):
        cell = draw(st.sampled_from(cells))
        kind = draw(st.sampled_from(["plain", "recent", "enemy"]))
        usage = [use(draw(st.sampled_from(recent_exam_indices)))] if kind == "recent" else []
        enemies = [draw(st.sampled_from(witness_ids))] if kind == "enemy" else []
        bank.append(make_item(f"D{next(counter)}", cell, draw(st.sampled_from(SCORES)),
                              draw(st.integers(5, 99)) / 100, enemies=enemies, usage=usage))
    means = [sum(i.max_score * i.difficulty for i in w) / sum(i.max_score for i in w) for w in witnesses]
    margin = draw(st.integers(0, 50)) / 1000
    low = max(0.0, math.floor((min(means) - margin) * 1000) / 1000)
    high = min(1.0, math.ceil((max(means) + margin) * 1000) / 1000)
    points: dict = {}
    for item in witnesses[0]:
        points[item.cell] = points.get(item.cell, 0) + item.max_score
    blueprint = Blueprint("math", 8, sum(points.values()), points)
    policy = AssemblyPolicy(difficulty_min=low, difficulty_max=high, recent_exams_excluded=last_n,
                            form_difficulty_tolerance=0.02)
    order = draw(st.permutations(bank))  # the solver must not depend on the bank's order
    return list(order), blueprint, policy


def check_paper_rules(paper, bank, blueprint, policy):
    assert paper.cell_points() == pytest.approx(blueprint.cells)
    assert paper.total == pytest.approx(blueprint.total)
    assert policy.difficulty_min - 1e-9 <= paper.mean_difficulty <= policy.difficulty_max + 1e-9
    ids = set(paper.item_ids)
    assert len(ids) == len(paper.items)
    assert not any(pair <= ids for pair in all_enemy_pairs(bank))
    assert not ids & cohort_recent_ids(bank, policy.recent_exams_excluded)
    assert [p.number for p in paper.items] == list(range(1, len(paper.items) + 1))


@HYPOTHESIS
@given(feasible_case())
def test_feasible_blueprints_are_met_exactly(case):
    bank, blueprint, policy = case
    result = assemble_paper(bank, blueprint, policy, cohort=COHORT, num_workers=1, time_limit_s=10)
    assert result.ok, result.explanation
    check_paper_rules(result.paper, bank, blueprint, policy)
    assert set(result.excluded_recent) == cohort_recent_ids(bank, policy.recent_exams_excluded)


@HYPOTHESIS
@given(feasible_case(forms=2))
def test_parallel_forms_are_disjoint_and_matched(case):
    bank, blueprint, policy = case
    result = assemble_paper(bank, blueprint, policy, cohort=COHORT, forms=2, num_workers=1, time_limit_s=10)
    assert result.ok, result.explanation
    a, b = result.forms
    assert (a.form, b.form) == ("A", "B")
    for paper in (a, b):
        check_paper_rules(paper, bank, blueprint, policy)
    assert not set(a.item_ids) & set(b.item_ids)
    assert abs(a.mean_difficulty - b.mean_difficulty) <= policy.form_difficulty_tolerance + 1e-9


# --- exhaustive cross-checks on small banks --------------------------------------------------------

@st.composite
def small_case(draw):
    """A small random bank and blueprint, feasible or not."""
    cells = draw(st.lists(st.tuples(st.sampled_from(AREAS[:2]), st.just("apply"),
                                    st.sampled_from(["fill_in", "subjective"])), min_size=1, max_size=2, unique=True))
    items = []
    for n in range(draw(st.integers(2, 9))):
        items.append(make_item(f"S{n}", draw(st.sampled_from(cells)), draw(st.integers(1, 4)),
                               draw(st.integers(30, 90)) / 100))
    ids = [i.item_id for i in items]
    enemy_pairs = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=3))
    items = [make_item(i.item_id, i.cell, i.max_score, i.difficulty,
                       enemies=[b for a, b in enemy_pairs if a == i.item_id and b != i.item_id]) for i in items]
    points = {cell: draw(st.integers(1, 8)) for cell in cells}
    counts = {cell: draw(st.integers(1, 3)) for cell in cells} if draw(st.booleans()) else {}
    low = draw(st.integers(30, 80)) / 100
    high = min(1.0, low + draw(st.integers(0, 30)) / 100)
    policy = AssemblyPolicy(difficulty_min=low, difficulty_max=high, recent_exams_excluded=0)
    return items, Blueprint("math", 8, sum(points.values()), points, counts), policy


def valid_subsets(items, blueprint, policy, forbidden=(), pinned=()):
    """Every item set that meets every rule, by enumeration (integer arithmetic like the model)."""
    pool = [i for i in items if i.item_id not in forbidden and i.cell in blueprint.cells]
    pairs = all_enemy_pairs(items)
    low, high = round(policy.difficulty_min * 1000), round(policy.difficulty_max * 1000)
    out = []
    for r in range(len(pool) + 1):
        for subset in itertools.combinations(pool, r):
            ids = {i.item_id for i in subset}
            if not set(pinned) <= ids or any(pair <= ids for pair in pairs):
                continue
            points, counts = {}, {}
            for i in subset:
                points[i.cell] = points.get(i.cell, 0) + i.max_score
                counts[i.cell] = counts.get(i.cell, 0) + 1
            if points != blueprint.cells or any(counts.get(c) != k for c, k in blueprint.item_counts.items()):
                continue
            weighted = sum(int(i.max_score) * round(i.difficulty * 1000) for i in subset)
            if low * blueprint.total <= weighted <= high * blueprint.total:
                out.append(ids)
    return out


@HYPOTHESIS
@given(small_case())
def test_infeasible_exactly_when_no_valid_paper_exists(case):
    items, blueprint, policy = case
    result = assemble_paper(items, blueprint, policy, cohort=COHORT, num_workers=1)
    solutions = valid_subsets(items, blueprint, policy)
    if solutions:
        assert result.ok, result.explanation
        assert set(result.paper.item_ids) in solutions
    else:
        assert result.status == "infeasible"
        assert len(result.explanation) >= 2  # a header and at least one reason


@HYPOTHESIS
@given(small_case(), st.data())
def test_swap_changes_as_few_items_as_possible(case, data):
    items, blueprint, policy = case
    # The first paper aims at another difficulty target, so a fresh optimum would differ from it.
    first_policy = AssemblyPolicy.from_dict({**policy.to_dict(), "difficulty_target": data.draw(st.sampled_from(
        [policy.difficulty_min, policy.difficulty_max]))})
    first = assemble_paper(items, blueprint, first_policy, cohort=COHORT, num_workers=1)
    if not first.ok:
        return
    previous = first.paper
    forbidden = data.draw(st.lists(st.sampled_from(previous.item_ids), max_size=1, unique=True))
    keep = [i for i in previous.item_ids if i not in forbidden]
    pinned = data.draw(st.lists(st.sampled_from(keep), max_size=1, unique=True)) if keep else []
    result = assemble_paper(items, blueprint, policy, cohort=COHORT, forbidden=forbidden, pinned=pinned,
                            previous=previous, num_workers=1)
    solutions = valid_subsets(items, blueprint, policy, forbidden=forbidden, pinned=pinned)
    if not solutions:
        assert result.status == "infeasible"
        return
    assert result.ok, result.explanation
    fewest = min(len(set(previous.item_ids) - s) for s in solutions)
    assert len(result.removed_ids) == fewest
    assert set(result.removed_ids) == set(previous.item_ids) - set(result.paper.item_ids)
    assert set(forbidden) <= set(result.removed_ids)
    assert set(pinned) <= set(result.paper.item_ids)


def test_swap_keeps_the_rest_of_the_paper():
    """Without the previous paper the re-assembly would aim at the new target and change more."""
    bank = [make_item(f"C{n}", CHOICE, 3, d) for n, d in enumerate([0.5, 0.52, 0.54, 0.9, 0.92, 0.94, 0.55])]
    blueprint = Blueprint("math", 8, 9, {CHOICE: 9})
    hard = AssemblyPolicy(difficulty_min=0.4, difficulty_max=1.0, difficulty_target=0.5)
    easy = AssemblyPolicy(difficulty_min=0.4, difficulty_max=1.0, difficulty_target=0.95)
    previous = assemble_paper(bank, blueprint, hard, cohort=COHORT).paper
    assert set(previous.item_ids) == {"C0", "C1", "C2"}
    fresh = assemble_paper(bank, blueprint, easy, cohort=COHORT, forbidden=["C1"]).paper
    assert set(fresh.item_ids) == {"C3", "C4", "C5"}
    swapped = assemble_paper(bank, blueprint, easy, cohort=COHORT, forbidden=["C1"], previous=previous)
    assert swapped.removed_ids == ["C1"] and len(swapped.added_ids) == 1
    assert {"C0", "C2"} <= set(swapped.paper.item_ids)
    pinned = assemble_paper(bank, blueprint, easy, cohort=COHORT, pinned=["C0"])
    assert "C0" in pinned.paper.item_ids


# --- explanations -----------------------------------------------------------------------------------

CHOICE = ("函数", "remember", "single_choice")
ESSAY = ("几何", "apply", "subjective")


def simple_bank(n_choice=10, n_essay=4, difficulty=0.65, essay_score=10):
    bank = [make_item(f"C{n}", CHOICE, 3, difficulty) for n in range(n_choice)]
    bank += [make_item(f"E{n}", ESSAY, essay_score, difficulty) for n in range(n_essay)]
    return bank


def test_cell_lacking_points_is_named_with_its_shortfall():
    bank = simple_bank(n_choice=5)  # 15 choice points
    blueprint = Blueprint("math", 8, 41, {CHOICE: 21, ESSAY: 20})
    result = assemble_paper(bank, blueprint, cohort=COHORT)
    assert result.status == "infeasible" and not result.forms
    text = "\n".join(result.explanation)
    assert "函数 × 识记 × 单选题" in text and "需 21 分" in text and "缺 6 分" in text
    assert "几何" not in text  # the essay cell is fine
    english = "\n".join(assemble_paper(bank, blueprint, cohort=COHORT, lang="en").explanation)
    assert "函数 × remember × single_choice" in english and "6 short" in english


def test_cell_whose_scores_cannot_make_the_points_exactly():
    bank = simple_bank(n_essay=3)  # essay items of 10 points
    blueprint = Blueprint("math", 8, 40, {CHOICE: 15, ESSAY: 25})
    text = "\n".join(assemble_paper(bank, blueprint, cohort=COHORT).explanation)
    assert "恰好 25 分" in text and "20 或 30" in text


def test_recently_used_and_removed_items_are_counted_in_the_explanation():
    bank = simple_bank(n_choice=6) + exam_history_items()
    bank = [make_item(i.item_id, i.cell, i.max_score, i.difficulty, usage=[use(5)]) if i.item_id in ("C0", "C1")
            else i for i in bank]
    blueprint = Blueprint("math", 8, 38, {CHOICE: 18, ESSAY: 20})
    result = assemble_paper(bank, blueprint, AssemblyPolicy(recent_exams_excluded=1), cohort=COHORT,
                            forbidden=["C2"])
    text = "\n".join(result.explanation)
    assert result.status == "infeasible"
    assert "缺 9 分" in text and "2 题因本届学生最近考试用过而排除" in text and "1 题被审题人移除" in text
    # the same items are fine for another cohort
    assert assemble_paper(bank, blueprint, AssemblyPolicy(recent_exams_excluded=1), cohort=COHORT + 1).ok


@pytest.mark.parametrize("difficulty, bound, word", [(0.40, "下限 0.60", "偏难"), (0.90, "上限 0.75", "偏易")])
def test_impossible_difficulty_band_is_named(difficulty, bound, word):
    bank = simple_bank(difficulty=difficulty)
    blueprint = Blueprint("math", 8, 50, {CHOICE: 30, ESSAY: 20})
    result = assemble_paper(bank, blueprint, cohort=COHORT, num_workers=1)
    text = "\n".join(result.explanation)
    assert result.status == "infeasible"
    assert bound in text and word in text
    assert f"{difficulty:.3f}–{difficulty:.3f}" in text  # the reachable range
    english = "\n".join(assemble_paper(bank, blueprint, cohort=COHORT, num_workers=1, lang="en").explanation)
    assert "mean difficulty" in english


def test_band_reachable_only_by_a_mix_is_met():
    easy = [make_item(f"C{n}", CHOICE, 3, 0.9) for n in range(10)]
    hard = [make_item(f"E{n}", ESSAY, 10, 0.4) for n in range(4)]
    blueprint = Blueprint("math", 8, 50, {CHOICE: 30, ESSAY: 20})
    result = assemble_paper(easy + hard, blueprint, cohort=COHORT)
    assert result.ok and result.paper.mean_difficulty == pytest.approx((30 * 0.9 + 20 * 0.4) / 50)


def test_enemies_that_block_a_cell_are_explained():
    bank = [make_item("C0", CHOICE, 3, 0.65, enemies=["C1"]), make_item("C1", CHOICE, 3, 0.65)]
    bank += [make_item("E0", ESSAY, 10, 0.65)]
    result = assemble_paper(bank, Blueprint("math", 8, 16, {CHOICE: 6, ESSAY: 10}), cohort=COHORT, num_workers=1)
    text = "\n".join(result.explanation)
    assert result.status == "infeasible" and "互斥" in text and "函数 × 识记 × 单选题" in text
    assert "几何" not in text  # the core is minimal: the essay cell is not part of the clash


def test_enemies_across_cells_are_explained():
    bank = [make_item("C0", CHOICE, 3, 0.65, enemies=["E0"]), make_item("E0", ESSAY, 10, 0.65)]
    result = assemble_paper(bank, Blueprint("math", 8, 13, {CHOICE: 3, ESSAY: 10}), cohort=COHORT, num_workers=1)
    text = "\n".join(result.explanation)
    assert result.status == "infeasible" and "互斥" in text and "多个单元之间" in text


def test_band_explanation_on_a_large_bank_comes_in_time():
    """Guarding every cell made the core search time out on large banks; cells stay hard now."""
    from scheduling.question_setting import default_blueprint
    from scheduling.question_setting.synthetic import synthetic_bank
    bank = synthetic_bank(3000, seed=11)
    blueprint = default_blueprint("math", 8, bank)
    result = assemble_paper(bank, blueprint, AssemblyPolicy(difficulty_min=0.95, difficulty_max=0.99),
                            cohort=COHORT, time_limit_s=10)
    assert result.status == "infeasible"
    assert any("下限 0.95" in line and "之间" in line for line in result.explanation), result.explanation
    assert result.solve_seconds < 10


def test_forms_lacking_items_are_explained():
    bank = simple_bank(n_choice=15, n_essay=3)
    blueprint = Blueprint("math", 8, 50, {CHOICE: 30, ESSAY: 20})
    result = assemble_paper(bank, blueprint, cohort=COHORT, forms=2)
    text = "\n".join(result.explanation)
    assert result.status == "infeasible" and "2 套试卷共需 40 分" in text and "缺 10 分" in text


def test_unmatched_forms_are_explained():
    bank = [make_item(f"E{n}", ESSAY, 10, d) for n, d in enumerate([0.60, 0.70])]
    policy = AssemblyPolicy(difficulty_min=0.5, difficulty_max=0.8, form_difficulty_tolerance=0.05)
    result = assemble_paper(bank, Blueprint("math", 8, 10, {ESSAY: 10}), policy, cohort=COHORT, forms=2,
                            num_workers=1)
    assert result.status == "infeasible" and any("0.050" in line for line in result.explanation)
    looser = AssemblyPolicy(difficulty_min=0.5, difficulty_max=0.8, form_difficulty_tolerance=0.1)
    assert assemble_paper(bank, Blueprint("math", 8, 10, {ESSAY: 10}), looser, cohort=COHORT, forms=2).ok


def test_impossible_pins_are_explained():
    bank = simple_bank()
    blueprint = Blueprint("math", 8, 50, {CHOICE: 30, ESSAY: 20})
    text = "\n".join(assemble_paper(bank, blueprint, cohort=COHORT, pinned=["C1", "NOPE"], forbidden=["C1"]).explanation)
    assert "C1" in text and "NOPE" in text
    too_many = assemble_paper(bank, Blueprint("math", 8, 36, {CHOICE: 6, ESSAY: 30}), cohort=COHORT,
                              pinned=["C1", "C2", "C3"])
    assert "已有 9 分" in "\n".join(too_many.explanation)


def test_invalid_blueprint_is_reported_not_solved():
    result = assemble_paper(simple_bank(), Blueprint("math", 8, 100, {CHOICE: 30}), cohort=COHORT)
    assert result.status == "invalid" and any("30" in line for line in result.explanation)


# --- the paper and its marking standard ---------------------------------------------------------

def test_paper_order_key_and_marking_standard():
    bank = [make_item("C0", CHOICE, 3, 0.7), make_item("C1", CHOICE, 3, 0.8),
            make_item("F0", ("函数", "understand", "fill_in"), 4, 0.6),
            BankItem("E0", "math", 8, "subjective", 12, "几何", "apply", 0.5, rubric="列方程 4 分，求解 8 分"),
            BankItem("E1", "math", 8, "subjective", 20, "几何", "analyse", 0.45, score_step=0.5),
            BankItem("E2", "math", 8, "subjective", 4, "几何", "remember", 0.6)]
    cells = {}
    for item in bank:
        cells[item.cell] = cells.get(item.cell, 0) + item.max_score
    policy = AssemblyPolicy(difficulty_min=0.4, difficulty_max=0.8)
    paper = assemble_paper(bank, Blueprint("math", 8, 46, cells), policy, cohort=COHORT).paper
    assert paper.item_ids == ["C1", "C0", "F0", "E2", "E0", "E1"]  # sections, easy first within a section
    marking = {p.item.item_id: p.marking for p in paper.items}
    assert (marking["C0"].score_step, marking["C0"].double_marked, marking["C0"].tolerance) == (3, False, None)
    assert marking["C0"].key == "A"
    assert (marking["E0"].score_step, marking["E0"].tolerance, marking["E0"].rubric) == (1, 1, "列方程 4 分，求解 8 分")
    assert (marking["E1"].score_step, marking["E1"].tolerance) == (0.5, 2.0)  # 10% of 20
    assert marking["E2"].tolerance == 1  # 10% of 4 is under one step: one step
    frame = paper.marking_standard_frame()
    assert list(frame.columns) == ["题号", "题目编号", "题型", "满分", "答案", "评分标准", "给分步长", "双评", "双评误差"]
    assert list(frame["题号"]) == [1, 2, 3, 4, 5, 6] and frame["双评"].tolist().count("是") == 3
    assert list(paper.to_frame().columns)[:3] == ["题号", "题目编号", "题型"]
    assert paper.to_frame("en")["item_type"].iloc[0] == "single_choice"
    usage = paper.usage_frame("X1", dt.date(2024, 11, 8))
    assert list(usage.columns) == ["item_id", "exam_id", "cohort", "used_on"] and set(usage["cohort"]) == {COHORT}


def test_double_marking_policy_is_applied():
    item = BankItem("E0", "math", 8, "fill_in", 12, "几何", "apply", 0.5)
    from scheduling.question_setting import marking_standard
    assert marking_standard(item, AssemblyPolicy()).tolerance is None
    standard = marking_standard(item, AssemblyPolicy(double_marked_types=("fill_in",), double_marking_share=0.25))
    assert standard.double_marked and standard.tolerance == 3


def test_duplicate_item_ids_are_refused():
    bank = simple_bank() + [make_item("C0", CHOICE, 3, 0.6)]
    with pytest.raises(ValueError, match="C0"):
        assemble_paper(bank, Blueprint("math", 8, 50, {CHOICE: 30, ESSAY: 20}), cohort=COHORT)
