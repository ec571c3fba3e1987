"""A school named `=HYPERLINK(...)` or a teacher named `=cmd|' /C calc'!A0` reaches no spreadsheet as a
formula: the exported bundle (CSV and .xlsx), the rotation and invigilation workbooks and CSVs all
hold it as text with a leading `'`, numbers stay numbers, and a re-import gives the names back."""
from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from bundle.validate import load_bundle
from service.cli import app
from tests.bundle_edits import set_cell

runner = CliRunner()
SCHOOL = '=HYPERLINK("http://evil.example","点击")'
TEACHER = "=cmd|' /C calc'!A0"
OTHERS = ("@SUM(1+1)", "+第一初级中学", "-2+3")
FORMULA = ("=", "+", "@")  # "-" starts negative numbers, checked apart


def csv_cells(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def xlsx_cells(path: Path) -> list:
    book = openpyxl.load_workbook(path)  # not data_only: a formula would show as its text "=..."
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells), "a live formula was written"
    return [c.value for c in cells]


def assert_safe(values: list, names: tuple[str, ...]) -> None:
    text = [v for v in values if isinstance(v, str)]
    assert not [v for v in text if v.startswith(FORMULA)], [v for v in text if v.startswith(FORMULA)]
    assert not [v for v in text if v.startswith("-") and not _number(v)]
    joined = "\n".join(text)
    assert all(f"'{name}" in joined for name in names), names


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


@pytest.fixture
def hostile_bundle(mini_bundle) -> Path:
    set_cell(mini_bundle, "schools.csv", 2, "name", SCHOOL)
    set_cell(mini_bundle, "teachers.csv", 2, "name", TEACHER)
    set_cell(mini_bundle, "teachers.csv", 9, "name", OTHERS[0])
    set_cell(mini_bundle, "schools.csv", 5, "name", OTHERS[1])
    set_cell(mini_bundle, "clusters.csv", 2, "name", OTHERS[2])
    set_cell(mini_bundle, "teachers.csv", 3, "home_lon", "-0.5")  # a negative number stays a number
    return mini_bundle


def test_exported_bundle_holds_no_formula(hostile_bundle, tmp_path):
    db = f"sqlite:///{tmp_path / 'x.db'}"
    assert runner.invoke(app, ["import", str(hostile_bundle), "--db", db]).exit_code == 0
    assert runner.invoke(app, ["export", str(tmp_path / "csv"), "--db", db]).exit_code == 0
    assert runner.invoke(app, ["export", str(tmp_path / "book.xlsx"), "--db", db]).exit_code == 0
    everything = [c for p in (tmp_path / "csv").glob("*.csv") for c in csv_cells(p)]
    assert_safe(everything, (SCHOOL, TEACHER, *OTHERS))
    assert "-0.5" in everything
    assert_safe(xlsx_cells(tmp_path / "book.xlsx"), (SCHOOL, TEACHER, *OTHERS))
    for exported in (tmp_path / "csv", tmp_path / "book.xlsx"):  # our own quote is dropped on the way back in
        tables = load_bundle(exported)
        assert SCHOOL in set(tables["schools"]["name"]) and TEACHER in set(tables["teachers"]["name"])
        assert tables["teachers"].set_index("teacher_id").loc["T02", "home_lon"] == -0.5


def test_rotation_workbook_and_csvs_hold_no_formula(tmp_path):
    from scheduling.rotation import RotationPolicy, plan_rotation
    from scheduling.rotation.writers import summary_frame, write_rotation_csv, write_school_rosters_xlsx
    from tests.unit.rotation.builders import keeper, lead_school, need, school, teacher, world, young

    schools = [dataclasses.replace(lead_school("S1"), name=SCHOOL), school("S2", 10.0, hardship=2)]
    teachers = [dataclasses.replace(teacher("T1", "S1", volunteer=True), name=TEACHER),
                dataclasses.replace(teacher("T2", "S1", volunteer=True), name=OTHERS[0]),
                teacher("B1", "S1", backbone=True, famous=True), keeper("S1"), young("Y1", "S2"), young("Y2", "S2")]
    teachers += [teacher(f"{s.school_id}L", s.school_id, role="leader") for s in schools]
    teachers += [teacher(f"{s.school_id}P", s.school_id, role="principal") for s in schools]
    data = world(schools, teachers, [need("S2", posts=3)], term=1)
    policy = RotationPolicy()
    result = plan_rotation(data, policy, time_limit_s=10, num_workers=1)
    assert result.plan.postings  # a roster to write (best-effort when the seed rules cannot all hold here)
    book = write_school_rosters_xlsx(result, data, tmp_path / "rosters.xlsx", policy=policy)
    values = xlsx_cells(book)
    assert_safe(values, (TEACHER, OTHERS[0]))
    assert any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)  # numbers stay numbers
    assert_safe(csv_cells(write_rotation_csv(result, tmp_path / "rotation.csv")), ())
    from bundle.cells import safe_frame

    summary = tmp_path / "summary.csv"
    safe_frame(summary_frame(result, data, policy)).to_csv(summary, index=False, encoding="utf-8-sig")
    assert_safe(csv_cells(summary), ())


def test_invigilation_and_marking_workbooks_hold_no_formula(tmp_path):
    from scheduling.exam_logistics import (InvigilationPolicy, MarkingPolicy, plan_invigilation, plan_marking,
                                           write_invigilation_csv, write_invigilation_notices_xlsx, write_marking_csv,
                                           write_marking_notices_xlsx, write_room_sheets_xlsx)
    from tests.unit.exam_logistics.conftest import make_instance, make_marking

    data = make_instance(41, n_schools=4, teachers_per_school=(12, 14), rooms_per_school=(1, 2), radius_km=8)
    data = dataclasses.replace(
        data, schools=tuple(dataclasses.replace(s, name=SCHOOL + s.school_id) for s in data.schools),
        teachers=tuple(dataclasses.replace(t, name=TEACHER + t.teacher_id) for t in data.teachers))
    result = plan_invigilation(data, InvigilationPolicy(), time_limit_s=20)
    assert result.ok
    marking_data = make_marking(41)
    marking_data = dataclasses.replace(
        marking_data, teachers=tuple(dataclasses.replace(t, name="@" + t.teacher_id) for t in marking_data.teachers))
    marking = plan_marking(marking_data, MarkingPolicy(grade_window=1), time_limit_s=10)
    assert marking.ok
    assert_safe(xlsx_cells(write_invigilation_notices_xlsx(result, data, tmp_path / "notices.xlsx")),
                (SCHOOL, TEACHER))
    assert_safe(xlsx_cells(write_room_sheets_xlsx(result, data, tmp_path / "rooms.xlsx")), (TEACHER,))
    assert_safe(xlsx_cells(write_marking_notices_xlsx(marking, marking_data, tmp_path / "marking.xlsx")), ("@",))
    for path in (write_invigilation_csv(result, tmp_path / "invigilation.csv"),
                 write_marking_csv(marking, tmp_path / "marking.csv")):
        assert_safe(csv_cells(path), ())
