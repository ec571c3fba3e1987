"""Each validation rule names the file, row and column; every problem is listed at once."""
from __future__ import annotations

import pytest

from bundle.problems import BundleError
from bundle.validate import load_bundle
from tests.bundle_edits import append_row, drop_column, read_rows, set_cell, write_rows


def problems_of(path) -> list:
    with pytest.raises(BundleError) as caught:
        load_bundle(path)
    return caught.value.problems


def only(problems, file: str, row: int | None, column: str | None):
    found = [p for p in problems if p.file == file and p.row == row and p.column == column]
    assert found, f"no problem at {file} row {row} column {column}; got {[str(p) for p in problems]}"
    return found[0]


def test_the_mini_bundle_is_valid(mini_bundle):
    tables = load_bundle(mini_bundle)
    assert len(tables["teachers"]) == 12
    assert tables["teachers"].set_index("teacher_id").loc["T01", "grades"] == [3, 4]
    assert tables["schools"]["is_lead"].sum() == 2


def test_unknown_id_names_the_referring_cell(mini_bundle):
    set_cell(mini_bundle, "teachers.csv", 4, "school_id", "S99")
    problem = only(problems_of(mini_bundle), "teachers.csv", 4, "school_id")
    assert "S99" in problem.message_en and "schools.csv" in problem.message_en


def test_duplicate_id_names_the_second_row(mini_bundle):
    row = append_row(mini_bundle, "students.csv", {"student_id": "ST001", "class_id": "S5-8-1", "school_id": "S5"})
    problem = only(problems_of(mini_bundle), "students.csv", row, "student_id")
    assert "duplicate" in problem.message_en and "ST001" in problem.message_en


def test_cluster_without_a_lead(mini_bundle):
    set_cell(mini_bundle, "schools.csv", 5, "is_lead", "0")  # S4 was C2's lead
    problem = only(problems_of(mini_bundle), "clusters.csv", 3, "cluster_id")
    assert "no lead" in problem.message_en and "C2" in problem.message_en


def test_cluster_with_two_leads(mini_bundle):
    set_cell(mini_bundle, "schools.csv", 3, "is_lead", "是")  # S2 joins S1 as a lead of C1
    problem = only(problems_of(mini_bundle), "schools.csv", 3, "is_lead")
    assert "2 lead schools" in problem.message_en


def test_cluster_over_ten_schools(mini_bundle):
    for number in range(10):
        append_row(mini_bundle, "schools.csv", {
            "school_id": f"X{number}", "name": f"新建小学{number}", "cluster_id": "C1", "is_lead": "0",
            "stage": "primary", "locality": "rural", "tier": "weak", "lat": "34.9", "lon": "113.8", "hardship": "1"})
    problem = only(problems_of(mini_bundle), "clusters.csv", 2, "cluster_id")
    assert "13 schools" in problem.message_en and "10" in problem.message_en


@pytest.mark.parametrize("column,value", [("lat", "134.5"), ("lon", "-200")])
def test_coordinates_out_of_range(mini_bundle, column, value):
    set_cell(mini_bundle, "schools.csv", 4, column, value)
    problem = only(problems_of(mini_bundle), "schools.csv", 4, column)
    assert "out of range" in problem.message_en


def test_negative_capacity(mini_bundle):
    set_cell(mini_bundle, "rooms.csv", 3, "capacity", "-5")
    problem = only(problems_of(mini_bundle), "rooms.csv", 3, "capacity")
    assert "not negative" in problem.message_en


def test_unknown_subject(mini_bundle):
    set_cell(mini_bundle, "teachers.csv", 2, "subject", "calligraphy")
    problem = only(problems_of(mini_bundle), "teachers.csv", 2, "subject")
    assert "unknown subject 'calligraphy'" in problem.message_en


@pytest.mark.parametrize("file,row,column,value", [
    ("classes.csv", 2, "grade", "13"),
    ("teachers.csv", 3, "grades", "3;十"),
    ("needs.csv", 2, "grade", "8"),  # grade 8 at a primary school
])
def test_unknown_grade(mini_bundle, file, row, column, value):
    set_cell(mini_bundle, file, row, column, value)
    problem = only(problems_of(mini_bundle), file, row, column)
    assert "grade" in problem.message_en


