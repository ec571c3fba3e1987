import pandas as pd
import pytest

from scheduling.question_setting import (
    AssemblyPolicy, Blueprint, BlueprintError, BlueprintPolicy, assemble_paper, default_blueprint,
)
from scheduling.question_setting.synthetic import synthetic_bank


def sample() -> Blueprint:
    return Blueprint("math", 8, 100, {
        ("函数", "remember", "single_choice"): 12,
        ("函数", "apply", "subjective"): 28,
        ("统计与概率", "understand", "fill_in"): 20,
        ("图形的性质", "analyse", "subjective"): 24.5,
        ("图形的性质", "apply", "multiple_choice"): 15.5,
    }, item_counts={("函数", "remember", "single_choice"): 4}, name="八年级数学期中")


def test_valid_blueprint_has_no_problems():
    assert sample().problems() == []
    assert sample().validate(allowed_totals=(100, 120, 150)) is not None


def test_cells_not_summing_to_total_are_named_in_both_languages():
    bp = sample()
    bp.cells[("函数", "apply", "subjective")] = 30
    assert any("102" in p and "100" in p for p in bp.problems())
    assert any("sum to 102" in p for p in bp.problems("en"))
    with pytest.raises(BlueprintError):
        bp.validate()


def test_other_rules_are_checked():
    bp = Blueprint("math", 8, 110, {("A", "remember", "essay"): 100, ("B", "recall", "fill_in"): 10})
    text = " ".join(bp.problems("en", allowed_totals=(100, 120, 150)))
    assert "essay" in text and "recall" in text and "allowed totals" in text
    assert Blueprint("math", 8, 0, {}).problems()  # no cells
    counts = Blueprint("math", 8, 10, {("A", "apply", "fill_in"): 10}, {("B", "apply", "fill_in"): 1})
    assert counts.problems()


def test_marginals():
    bp = sample()
    assert bp.points_by_type()["subjective"] == 52.5
    assert bp.points_by_level()["apply"] == 43.5
    assert bp.points_by_area() == {"函数": 40, "统计与概率": 20, "图形的性质": 40}


@pytest.mark.parametrize("suffix", [".toml", ".yaml", ".xlsx"])
def test_file_round_trip(tmp_path, suffix):
    bp = sample()
    path = bp.save(tmp_path / f"blueprint{suffix}")
    assert Blueprint.load(path) == bp


def test_csv_round_trip_needs_subject_and_grade(tmp_path):
    bp = sample()
    path = bp.save(tmp_path / "blueprint.csv")
    with pytest.raises(ValueError):
        Blueprint.load(path)
    assert Blueprint.load(path, subject="math", grade=8, total=100).cells == bp.cells


def test_frame_has_chinese_headers_and_labels_and_reads_back():
    bp = sample()
    frame = bp.to_frame()
    assert list(frame.columns) == ["知识领域", "认知层次", "题型", "分值", "题数"]
    assert set(frame["认知层次"]) <= {"识记", "理解", "应用", "分析综合"}
    assert "单选题" in set(frame["题型"])
    back = Blueprint.from_frame(frame, "数学", 8, 100, name=bp.name)
    assert back == bp
    english = bp.to_frame("en")
    assert list(english.columns) == ["knowledge_area", "cognitive_level", "item_type", "points", "items"]
    assert Blueprint.from_frame(english, "math", 8).cells == bp.cells


def test_sheet_with_a_total_row_and_short_labels():
    frame = pd.DataFrame({"知识领域": ["函数", "函数", "合计"], "认知层次": ["识记", "应用", None],
                          "题型": ["单选", "解答题", None], "分值": [30, 70, 100]})
    bp = Blueprint.from_frame(frame, "math", 9)
    assert bp.total == 100 and bp.cells[("函数", "apply", "subjective")] == 70


def test_matrix_view_totals():
    matrix = sample().to_matrix()
    assert matrix.loc["合计", "合计"] == 100
    assert matrix.loc["函数", "识记"] == 12
    by_type = sample().to_matrix("item_type", lang="en")
    assert by_type.loc["total", "subjective"] == 52.5


def test_excel_sheets_named_in_chinese(tmp_path):
    path = sample().to_excel(tmp_path / "b.xlsx")
    assert set(pd.read_excel(path, sheet_name=None)) == {"基本信息", "双向细目表", "汇总"}


@pytest.mark.parametrize("total", [100, 120, 150])
def test_default_blueprint_is_valid_and_close_to_usual_shares(total):
    bank = synthetic_bank(1500, seed=3)
    bp = default_blueprint("math", 8, bank, total=total)
    bp.validate(allowed_totals=(100, 120, 150))
    assert bp.total == total
    by_type = bp.points_by_type()
    choice = (by_type.get("single_choice", 0) + by_type.get("multiple_choice", 0)) / total
    assert 0.30 <= choice <= 0.40
    assert 0.15 <= by_type.get("fill_in", 0) / total <= 0.20
    for level, share in BlueprintPolicy().level_shares.items():
        assert abs(bp.points_by_level()[level] / total - share) <= 0.03
    assert set(bp.points_by_area()) <= {i.knowledge_area for i in bank}


def test_default_blueprint_follows_the_policy_and_can_be_assembled():
    bank = synthetic_bank(800, seed=5)
    policy = BlueprintPolicy(choice_share=0.4, fill_in_share=0.2)
    bp = default_blueprint("math", 8, bank, policy)
    by_type = bp.points_by_type()
    assert abs((by_type["single_choice"] + by_type.get("multiple_choice", 0)) - 40) <= 3
    result = assemble_paper(bank, bp, AssemblyPolicy(), cohort=2016, num_workers=1)
    assert result.ok, result.explanation
    assert result.paper.cell_points() == pytest.approx(bp.cells)
    assert result.paper.cell_counts() == bp.item_counts


def test_default_blueprint_needs_items_of_the_subject_and_grade():
    with pytest.raises(ValueError):
        default_blueprint("chinese", 8, synthetic_bank(50, seed=1))


@pytest.mark.parametrize("seed", [0, 2, 6])
def test_an_enemy_free_proposal_can_be_assembled_when_many_items_are_enemies(seed):
    # half the items in an enemy (互斥) pair: the plain proposal counts both items of a pair and asks
    # for cell points no paper may reach (these seeds do); the enemy-free one never does
    bank = synthetic_bank(150, seed=seed, enemy_share=0.5)
    assert sum(1 for item in bank if item.enemies) > 40
    plain = default_blueprint("math", 8, bank)
    assert assemble_paper(bank, plain, AssemblyPolicy(), cohort=2016, num_workers=1).status == "infeasible"
    bp = default_blueprint("math", 8, bank, enemy_free=True)
    result = assemble_paper(bank, bp, AssemblyPolicy(), cohort=2016, num_workers=1)
    assert result.ok, result.explanation
    assert result.paper.cell_points() == pytest.approx(bp.cells)
