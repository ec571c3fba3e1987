"""The marking policy: the TOML file holds the code defaults, documented in both languages."""
from __future__ import annotations

import tomllib

import pytest

from marking.policy import (DEFAULT_POLICY_PATH, DoubleMarkingPolicy, MarkingPolicy, ObjectivePolicy, PolicyError,
                            ProgressPolicy, QueuePolicy, load_policy)


def test_policy_file_holds_the_code_defaults():
    assert load_policy(DEFAULT_POLICY_PATH) == MarkingPolicy()
    assert load_policy() == MarkingPolicy()


def test_policy_file_documents_every_key_in_both_languages():
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    lines = text.splitlines()
    assert set(data) == {"objective", "double", "queue", "progress", "quality"}
    for section, keys in data.items():
        for key in keys:
            at = next(n for n, line in enumerate(lines) if line.startswith(f"{key} ="))
            block = []  # the comment lines right above the key
            for line in reversed(lines[:at]):
                if not line.startswith("#"):
                    break
                block.append(line)
            comment = "\n".join(block)
            assert any("\u4e00" <= ch <= "\u9fff" for ch in comment), f"{section}.{key} lacks a Chinese note"
            assert any(ch.isascii() and ch.isalpha() for ch in comment), f"{section}.{key} lacks an English note"


def test_round_trip_and_partial_dicts():
    policy = MarkingPolicy.from_dict({"double": {"double_share": 0.3}, "queue": {"lease_seconds": 60}})
    assert policy.double.double_share == 0.3 and policy.queue.lease_seconds == 60
    assert policy.objective == ObjectivePolicy() and policy.progress == ProgressPolicy()
    assert MarkingPolicy.from_dict(policy.to_dict()) == policy


@pytest.mark.parametrize("bad, message", [
    ({"marking": {}}, "unknown policy tables"),
    ({"double": {"tolerance": 1}}, "unknown keys"),
    ({"double": {"double_share": 1.5}}, "double_share"),
    ({"double": {"rounding": "nearest"}}, "rounding"),
    ({"double": {"third_tie": "mean"}}, "third_tie"),
    ({"objective": {"multiple_choice_rule": "half"}}, "multiple_choice_rule"),
    ({"objective": {"partial_share": -0.1}}, "partial_share"),
    ({"queue": {"lease_seconds": 0}}, "lease_seconds"),
    ({"progress": {"min_agreement": 2}}, "min_agreement"),
    ({"queue": 5}, "table"),
])
def test_bad_policies_are_refused_with_a_clear_error(bad, message):
    with pytest.raises(PolicyError, match=message):
        MarkingPolicy.from_dict(bad)


def test_sections_check_themselves():
    with pytest.raises(PolicyError):
        DoubleMarkingPolicy(tolerance_share=-1).check()
    with pytest.raises(PolicyError):
        QueuePolicy(reclaim_interval_seconds=-1).check()
