"""Cells of the project's tables: written formula-safe, read leniently.

Writing (OWASP CSV injection): formula-safe cells for every CSV and Excel file the project writes.

A school named `=HYPERLINK(...)` or a teacher named `=cmd|' /C calc'!A0` must reach a
spreadsheet as text, never as a live formula. OWASP's rule: a text cell that begins with `=`,
`+`, `-`, `@`, tab or carriage return gets a leading `'`, which spreadsheets read as "this is
text". Numbers stay numbers: a typed number is never touched, and text that is just a number
(`-3.5`, a negative coordinate already formatted) cannot be a formula, so it is left as written.
Every writer goes through `safe_cell`, `safe_row` or `safe_frame`; nothing else escapes cells.

Reading: a cell of a pandas table comes typed (as `bundle.validate` returns it), as raw text
("1", "是", " 12 ") or missing in any of pandas' spellings (None, NaN, pd.NA, NaT, "").
`is_blank`, `cell_text`, `cell_bool`, `cell_int` and `cell_float` are the one reading of such
cells that every planner uses; a caller chooses its default for a blank cell, and whether a
boolean that is neither yes nor no is an error (`strict`) or no (the lenient reading).
"""
from __future__ import annotations

import numbers
import re
from collections.abc import Iterable
from typing import overload

import numpy as np
import pandas as pd

from domain.vocab import BOOL_FALSE, BOOL_TRUE

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


# --- reading --------------------------------------------------------------------------------

def is_blank(value: object) -> bool:
    """None, NaN, pd.NA, NaT and whitespace-only text; a list or array is never blank."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    return bool(pd.api.types.is_scalar(value) and pd.isna(value))


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


@overload
def cell_text(value: object, default: str = "") -> str: ...
@overload
def cell_text(value: object, default: None) -> str | None: ...


def cell_text(value: object, default: str | None = "") -> str | None:
    """Stripped text; `default` when blank. A whole float reads as an integer ("1001", not "1001.0"):
    pandas turns an id column with a gap into floats."""
    if is_blank(value):
        return default
    if _is_number(value) and float(value).is_integer():  # type: ignore[arg-type]
        return str(int(value))  # type: ignore[call-overload]
    return str(value).strip()


def cell_bool(value: object, *, strict: bool = False) -> bool:
    """是/否, 1/0, true/false, yes/no (any case), 1.0/0.0 and typed booleans; blank is no.

    Anything else (2, "maybe") raises ValueError when `strict`, and reads as no otherwise."""
    if is_blank(value):
        return False
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    text = cell_text(value)
    if text.lower() in BOOL_TRUE:
        return True
    if text.lower() in BOOL_FALSE:
        return False
    if re.fullmatch(r"[+-]?\d+\.0*", text):  # "1.0" from a spreadsheet that saved 1 as a float
        number = float(text)
        if number in (0.0, 1.0):
            return number == 1.0
    if strict:
        raise ValueError(f"not a boolean: {value!r}")
    return False


@overload
def cell_int(value: object, default: int) -> int: ...
@overload
def cell_int(value: object, default: None = None) -> int | None: ...


def cell_int(value: object, default: int | None = None) -> int | None:
    """An integer ("12", 12.0, " 7 "); `default` when blank. Decimals are cut ("3.7" → 3)."""
    if is_blank(value):
        return default
    return int(float(value))  # type: ignore[arg-type]


@overload
def cell_float(value: object, default: float) -> float: ...
@overload
def cell_float(value: object, default: None = None) -> float | None: ...


def cell_float(value: object, default: float | None = None) -> float | None:
    """A number; `default` when blank."""
    if is_blank(value):
        return default
    return float(value)  # type: ignore[arg-type]
