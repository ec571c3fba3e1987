"""The small xlsx writer: what it writes reads back the same in openpyxl and pandas."""
import numpy as np
import openpyxl
import pandas as pd
import pytest

from analysis.xlsx import Sheet, column_letter, safe_sheet_name, write_workbook


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
