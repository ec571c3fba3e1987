"""Item analysis against published LSAT figures, girth, pingouin and written-out formulas."""
import numpy as np
import pandas as pd
import pingouin
import pytest
from girth import classical_test_statistics

from analysis.items import cronbach_alpha, item_statistics
from analysis.matrix import build_score_data
from analysis.pipeline import analyse_exam
from analysis.policy import AnalysisPolicy

from .conftest import context_tables, lsat_matrix, long_scores

# Section 6, as printed by ltm::descript(LSAT) (see data/README.md)
LSAT6_P = [0.924, 0.709, 0.553, 0.763, 0.870]
LSAT6_R_EXCLUDED = [0.113, 0.153, 0.173, 0.144, 0.122]
LSAT6_R_INCLUDED = [0.362, 0.567, 0.618, 0.534, 0.435]
LSAT6_TOTAL_FREQUENCIES = [3, 20, 85, 237, 357, 298]
LSAT7_P = [0.828, 0.658, 0.772, 0.606, 0.843]


def _analyse(matrix, **kw):
    scores, items = long_scores(matrix, **kw)
    schools, classes, teachers = context_tables(scores)
    return analyse_exam(scores, items, schools, classes, teachers)


@pytest.fixture(scope="module")
def lsat6():
    return _analyse(lsat_matrix(6), schools=3)


def test_lsat6_matches_the_published_classical_statistics(lsat6):
    items = lsat6.items
    np.testing.assert_allclose(items["difficulty"], LSAT6_P, atol=5e-4)
    np.testing.assert_allclose(items["discrimination"], LSAT6_R_EXCLUDED, atol=6e-4)
    assert lsat6.papers["alpha"].iloc[0] == pytest.approx(0.295, abs=5e-4)
    seg = lsat6.segments[(lsat6.segments["subject"] == "math")].sort_values("score")
    assert seg["count"].tolist() == LSAT6_TOTAL_FREQUENCIES
    # the uncorrected point-biserial follows from our columns: r(item, total) by hand
    x = lsat_matrix(6)
    r_included = [np.corrcoef(x[:, j], x.sum(axis=1))[0, 1] for j in range(5)]
    np.testing.assert_allclose(r_included, LSAT6_R_INCLUDED, atol=6e-4)


@pytest.mark.parametrize("section", [6, 7])
def test_lsat_against_girth_and_pingouin(section):
    x = lsat_matrix(section)
    analysis = _analyse(x)
    ctt = classical_test_statistics(x.T.astype(int), start_value=0, stop_value=1)
    np.testing.assert_allclose(analysis.items["mean"], ctt["Mean"], atol=1e-12)
    np.testing.assert_allclose(analysis.items["discrimination"], ctt["Item-Score Correlation"], atol=1e-10)
    np.testing.assert_allclose(analysis.items["alpha_if_deleted"], ctt["Cronbach Alpha"], atol=1e-10)
    alpha, _ = pingouin.cronbach_alpha(pd.DataFrame(x))
    assert analysis.papers["alpha"].iloc[0] == pytest.approx(alpha, abs=1e-10)
    if section == 7:
        np.testing.assert_allclose(analysis.items["difficulty"], LSAT7_P, atol=5e-4)


def group_weights_by_ranks(totals, fraction=0.27):
    """Kelley's groups with the places at a cut shared by the tied students, written with ranks:
    a student whose worst rank (ascending, "max") is within the n places is in; one whose best rank
    ("min") is beyond them is out; the tied ones share the places left."""
    totals = pd.Series(totals, dtype=float)
    n = int(np.floor(fraction * len(totals) + 0.5))
    weights = []
    for values in (totals, -totals):  # lower group: ascending; upper group: descending
        best, worst = values.rank(method="min"), values.rank(method="max")
        tied = worst - best + 1
        weights.append(((n - (best - 1)).clip(lower=0, upper=tied) / tied).to_numpy())
    return weights[0], weights[1], n


def _upper_lower_by_hand(matrix, max_scores, fraction=0.27):
    lower, upper, n = group_weights_by_ranks(matrix.sum(axis=1), fraction)
    return (upper @ matrix / n - lower @ matrix / n) / max_scores


