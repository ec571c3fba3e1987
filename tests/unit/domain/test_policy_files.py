"""Policy files that fail well: every area, every way a file goes wrong, one line naming file, table and key."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

import analysis.policy
import marking.policy
import scheduling.exam_logistics.policy
import scheduling.question_setting.policy
from domain.policy import (NON_NEGATIVE, POSITIVE, UNIT, PolicyError, PolicySection, Range, range_of, read_toml,
                           section_from_dict)
from scheduling.exam_logistics.policy import load_policies
from scheduling.rotation.policy import load_rotation_policy

POLICIES = Path(__file__).resolve().parents[3] / "policies"


@dataclass(frozen=True)
class Area:
    name: str
    load: object  # path → policy
    count: tuple[str, str]  # (table, key) of a count, which may not be negative
    share: tuple[str, str]  # (table, key) of a share, in [0, 1]
    positive: tuple[str, str]  # (table, key) where zero makes no sense
    flat: bool = False  # analysis: the keys are the file's top level, reported as [analysis]


AREAS = [
    Area("rotation", load_rotation_policy, ("eligibility", "cooldown_years"), ("quota", "backbone_min_share"),
         ("distance", "max_km")),
    Area("exam_logistics", load_policies, ("invigilation", "reserves_per_site"), ("marking", "third_mark_share"),
         ("marking", "hours_available")),
    Area("question_setting", scheduling.question_setting.policy.load_policy, ("setting_team", "max_researchers"),
         ("assembly", "double_marking_share"), ("assembly", "default_score_step")),
    Area("marking", marking.policy.load_policy, ("queue", "second_mark_lag"), ("double", "tolerance_share"),
         ("queue", "lease_seconds")),
    Area("analysis", analysis.policy.load_policy, ("analysis", "gap_items_per_subject"),
         ("analysis", "upper_lower_fraction"), ("analysis", "t_sd"), flat=True),
]
IDS = [a.name for a in AREAS]


def write_policy(tmp_path: Path, area: Area, table: str, key: str, value: str) -> Path:
    """The area's default file with one key set to `value` (TOML text, e.g. "nan")."""
    path = tmp_path / f"{area.name}.toml"
    line = f"{key} = {value}\n"
    text = (POLICIES / f"{area.name}.toml").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    header = None if area.flat else f"[{table}]"
    inside, out, done = header is None, [], False
    for raw in lines:
        stripped = raw.strip()
        if stripped.startswith("[") and not stripped.startswith("[["):
            inside = stripped == header
        if inside and not done and stripped.split("=")[0].strip() == key:
            out.append(line)
            done = True
            continue
        out.append(raw)
    assert done, f"{key} not in the default {area.name} policy"
    path.write_text("".join(out), encoding="utf-8")
    return path


def refused(area: Area, path: Path) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        area.load(path)
    error = caught.value
    for lang in ("zh", "en"):
        line = error.line(lang)
        assert "\n" not in line and str(path) in line  # one line, naming the file
    return error


def assert_names(error: PolicyError, table: str, key: str) -> None:
    assert (error.table, error.key) == (table, key)
    for lang in ("zh", "en"):
        assert f"[{table}] {key}" in error.line(lang)


# --- the file itself ------------------------------------------------------------------------------

@pytest.mark.parametrize("area", AREAS, ids=IDS)
def test_a_missing_file_is_named(area, tmp_path):
    error = refused(area, tmp_path / "nowhere.toml")
    assert "不存在" in error.line("zh") and "not found" in error.line("en")


@pytest.mark.parametrize("area", AREAS, ids=IDS)
def test_a_gbk_file_says_save_it_as_utf8_with_the_line(area, tmp_path):
    path = tmp_path / "gbk.toml"
    text = (POLICIES / f"{area.name}.toml").read_text(encoding="utf-8")
    path.write_bytes(text.encode("gbk", errors="replace"))  # as Notepad or Excel on a Chinese Windows saves it
    error = refused(area, path)
    assert "GBK" in error.line("zh") and "UTF-8" in error.line("zh")
    first_bad = next(n for n, line in enumerate(text.splitlines(), 1) if not line.isascii())
    assert f"第 {first_bad} 行" in error.line("zh") and f"line {first_bad}" in error.line("en")


def test_a_utf8_file_with_a_bom_is_read(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + (POLICIES / "marking.toml").read_bytes())
    assert marking.policy.load_policy(path) == marking.policy.MarkingPolicy()


@pytest.mark.parametrize("area", AREAS, ids=IDS)
def test_a_file_that_is_not_toml_is_named_with_the_line(area, tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("# 政策\nthis is = = not toml\n", encoding="utf-8")
    error = refused(area, path)
    assert "TOML" in error.line("zh") and "line 2" in error.line("en")


def test_a_folder_is_not_a_policy_file(tmp_path):
    with pytest.raises(PolicyError, match="folder"):
        read_toml(tmp_path)


# --- values: finite, counts ≥ 0, shares in [0, 1], positive where zero makes no sense ------------------

@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "+nan"])
@pytest.mark.parametrize("area", AREAS, ids=IDS)
def test_nan_and_inf_are_refused_by_name(area, value, tmp_path):
    for table, key in (area.share, area.positive):
        error = refused(area, write_policy(tmp_path, area, table, key, value))
        assert_names(error, table, key)
        assert "有限数值" in error.line("zh") and "finite" in error.line("en")


@pytest.mark.parametrize("area", AREAS, ids=IDS)
def test_a_negative_count_is_refused_by_name(area, tmp_path):
    table, key = area.count
    error = refused(area, write_policy(tmp_path, area, table, key, "-1"))
    assert_names(error, table, key)
    assert "须不小于 0" in error.line("zh") and "≥ 0, got -1" in error.line("en")


