"""Formula-safe cells for every CSV and Excel file the project writes (OWASP CSV injection).

A school named `=HYPERLINK(...)` or a teacher named `=cmd|' /C calc'!A0` must reach a
spreadsheet as text, never as a live formula. OWASP's rule: a text cell that begins with `=`,
`+`, `-`, `@`, tab or carriage return gets a leading `'`, which spreadsheets read as "this is
text". Numbers stay numbers: a typed number is never touched, and text that is just a number
(`-3.5`, a negative coordinate already formatted) cannot be a formula, so it is left as written.
Every writer goes through `safe_cell`, `safe_row` or `safe_frame`; nothing else escapes cells.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$")


def safe_cell(value: object) -> object:
    """The value as a spreadsheet must receive it: dangerous text gets a leading `'`."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if _PLAIN_NUMBER.match(value):
        return value  # "-3.5" is a number written as text, not a formula
    return "'" + value


def safe_row(values: Iterable[object]) -> list[object]:
    """One worksheet row (openpyxl `append`) with every text cell made safe."""
    return [safe_cell(v) for v in values]


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text columns (and text headers) are safe; numeric and boolean columns are untouched."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
            continue
        out[column] = series.map(safe_cell, na_action="ignore")
    out.columns = [safe_cell(c) if isinstance(c, str) else c for c in out.columns]
    if not isinstance(out.index, pd.RangeIndex):  # an index written as a column (a matrix's row labels)
        out.index = out.index.map(safe_cell)
    return out


def unguarded(text: str) -> str:
    """A cell read back from a file we wrote: the `'` that `safe_cell` added is dropped again,
    so a school named `=HYPERLINK(...)` survives export and re-import unchanged."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_STARTS:
        return text[1:]
    return text
