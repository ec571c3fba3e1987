"""The rotation policy: defaults, the documented TOML file, strict parsing."""
from __future__ import annotations

import dataclasses
import tomllib

import pytest

from scheduling.rotation import DEFAULT_POLICY_PATH, PolicyError, RotationPolicy, load_rotation_policy


def test_toml_file_holds_exactly_the_defaults():
    assert load_rotation_policy() == RotationPolicy()


def test_every_key_is_documented_in_both_languages_in_the_toml_file():
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    lines = text.splitlines()
    policy = RotationPolicy()
    for section in dataclasses.fields(policy):
        value = getattr(policy, section.name)
        if not dataclasses.is_dataclass(value):
            continue
        assert f"[{section.name}]" in text
        for key in dataclasses.fields(value):
            line = next((candidate for candidate in lines if candidate.startswith(f"{key.name} ")), None)
            assert line is not None, f"{section.name}.{key.name} is missing from rotation.toml"
            if "[" in line and "]" not in line:  # a multi-line array: its comment is on the first line
                pass
            comment = line.split("#", 1)[1] if "#" in line else ""
            assert "/" in comment and any("\u4e00" <= ch <= "\u9fff" for ch in comment), \
                f"{section.name}.{key.name} needs a Chinese / English note"


def test_round_trip_through_dict_and_toml_text():
    policy = RotationPolicy().replace(quota={"min_fraction": 0.15}, mingzhu={"enabled": True},
                                      eligibility={"retirement_age_by_gender": {"F": 55, "M": 60}})
    assert RotationPolicy.from_dict(policy.to_dict()) == policy
    assert policy.quota.min_fraction == 0.15 and policy.mingzhu.enabled


def test_unknown_keys_and_tables_are_errors_that_name_them():
    with pytest.raises(PolicyError, match="min_fracton"):
        RotationPolicy.from_dict({"quota": {"min_fracton": 0.2}})
    with pytest.raises(PolicyError, match="quotas"):
        RotationPolicy.from_dict({"quotas": {}})
    with pytest.raises(PolicyError, match="version"):
        RotationPolicy.from_dict({"version": 2})


@pytest.mark.parametrize("section, changes", [
    ("quota", {"min_fraction": 0.5, "max_fraction": 0.2}),
    ("quota", {"backbone_min_share": 1.5}),
    ("learn", {"min_fraction": -0.1}),
    ("distance", {"max_km": 0}),
    ("eligibility", {"retirement_age_by_gender": {"X": 60}}),
    ("leaders", {"pairing": "random"}),
    ("subsidy", {"distance_bands_km": [20, 10]}),
    ("subsidy", {"yuan_per_month": [[1, 2], [3, 4], [5, 6], [7, 8]]}),
    ("dates", {"term1_start": "9/1"}),
])
def test_values_out_of_range_are_rejected(section, changes):
    with pytest.raises(PolicyError):
        RotationPolicy().replace(**{section: changes})


def test_partial_policy_files_take_defaults(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('name = "明珠学区 2025"\n[mingzhu]\nenabled = true\n', encoding="utf-8")
    policy = load_rotation_policy(path)
    assert policy.name == "明珠学区 2025" and policy.mingzhu.enabled
    assert policy.quota == RotationPolicy().quota
    with open(path, "rb") as handle:
        assert tomllib.load(handle)["mingzhu"]["enabled"] is True