def test_polytomous_paper_against_formulas_and_girth(exam, analysis):
    data = build_score_data(exam.scores, exam.items)
    for subject, paper in data.papers.items():
        x = paper.matrix
        got = analysis.items[analysis.items["subject"] == subject].reset_index(drop=True)
        total = x.sum(axis=1)
        for j in range(x.shape[1]):
            rest = total - x[:, j]
            assert got.loc[j, "discrimination"] == pytest.approx(np.corrcoef(x[:, j], rest)[0, 1], abs=1e-10)
        np.testing.assert_allclose(got["difficulty"], x.mean(axis=0) / paper.max_scores)
        ctt = classical_test_statistics(x.T, start_value=0, stop_value=int(paper.max_scores.max()))
        np.testing.assert_allclose(got["discrimination"], ctt["Item-Score Correlation"], atol=1e-10)
        alpha, _ = pingouin.cronbach_alpha(pd.DataFrame(x))
        paper_row = analysis.papers.set_index("subject").loc[subject]
        assert paper_row["alpha"] == pytest.approx(alpha, abs=1e-10)
        assert cronbach_alpha(x) == pytest.approx(alpha, abs=1e-10)
        np.testing.assert_allclose(got["discrimination_ul"], _upper_lower_by_hand(x, paper.max_scores), atol=1e-12)
        np.testing.assert_allclose(got["item_total_r"], [np.corrcoef(x[:, j], total)[0, 1] for j in range(x.shape[1])],
                                   atol=1e-10)


def test_flags_follow_the_policy(analysis):
    policy = analysis.policy
    for row in analysis.items.itertuples():
        flags = set(filter(None, row.flags.split(";")))
        # Ebel's 0.2 guide is for the upper–lower index D, not for the corrected item–total r
        assert ("low_discrimination" in flags) == (row.discrimination_ul < policy.min_discrimination)
        assert ("too_hard" in flags) == (row.difficulty < policy.min_difficulty)
        assert ("too_easy" in flags) == (row.difficulty > policy.max_difficulty)
    # the generator plants a non-discriminating item and a very easy item in every paper
    for subject, part in analysis.items.groupby("subject"):
        assert part["flags"].str.contains("low_discrimination").any()
        assert part["flags"].str.contains("too_easy").any()


def test_constant_item_has_no_discrimination():
    x = lsat_matrix(6)
    x[:, 2] = 1.0
    data = build_score_data(*long_scores(x))
    paper = data.papers["math"]
    stats, figures = item_statistics(paper, AnalysisPolicy())
    assert np.isnan(stats.loc[2, "discrimination"]) and "no_variance" in stats.loc[2, "flags"]
    assert "too_easy" in stats.loc[2, "flags"]
    assert np.isfinite(stats.loc[[0, 1, 3, 4], "discrimination"]).all()


def test_option_counts_match_a_crosstab(exam, analysis):
    data = build_score_data(exam.scores, exam.items)
    paper = data.papers["math"]
    x = paper.matrix
    ids = data.student_ids[paper.students].astype(str)
    lower, upper, _ = group_weights_by_ranks(x.sum(axis=1))
    weights = pd.DataFrame({"lower": lower, "upper": upper, "middle": 1 - lower - upper}, index=ids)
    answers = exam.responses[exam.responses["subject"] == "math"].copy()
    answers["option"] = answers["answer"].replace("", "-")
    answers = answers.join(weights, on="student_id")
    expected = answers.groupby(["item_id", "option"])[["upper", "middle", "lower"]].sum()
    counts = answers.groupby(["item_id", "option"]).size()
    got = analysis.options[analysis.options["subject"] == "math"].set_index(["item_id", "option"])
    assert len(got) == len(expected)
    for column in ("upper", "middle", "lower"):
        np.testing.assert_allclose(got.loc[expected.index, column], expected[column], atol=1e-9)
    assert got.loc[counts.index, "total"].tolist() == counts.tolist()
    keys = exam.items.set_index("item_id")["key"]
    assert (got.loc[got["is_key"]].index.get_level_values(0).map(keys) ==
            got.loc[got["is_key"]].index.get_level_values(1)).all()
    # for a discriminating item the key is chosen more by the upper group, distractors by the lower
    correct = got[got["is_key"]]
    assert (correct["flag"] == "key_not_discriminating").sum() <= 1
