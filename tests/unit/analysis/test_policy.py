import tomllib
from pathlib import Path

import pytest

from analysis.policy import AnalysisPolicy

TOML = Path(__file__).resolve().parents[3] / "policies" / "analysis.toml"


def test_toml_documents_exactly_the_defaults():
    data = tomllib.loads(TOML.read_text(encoding="utf-8"))
    assert AnalysisPolicy.from_dict(data) == AnalysisPolicy()
    assert AnalysisPolicy().to_dict() == data


def test_every_key_has_a_comment_in_both_languages():
    lines = TOML.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line and not line.startswith("#"):
            comments = []
            j = i - 1
            while j >= 0 and lines[j].startswith("#") and not lines[j].startswith("# ──"):
                comments.append(lines[j])
                j -= 1
            text = " ".join(comments)
            assert any("\u4e00" <= ch <= "\u9fff" for ch in text), f"no Chinese comment for {line}"
            assert any(ch.isascii() and ch.isalpha() for ch in text), f"no English comment for {line}"


def test_round_trip_and_unknown_keys():
    policy = AnalysisPolicy(excellent_fraction=0.9, weight_improvement=2.0, band_edges=(0.0, 0.5, 1.0))
    assert AnalysisPolicy.from_dict(policy.to_dict()) == policy
    with pytest.raises(ValueError, match=r"\[analysis\] unknown keys \[.excelent_fraction.\]"):
        AnalysisPolicy.from_dict({"excelent_fraction": 0.9})


@pytest.mark.parametrize("bad", [
    {"pass_fraction": 0.9},  # above the excellent threshold
    {"band_edges": [0.0, 0.6, 0.5, 1.0]},
    {"band_edges": [0.1, 1.0]},
    {"upper_lower_fraction": 0.6},
    {"weight_excellent": 0, "weight_pass": 0, "weight_improvement": 0},
    {"improvement_basis": "rank"},
    {"min_difficulty": 0.95},
])
def test_invalid_values_are_refused(bad):
    with pytest.raises(ValueError, match="invalid AnalysisPolicy"):
        AnalysisPolicy.from_dict(bad)


def test_teacher_weights_renormalise_without_improvement():
    policy = AnalysisPolicy(weight_excellent=2, weight_pass=1, weight_improvement=1)
    assert policy.teacher_weights(True) == pytest.approx((0.5, 0.25, 0.25))
    assert policy.teacher_weights(False) == pytest.approx((2 / 3, 1 / 3, 0.0))