@pytest.mark.parametrize("value", ["-0.1", "1.5"])
@pytest.mark.parametrize("area", AREAS, ids=IDS)
def test_a_share_outside_0_1_is_refused_by_name(area, value, tmp_path):
    table, key = area.share
    error = refused(area, write_policy(tmp_path, area, table, key, value))
    assert_names(error, table, key)
    assert "0 到 1" in error.line("zh") and "[0, 1]" in error.line("en")


@pytest.mark.parametrize("area", AREAS, ids=IDS)
def test_zero_is_refused_where_it_makes_no_sense(area, tmp_path):
    table, key = area.positive
    error = refused(area, write_policy(tmp_path, area, table, key, "0"))
    assert_names(error, table, key)
    assert "须大于 0" in error.line("zh")


@pytest.mark.parametrize("area", AREAS, ids=IDS)
def test_the_edges_of_the_ranges_are_allowed(area, tmp_path):
    """0 for a count and a share, 1 for a share: the rule refuses only what lies outside."""
    table, key = area.count
    assert area.load(write_policy(tmp_path, area, table, key, "0")) is not None
    table, key = area.share
    for value in ("0.0", "1.0") if key != "upper_lower_fraction" else ("0.5",):  # (0, 0.5] by its own rule
        assert area.load(write_policy(tmp_path, area, table, key, value)) is not None


def test_the_lease_and_tolerance_of_the_issue_are_refused():
    """`lease_seconds = inf` and `tolerance_share = nan` used to pass."""
    with pytest.raises(PolicyError, match=r"\[queue\] lease_seconds must be a finite number"):
        marking.policy.MarkingPolicy.from_dict({"queue": {"lease_seconds": float("inf")}})
    with pytest.raises(PolicyError, match=r"\[double\] tolerance_share must be a finite number"):
        marking.policy.MarkingPolicy.from_dict({"double": {"tolerance_share": float("nan")}})


def test_numbers_inside_lists_and_tables_are_checked_with_their_place(tmp_path):
    from scheduling.rotation.policy import RotationPolicy

    with pytest.raises(PolicyError) as error:
        RotationPolicy.from_dict({"subsidy": {"distance_bands_km": [10.0, float("nan"), 30.0]}})
    assert error.value.key == "distance_bands_km[1]"
    with pytest.raises(PolicyError) as error:
        scheduling.question_setting.policy.QuestionSettingPolicy.from_dict(
            {"blueprint": {"level_shares": {"remember": 1.2, "understand": -0.2}}})
    assert error.value.key == "level_shares.remember" and "[0, 1]" in str(error.value)


def test_a_declared_range_wins_over_the_naming_rule():
    qs = scheduling.question_setting.policy
    assert qs.AssemblyPolicy.from_dict({"recent_exams_excluded": -1}).recent_exams_excluded == -1  # any earlier use
    with pytest.raises(PolicyError, match="recent_exams_excluded"):
        qs.AssemblyPolicy.from_dict({"recent_exams_excluded": -2})
    assert analysis.policy.AnalysisPolicy.from_dict({"t_mean": -5}).t_mean == -5.0
    with pytest.raises(PolicyError, match=r"\[analysis\] band_edges\[2\] must be a share in \[0, 1\]"):
        analysis.policy.AnalysisPolicy.from_dict({"band_edges": [0.0, 0.5, 1.5]})


def test_the_naming_rule():
    @dataclass(frozen=True)
    class Section(PolicySection):
        SECTION = "s"
        RANGES = {"lease_seconds": POSITIVE}

        pass_rate: float = 0.5
        quota_tolerance: float = 0.1
        tolerance_min_steps: int = 1
        lease_seconds: float = 1.0
        max_km: float = 3.0

    assert range_of(Section, "pass_rate") == UNIT and range_of(Section, "quota_tolerance") == UNIT
    assert range_of(Section, "tolerance_min_steps") == NON_NEGATIVE  # the last word decides: a count
    assert range_of(Section, "max_km") == NON_NEGATIVE and range_of(Section, "lease_seconds") == POSITIVE
    assert section_from_dict(Section, {"tolerance_min_steps": 3}, "s").tolerance_min_steps == 3
    assert 0.0 not in POSITIVE and 0.0 in NON_NEGATIVE and 1.0 in UNIT and 1.01 not in UNIT
    assert -3.0 in Range(None)


def test_a_section_check_error_names_its_table():
    with pytest.raises(PolicyError) as error:
        scheduling.exam_logistics.policy.MarkingPolicy.from_dict({"mode": "by post"})
    assert str(error.value).startswith("[marking] mode must be one of") and error.value.table == "marking"


def test_policy_edit_and_the_loaders_give_the_same_line(tmp_path):
    """`policy edit` checks with the same rules: its refusal names the table and key the same way."""
    from app.policies import parse_policy

    area = AREAS[3]
    path = write_policy(tmp_path, area, "queue", "lease_seconds", "inf")
    with pytest.raises(PolicyError) as from_edit:
        parse_policy("marking", path.read_text(encoding="utf-8"))
    from_file = refused(area, path)
    assert from_edit.value.in_file(path).line() == from_file.line()


def test_a_value_a_check_cannot_read_is_a_policy_error_naming_the_table(tmp_path):
    path = tmp_path / "rotation.toml"
    path.write_text('[eligibility]\nretirement_age_by_gender = {M = "sixty"}\n', encoding="utf-8")
    with pytest.raises(PolicyError) as error:
        load_rotation_policy(path)
    assert error.value.table == "eligibility" and str(path) in error.value.line()