def test_unreadable_encoding(mini_bundle):
    (mini_bundle / "rooms.csv").write_bytes(b"school_id,room_id,capacity\n\x80\xff\xfe,\xff\x80,3\n")
    problem = only(problems_of(mini_bundle), "rooms.csv", None, None)
    assert "encoding" in problem.message_en


def test_gbk_encoded_csv_from_excel_is_accepted(mini_bundle):
    text = (mini_bundle / "clusters.csv").read_text(encoding="utf-8")
    (mini_bundle / "clusters.csv").write_bytes(text.encode("gbk"))
    assert load_bundle(mini_bundle)["clusters"].set_index("cluster_id").loc["C1", "name"] == "城关第一学区"


def test_missing_required_column(mini_bundle):
    drop_column(mini_bundle, "teachers.csv", "backbone")
    problem = only(problems_of(mini_bundle), "teachers.csv", 1, "backbone")
    assert "missing required column backbone" in problem.message_en


def test_missing_required_file(mini_bundle):
    (mini_bundle / "rooms.csv").unlink()
    problem = only(problems_of(mini_bundle), "rooms.csv", None, None)
    assert "missing required file" in problem.message_en


def test_chinese_headers_are_synonyms(mini_bundle):
    rows = read_rows(mini_bundle, "rooms.csv")
    rows[0] = ["学校编号", "考场号", "座位数"]
    write_rows(mini_bundle, "rooms.csv", rows)
    assert list(load_bundle(mini_bundle)["rooms"]["capacity"]) == [30, 30, 30]


def test_every_problem_is_listed_at_once(mini_bundle):
    set_cell(mini_bundle, "teachers.csv", 2, "subject", "calligraphy")
    set_cell(mini_bundle, "rooms.csv", 2, "capacity", "-1")
    set_cell(mini_bundle, "schools.csv", 2, "lat", "95")
    set_cell(mini_bundle, "classes.csv", 3, "size", "many")
    problems = problems_of(mini_bundle)
    assert {(p.file, p.row, p.column) for p in problems} >= {
        ("teachers.csv", 2, "subject"), ("rooms.csv", 2, "capacity"), ("schools.csv", 2, "lat"),
        ("classes.csv", 3, "size")}


def test_messages_render_in_chinese_with_location(mini_bundle):
    set_cell(mini_bundle, "rooms.csv", 3, "capacity", "-5")
    problem = only(problems_of(mini_bundle), "rooms.csv", 3, "capacity")
    assert problem.render("zh").startswith("rooms.csv 第3行 列 capacity：")


def test_xlsx_workbook_with_the_same_sheets_reads_the_same(mini_bundle, tmp_path):
    from bundle.io import write_bundle

    tables = load_bundle(mini_bundle)
    workbook = tmp_path / "bundle.xlsx"
    write_bundle(tables, workbook)
    again = load_bundle(workbook)
    assert set(again) == set(tables)
    for name in tables:
        assert again[name].astype(str).equals(tables[name].astype(str)), name


def test_xlsx_problem_names_the_sheet(mini_bundle, tmp_path):
    from openpyxl import load_workbook

    from bundle.io import write_bundle

    workbook = tmp_path / "bundle.xlsx"
    write_bundle(load_bundle(mini_bundle), workbook)
    book = load_workbook(workbook)
    book["rooms"]["C3"] = -7
    book.save(workbook)
    problem = only(problems_of(workbook), "bundle.xlsx:rooms", 3, "capacity")
    assert "not negative" in problem.message_en


def test_template_has_every_file_and_notes(tmp_path):
    from openpyxl import load_workbook

    from bundle.spec import INPUT_FILES
    from bundle.template import NOTES_SHEET, write_template

    path = write_template(tmp_path / "template.xlsx")
    book = load_workbook(path)
    assert book.sheetnames[0] == NOTES_SHEET
    for spec in INPUT_FILES:
        assert [c.value for c in book[spec.name][1]] == spec.column_names
    notes_text = " ".join(str(c.value) for row in book[NOTES_SHEET].iter_rows() for c in row if c.value)
    assert "艰苦程度" in notes_text and "Hardship level" in notes_text
    tables = load_bundle(path)  # an empty template is a valid (empty) bundle
    assert all(len(frame) == 0 for frame in tables.values())
