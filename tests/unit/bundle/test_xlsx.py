"""The small xlsx writer: what it writes reads back the same in openpyxl and pandas."""
import numpy as np
import openpyxl
import pandas as pd
import pytest

from bundle.xlsx import Sheet, column_letter, safe_sheet_name, write_workbook


def test_round_trip(tmp_path):
    frame = pd.DataFrame({
        "学校": ["一中 & <二中>", None, "三\x01中", 'say "hi"'],
        "优秀率": [0.25, np.nan, 1.0, 1 / 3],
        "人数": [1, 2, 3, 4],
        "名次": pd.array([1, None, 3, 4], dtype="Int64"),
        "全科": [True, False, True, False],
        "分数": [95.5, 0.0, -1.25, 1e-7],
    })
    path = write_workbook(tmp_path / "t.xlsx", [Sheet("学校/汇总", frame, {"优秀率": "percent"}),
                                                 Sheet("学校/汇总", frame.head(0), {})])
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["学校_汇总", "学校_汇总 (2)"]
    sheet = book["学校_汇总"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(frame.columns)
    assert rows[1][0] == "一中 & <二中>" and rows[2][0] is None and rows[3][0] == "三中" and rows[4][0] == 'say "hi"'
    assert rows[1][1] == 0.25 and rows[2][1] is None and rows[4][1] == pytest.approx(1 / 3, rel=1e-9)
    assert [r[3] for r in rows[1:]] == [1, None, 3, 4]
    assert [r[4] for r in rows[1:]] == [True, False, True, False]
    assert [r[5] for r in rows[1:]] == [95.5, 0, -1.25, 1e-7]
    assert sheet["B2"].number_format == "0.0%" and sheet["C2"].number_format == "0"
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2"
    back = pd.read_excel(path, sheet_name=0)
    assert back["人数"].tolist() == [1, 2, 3, 4]


def test_names_and_letters(tmp_path):
    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702)] == ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]
    taken: set[str] = set()
    assert safe_sheet_name("x" * 40, taken) == "x" * 31
    assert safe_sheet_name("X" * 40, taken) == "X" * 27 + " (2)"  # Excel names are case-insensitive
    with pytest.raises(ValueError, match="duplicate headers"):
        write_workbook(tmp_path / "dup.xlsx", [Sheet("a", pd.DataFrame([[1, 2]], columns=["x", "x"]), {})])
    assert not (tmp_path / "dup.xlsx").exists()


def test_notes_tables_below_wrapped_text_and_mixed_columns(tmp_path):
    """What the notices, the template's notes sheet and the blueprint's 汇总 need from the one writer."""
    first = pd.DataFrame({"学科": ["语文", "=cmd|' /C calc'!A0"], "人数": [3, ""], "通知": ["长" * 80, None]})
    second = pd.DataFrame({"题型": ["单选", "合计"], "分值": [40.0, 40.0]})
    path = write_workbook(tmp_path / "n.xlsx", [
        Sheet("说明", first, formats={"通知": "wrap"}, widths={"通知": 60}, notes=("标题 title", "说明文字")),
        Sheet("=SUM(A1)", second, below=(second,)),
        Sheet("学校", first)])
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["说明", "=SUM(A1)", "学校"]  # a sheet name is never a cell: no quote added
    notes = book["说明"]
    assert [notes["A1"].value, notes["A2"].value, notes["A3"].value] == ["标题 title", "说明文字", None]
    assert notes["A1"].font.b and notes["A1"].font.sz == 14
    assert [c.value for c in notes[4]] == ["学科", "人数", "通知"]  # the table after a blank row
    assert notes["A6"].value == "'=cmd|' /C calc'!A0"  # formula-safe
    assert notes["B5"].value == 3 and notes["B6"].value is None  # a number in a mixed column stays a number
    assert notes["C5"].alignment.wrap_text and notes.column_dimensions["C"].width == 60
    assert notes.freeze_panes is None  # a notes sheet is read from the top; a plain table keeps its header
    assert book["学校"].freeze_panes == "A2"
    summary = [[c.value for c in row] for row in book["=SUM(A1)"].iter_rows()]
    assert summary == [["题型", "分值"], ["单选", 40], ["合计", 40], [None, None], ["题型", "分值"], ["单选", 40],
                       ["合计", 40]]
    assert book["学校"].column_dimensions["A"].width == len("=cmd|' /C calc'!A0") + 2  # fits its text


def test_cjk_text_counts_two_columns_wide(tmp_path):
    frame = pd.DataFrame({"a": ["一二三四五六七八九十"], "b": ["abcdefghij"]})
    sheet = openpyxl.load_workbook(write_workbook(tmp_path / "w.xlsx", [Sheet("w", frame)]))["w"]
    assert sheet.column_dimensions["A"].width == 22 and sheet.column_dimensions["B"].width == 12
