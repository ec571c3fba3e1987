"""OWASP CSV injection: text that a spreadsheet would run is written with a leading `'`; numbers stay numbers."""
from __future__ import annotations

import pandas as pd
import pytest

from bundle.cells import safe_cell, safe_frame, safe_row, unguarded


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\",\"y\")", "=cmd|' /C calc'!A0", "+1+cmd", "-2+3+cmd|x",
                                  "@SUM(A1:A2)", "\tx", "\rx", "-", "=1"])
def test_formula_starts_get_a_quote(text):
    assert safe_cell(text) == "'" + text
    assert unguarded(safe_cell(text)) == text


@pytest.mark.parametrize("value", [-3, -3.5, 0, 2.25, True, None, "-3.5", "+7", "-1e3", "王芳", "S001", "a=b", "'quoted"])
def test_numbers_and_plain_text_stay(value):
    assert safe_cell(value) == value or (value is None and safe_cell(value) is None)


def test_safe_frame_leaves_numeric_columns_typed():
    frame = pd.DataFrame({"name": ["=cmd|' /C calc'!A0", "李强", None], "lon": [-113.5, 113.6, -0.1],
                          "n": pd.array([-1, 2, None], dtype="Int64"), "=bad": [True, False, True]})
    safe = safe_frame(frame)
    assert safe["name"].tolist()[:2] == ["'=cmd|' /C calc'!A0", "李强"] and pd.isna(safe["name"].iat[2])
    assert safe["lon"].dtype == frame["lon"].dtype and safe["lon"].tolist() == [-113.5, 113.6, -0.1]
    assert safe["n"].dtype == frame["n"].dtype
    assert list(safe.columns) == ["name", "lon", "n", "'=bad"]
    assert frame["name"].iat[0].startswith("=")  # the caller's frame is not changed


def test_safe_row():
    assert safe_row(["=1+1", -5, "x"]) == ["'=1+1", -5, "x"]
