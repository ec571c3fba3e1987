"""The demo policy: a dict/TOML round trip, clear errors, and knobs that change the district."""
from __future__ import annotations

import pytest

from demo.district import generate_district
from demo.names import chinese_numeral, urban_school_names
from demo.policy import POLICY_FILE, DemoPolicy


def test_dict_round_trip_and_unknown_keys_fail_clearly():
    policy = DemoPolicy(backbone_share=0.25, max_cluster_schools=6)
    assert DemoPolicy.from_dict(policy.to_dict()) == policy
    with pytest.raises(ValueError, match="backbone_shares"):
        DemoPolicy.from_dict({"backbone_shares": 0.3})


def test_toml_file_documents_the_defaults():
    assert DemoPolicy.from_toml(POLICY_FILE) == DemoPolicy()
    text = POLICY_FILE.read_text(encoding="utf-8")
    for key in DemoPolicy().to_dict():
        assert f"\n{key} = " in text, key


def test_knobs_change_the_district():
    policy = DemoPolicy(backbone_share=0.25, max_cluster_schools=6, schools_per_cluster=4.0, items_per_subject=150)
    frames = generate_district(seed=2, schools=40, policy=policy)
    assert abs(frames["teachers"]["backbone"].mean() - 0.25) < 0.01
    assert frames["schools"].groupby("cluster_id").size().max() <= 6
    assert (frames["items"][frames["items"]["grade"] == 8].groupby("subject").size() == 150).all()


@pytest.mark.parametrize("n,text", [(1, "一"), (10, "十"), (12, "十二"), (20, "二十"), (35, "三十五"),
                                    (101, "一百零一"), (110, "一百一十")])
def test_chinese_numerals(n, text):
    assert chinese_numeral(n) == text


def test_urban_school_names_are_distinct_for_large_counts():
    names = urban_school_names("primary", 60)
    assert len(set(names)) == 60 and names[0] == "实验小学" and "城关镇第一小学" in names
