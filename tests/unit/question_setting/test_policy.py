import tomllib

import pytest

from scheduling.question_setting import (
    AssemblyPolicy, BlueprintPolicy, PolicyError, QuestionSettingPolicy, SettingTeamPolicy, load_policy,
)
from scheduling.question_setting.policy import DEFAULT_POLICY_PATH


def test_policy_file_holds_the_code_defaults():
    assert load_policy() == QuestionSettingPolicy()


def test_policy_file_documents_every_key_in_both_languages():
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    lines = text.splitlines()
    for section, keys in data.items():
        for key in keys:
            at = next(n for n, line in enumerate(lines) if line.startswith(f"{key} ="))
            comment = "\n".join(line for line in lines[max(0, at - 3):at] if line.startswith("#"))
            assert any("\u4e00" <= ch <= "\u9fff" for ch in comment), f"{section}.{key} lacks a Chinese note"
            assert any(ch.isascii() and ch.isalpha() for ch in comment), f"{section}.{key} lacks an English note"


@pytest.mark.parametrize("cls", [BlueprintPolicy, AssemblyPolicy, SettingTeamPolicy, QuestionSettingPolicy])
def test_round_trip(cls):
    policy = cls()
    assert cls.from_dict(policy.to_dict()) == policy


def test_unknown_keys_raise_with_their_names():
    with pytest.raises(PolicyError, match="difficulty_mni"):
        AssemblyPolicy.from_dict({"difficulty_mni": 0.5})
    with pytest.raises(PolicyError, match="team"):
        QuestionSettingPolicy.from_dict({"team": {}})


def test_values_are_checked():
    with pytest.raises(PolicyError):
        AssemblyPolicy.from_dict({"difficulty_min": 0.8, "difficulty_max": 0.7})
    with pytest.raises(PolicyError):
        BlueprintPolicy.from_dict({"level_shares": {"remember": 0.5, "apply": 0.6}})
    with pytest.raises(PolicyError):
        SettingTeamPolicy.from_dict({"team_size_min": 5, "team_size_max": 3})
    with pytest.raises(PolicyError):
        SettingTeamPolicy.from_dict({"min_researchers": {"quiz": 1}})


def test_partial_dict_overrides_only_what_it_names():
    policy = AssemblyPolicy.from_dict({"difficulty_min": 0.5, "double_marked_types": ["fill_in", "subjective"]})
    assert policy.difficulty_min == 0.5 and policy.difficulty_max == AssemblyPolicy().difficulty_max
    assert policy.double_marked_types == ("fill_in", "subjective")
    assert policy.target == pytest.approx((0.5 + 0.75) / 2)
    assert AssemblyPolicy.from_dict({"difficulty_target": 0.7}).target == 0.7
