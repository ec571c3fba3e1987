import tomllib

import pytest

from scheduling.exam_logistics.policy import POLICY_FILE, InvigilationPolicy, MarkingPolicy, load_policies


def test_toml_holds_the_dataclass_defaults():
    with open(POLICY_FILE, "rb") as f:
        raw = tomllib.load(f)
    assert InvigilationPolicy.from_dict(raw["invigilation"]) == InvigilationPolicy()
    assert MarkingPolicy.from_dict(raw["marking"]) == MarkingPolicy()
    # every field is documented in the file
    assert set(raw["invigilation"]) == set(InvigilationPolicy().to_dict())
    assert set(raw["marking"]) == set(MarkingPolicy().to_dict())


def test_round_trip_and_changes():
    p = InvigilationPolicy.from_dict({"max_km": 25, "objective": ["km", "max_load"]})
    assert p.max_km == 25.0 and p.objective == ("km", "max_load")
    assert InvigilationPolicy.from_dict(p.to_dict()) == p
    m = MarkingPolicy.from_dict({"grade_window": 1, "mode": "online"})
    assert MarkingPolicy.from_dict(m.to_dict()) == m


@pytest.mark.parametrize("cls,bad", [
    (InvigilationPolicy, {"max_kms": 3}),
    (InvigilationPolicy, {"objective": ["km", "beauty"]}),
    (InvigilationPolicy, {"max_sessions_per_day": 2.5}),
    (InvigilationPolicy, {"quota_scope": "day"}),
    (MarkingPolicy, {"mode": "postal"}),
    (MarkingPolicy, {"leader_requires_backbone": "yes"}),
])
def test_bad_keys_and_values_raise(cls, bad):
    with pytest.raises(ValueError):
        cls.from_dict(bad)


def test_unknown_key_is_named():
    with pytest.raises(ValueError, match="max_kms"):
        InvigilationPolicy.from_dict({"max_kms": 3})


def test_load_policies_refuses_unknown_tables(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text("[invigilation]\nmax_km = 20\n[extra]\nx = 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="extra"):
        load_policies(path)
    path.write_text("[invigilation]\nmax_km = 20\n", encoding="utf-8")
    inv, mark = load_policies(path)
    assert inv.max_km == 20 and mark == MarkingPolicy()


def test_caps_by_role_and_rural_limit():
    p = InvigilationPolicy()
    assert (p.cap_for_role("teacher"), p.cap_for_role("leader"), p.cap_for_role("principal")) == (4, 2, 0)
    assert p.km_limit(False, False) == 30 and p.km_limit(True, False) == 45 and p.km_limit(False, True) == 45
