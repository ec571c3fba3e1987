"""Question setting on the demo county (skipped while demo/district.py is absent)."""
import pytest

from scheduling.question_setting import (
    AssemblyPolicy, assemble_paper, bank_from_tables, candidates_from_tables, choose_setting_team, default_blueprint,
)

district = pytest.importorskip("demo.district")


@pytest.fixture(scope="module")
def tables():
    return district.generate_district(seed=3)


def test_demo_bank_gives_a_paper_for_the_cohort(tables):
    bank = bank_from_tables(tables, "math", 8)
    assert len(bank) == (tables["items"].query("subject == 'math' and grade == 8")).shape[0]
    usage = tables["item_usage"]
    cohort = int(usage.loc[usage["item_id"].isin([i.item_id for i in bank]), "cohort"].max())
    single = default_blueprint("math", 8, bank)
    assert assemble_paper(bank, single, AssemblyPolicy(), cohort=cohort, num_workers=1).ok
    blueprint = default_blueprint("math", 8, bank, forms=2)  # a proposal the bank can fill twice
    result = assemble_paper(bank, blueprint, AssemblyPolicy(), cohort=cohort, forms=2, num_workers=1, time_limit_s=3)
    assert result.ok, result.explanation
    seen = set(usage.loc[usage["cohort"] == cohort, "item_id"])
    for paper in result.forms:
        assert paper.cell_points() == pytest.approx(blueprint.cells)
        assert not set(paper.item_ids) & seen  # the default looks back 4 exams; the demo cohort has fewer
        assert 0.60 <= paper.mean_difficulty <= 0.75


def test_demo_cluster_gets_a_setting_team(tables):
    schools = tables["schools"]
    cluster_id = schools["cluster_id"].iloc[0]
    members = schools.loc[schools["cluster_id"] == cluster_id, "school_id"].tolist()
    people = candidates_from_tables(tables, "math", school_ids=members)
    result = choose_setting_team(people, "midterm", history={}, subject="math", grade=8, num_workers=1)
    if len({p.school_id for p in people if p.kind == "teacher"}) >= 2:
        assert result.ok, result.explanation
        assert any(m.kind == "researcher" for m in result.members) and len(result.schools) >= 2
    else:
        assert result.status == "infeasible" and result.explanation
