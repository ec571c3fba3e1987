"""The shared policy helpers of domain/policy.py, and every area's default policy through them."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

import analysis.policy
import marking.policy
import scheduling.exam_logistics.policy
import scheduling.question_setting.policy
import scheduling.rotation.policy
from analysis.policy import AnalysisPolicy
from domain.policy import PolicyError, PolicySection, PolicyTables, section_from_dict, section_to_dict
from marking.policy import MarkingPolicy, QueuePolicy
from scheduling.exam_logistics.policy import ExamLogisticsPolicy, load_policies
from scheduling.question_setting.policy import QuestionSettingPolicy
from scheduling.rotation.policy import RotationPolicy, load_rotation_policy


@dataclass(frozen=True)
class Demo(PolicySection):
    SECTION = "demo"

    enabled: bool = True
    count: int = 3
    share: float = 0.5
    label: str = "x"
    names: tuple[str, ...] = ("a",)
    grid: tuple[tuple[int, ...], ...] = ((1, 2), (3, 4))
    limits: dict[str, int] = field(default_factory=lambda: {"M": 60})
    target: float | None = None

    def check(self) -> None:
        if self.count > 100:
            raise PolicyError("demo.count must be ≤ 100")


@dataclass(frozen=True)
class Other(PolicySection):
    SECTION = "other"

    size: int = 1


@dataclass(frozen=True)
class DemoTables(PolicyTables):
    TABLES = {"demo": Demo, "other": Other}

    demo: Demo = field(default_factory=Demo)
    other: Other = field(default_factory=Other)


# --- errors name the table and the key ---------------------------------------------------------

def test_policy_error_is_a_value_error_and_every_area_re_exports_the_same_one():
    assert issubclass(PolicyError, ValueError)
    for module in (scheduling.rotation.policy, scheduling.question_setting.policy, marking.policy,
                   scheduling.exam_logistics.policy, analysis.policy):
        assert module.PolicyError is PolicyError


def test_unknown_keys_name_the_table_the_keys_and_the_known_keys():
    with pytest.raises(PolicyError) as error:
        Demo.from_dict({"colour": "red", "count": 2})
    message = str(error.value)
    assert message.startswith("[demo] unknown keys ['colour']; known keys: [")
    assert "'count'" in message and "'share'" in message


def test_unknown_tables_name_the_table_and_the_known_ones():
    with pytest.raises(PolicyError, match=r"unknown policy tables \['extra'\]; known: demo, other"):
        DemoTables.from_dict({"extra": {}})
    with pytest.raises(PolicyError, match=r"unknown policy tables \['marking'\]; known: objective, double"):
        MarkingPolicy.from_dict({"marking": {}})
    with pytest.raises(PolicyError, match=r"unknown policy keys or tables \['quotas'\]; known: version, name, "):
        RotationPolicy.from_dict({"quotas": {}})


def test_a_table_that_is_not_a_table_is_refused():
    with pytest.raises(PolicyError, match=r"\[other\] must be a table of keys, got 5"):
        DemoTables.from_dict({"other": 5})
    with pytest.raises(PolicyError, match=r"\[demo\] must be a table"):
        section_from_dict(Demo, ["count", 1], "demo")
    with pytest.raises(PolicyError, match="table of tables"):
        DemoTables.from_dict([1])


def test_a_missing_table_takes_the_defaults():
    assert DemoTables.from_dict(None) == DemoTables()
    assert DemoTables.from_dict({"other": {"size": 4}}) == DemoTables(other=Other(size=4))
    assert section_from_dict(Demo, None, "demo") == Demo()


def test_the_error_message_names_table_key_and_value():
    with pytest.raises(PolicyError) as error:
        MarkingPolicy.from_dict({"queue": {"lease_seconds": "abc"}})
    assert str(error.value) == "[queue] lease_seconds must be a number, got 'abc'"


def test_check_runs_after_the_instance_is_built():
    with pytest.raises(PolicyError, match="demo.count must be ≤ 100"):
        Demo.from_dict({"count": 101})
    with pytest.raises(PolicyError, match="lease_seconds"):
        QueuePolicy.from_dict({"lease_seconds": 0})


# --- coercion by annotation ----------------------------------------------------------------------

@pytest.mark.parametrize("value", [1, 0, "true", "yes", None, 1.0])
def test_bool_must_be_a_real_bool(value):
    with pytest.raises(PolicyError, match=r"\[demo\] enabled must be true or false"):
        Demo.from_dict({"enabled": value})


def test_bool_accepts_true_and_false():
    assert Demo.from_dict({"enabled": False}).enabled is False
    assert Demo.from_dict({"enabled": True}).enabled is True


@pytest.mark.parametrize("value", [2.5, True, False, "3", None, float("inf"), float("nan")])
def test_int_refuses_fractions_bools_and_strings(value):
    with pytest.raises(PolicyError, match=r"\[demo\] count must be an integer"):
        Demo.from_dict({"count": value})


def test_int_accepts_whole_numbers():
    for value in (3, 3.0):
        count = Demo.from_dict({"count": value}).count
        assert count == 3 and type(count) is int


@pytest.mark.parametrize("value", [True, False, "0.5", None, [0.5]])
def test_float_refuses_bools_and_non_numbers(value):
    with pytest.raises(PolicyError, match=r"\[demo\] share must be a number"):
        Demo.from_dict({"share": value})


def test_float_accepts_ints_and_floats():
    share = Demo.from_dict({"share": 1}).share
    assert share == 1.0 and type(share) is float
    assert Demo.from_dict({"share": 0.25}).share == 0.25


def test_tuples_come_from_lists_nested_too():
    policy = Demo.from_dict({"names": ["b", "c"], "grid": [[5, 6], [7, 8, 9]]})
    assert policy.names == ("b", "c")
    assert policy.grid == ((5, 6), (7, 8, 9)) and all(type(row) is tuple for row in policy.grid)
    assert Demo.from_dict({"names": []}).names == ()
    with pytest.raises(PolicyError, match=r"\[demo\] names must be a list, got 'b'"):
        Demo.from_dict({"names": "b"})


def test_optional_fields_take_none_and_their_type_otherwise():
    assert Demo.from_dict({"target": None}).target is None
    assert Demo.from_dict({}).target is None
    assert Demo.from_dict({"target": 1}).target == 1.0
    with pytest.raises(PolicyError, match=r"\[demo\] target must be a number"):
        Demo.from_dict({"target": True})


def test_dicts_must_be_tables_and_are_copied_other_types_pass_as_they_are():
    limits = {"F": 55}
    policy = Demo.from_dict({"limits": limits, "label": 7})
    assert policy.limits == {"F": 55} and policy.limits is not limits
    assert policy.label == 7  # str: not coerced, the section's check() decides
    with pytest.raises(PolicyError, match=r"\[demo\] limits must be a table"):
        Demo.from_dict({"limits": [1]})


def test_annotations_that_are_types_coerce_like_strings():
    """Fields declared without `from __future__ import annotations` carry types, not strings."""
    import typing

    Typed = dataclasses.make_dataclass("Typed", [
        ("count", int, field(default=1)),
        ("share", typing.Optional[float], field(default=None)),
        ("names", tuple[str, ...], field(default=())),
        ("flag", bool, field(default=False)),
    ], frozen=True)
    policy = section_from_dict(Typed, {"count": 2.0, "share": 1, "names": ["a"], "flag": True}, "typed")
    assert (policy.count, policy.share, policy.names, policy.flag) == (2, 1.0, ("a",), True)
    assert type(policy.count) is int and type(policy.share) is float
    assert section_from_dict(Typed, {"share": None}, "typed").share is None
    with pytest.raises(PolicyError, match=r"\[typed\] count must be an integer"):
        section_from_dict(Typed, {"count": True}, "typed")


# --- to_dict -----------------------------------------------------------------------------------

def test_to_dict_drops_none_and_writes_tuples_as_lists():
    policy = Demo(target=None, grid=((1,), (2, 3)))
    d = section_to_dict(policy)
    assert "target" not in d
    assert d["names"] == ["a"] and d["grid"] == [[1], [2, 3]]
    assert d["limits"] == {"M": 60} and d["limits"] is not policy.limits
    assert Demo(target=0.7).to_dict()["target"] == 0.7
    assert Demo.from_dict(d) == policy


def test_tables_round_trip():
    policy = DemoTables.from_dict({"demo": {"grid": [[9]], "target": 0.1}, "other": {"size": 2}})
    assert policy.to_dict() == {"demo": {**Demo().to_dict(), "grid": [[9]], "target": 0.1}, "other": {"size": 2}}
    assert DemoTables.from_dict(policy.to_dict()) == policy


# --- every area's default policy -----------------------------------------------------------------

def _invigilation_and_marking():
    invigilation, marking_ = load_policies()
    return ExamLogisticsPolicy(invigilation=invigilation, marking=marking_)


@pytest.mark.parametrize("cls, load", [
    (RotationPolicy, load_rotation_policy),
    (QuestionSettingPolicy, scheduling.question_setting.policy.load_policy),
    (MarkingPolicy, marking.policy.load_policy),
    (ExamLogisticsPolicy, _invigilation_and_marking),
    (ExamLogisticsPolicy, ExamLogisticsPolicy.from_toml),
    (AnalysisPolicy, analysis.policy.load_policy),
], ids=["rotation", "question_setting", "marking", "exam_logistics", "exam_logistics_from_toml", "analysis"])
def test_every_area_default_policy_round_trips(cls, load):
    default = load()
    assert default == cls()  # the TOML file holds the code defaults
    assert cls.from_dict(default.to_dict()) == default
    assert cls.from_dict(cls().to_dict()) == cls()
