"""Reading and writing bundles: a folder of CSV files or one Excel workbook (FORMATS.md).

Reading gives raw text tables (every cell a string, headers mapped to the contract's names);
`bundle.validate` turns them into typed tables or a list of problems. Writing takes typed tables
and formats them the one way we always write them, so an export re-imports to the same files.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from bundle.cells import safe_cell, unguarded
from bundle.problems import Problem
from bundle.spec import INPUT_BY_NAME, FileSpec
from bundle.xlsx import Sheet, write_workbook

# Chinese Excel saves CSV as GBK/GB18030; UTF-8 (with or without BOM) is the contract.
ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass
class RawTable:
    """One file's cells as strings, with the row number each data row has in the user's file."""

    spec: FileSpec
    source: str  # what problems call the file: "teachers.csv" or "bundle.xlsx:teachers"
    frame: pd.DataFrame  # columns: contract names (unknown extra columns dropped), all str
    rows: list[int]  # user-visible row number of each frame row
    missing_columns: list[str] = field(default_factory=list)
    absent_optional: list[str] = field(default_factory=list)  # optional columns the file lacks (read as empty)


@dataclass
class RawBundle:
    tables: dict[str, RawTable]
    problems: list[Problem]
    present: set[str]  # names of the files found


def _header_map(spec: FileSpec) -> dict[str, str]:
    """Accepted header spellings (English name, case-insensitive, or the Chinese synonym) → name."""
    mapping: dict[str, str] = {}
    for column in spec.columns:
        mapping[column.name.lower()] = column.name
        mapping[column.zh] = column.name
    return mapping


def _header_name(accepted: dict[str, str], header: object) -> str | None:
    text = str(header).strip().lstrip("\ufeff").strip()
    return accepted.get(text.lower()) or accepted.get(text)


def _normalise_headers(spec: FileSpec, source: str, headers: list[str]) -> tuple[dict[int, str], list[Problem]]:
    """Map header positions to contract names; report duplicates."""
    accepted = _header_map(spec)
    positions: dict[int, str] = {}
    seen: dict[str, int] = {}
    problems: list[Problem] = []
    for index, header in enumerate(headers):
        name = _header_name(accepted, header)
        if name is None:
            continue  # extra columns are allowed by the contract
        if name in seen:
            problems.append(Problem(source, 1, str(header), f"列 {name} 出现了两次",
                                    f"column {name} appears twice"))
            continue
        seen[name] = index
        positions[index] = name
    return positions, problems


def _table_from_rows(spec: FileSpec, source: str, header: list[str], body: list[list[str]],
                     first_row: int) -> tuple[RawTable, list[Problem]]:
    positions, problems = _normalise_headers(spec, source, header)
    names = set(positions.values())
    missing = [c.name for c in spec.columns if c.required and c.name not in names]
    for name in missing:
        column = spec.column(name)
        problems.append(Problem(source, 1, name, f"缺少必需的列 {name}（{column.zh}）",
                                f"missing required column {name} ({column.zh})"))
    data: dict[str, list[str]] = {name: [] for name in positions.values()}
    rows: list[int] = []
    for offset, values in enumerate(body):
        if not any(str(v).strip() for v in values):
            continue  # blank lines are not data
        rows.append(first_row + offset)
        for index, name in positions.items():
            data[name].append(str(values[index]).strip() if index < len(values) else "")
    for name, values in data.items():  # our own formula guard (bundle.cells) comes off again
        joined = "\n".join(values)
        if joined.startswith("'") or "\n'" in joined:  # one C-speed scan; most files have no quote at all
            data[name] = [unguarded(v) for v in values]
    frame = pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in data.items()})
    absent = []
    for column in spec.columns:  # optional columns absent from the file read as empty
        if column.name not in frame.columns and not column.required:
            frame[column.name] = pd.Series([""] * len(rows), dtype=object)
            absent.append(column.name)
    return RawTable(spec, source, frame, rows, missing, absent), problems


def _decode(raw: bytes) -> str | None:
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def read_csv_file(path: Path, spec: FileSpec) -> tuple[RawTable | None, list[Problem]]:
    """Read one CSV file of the bundle as text cells."""
    source = path.name
    text = _decode(path.read_bytes())
    if text is None:
        return None, [Problem(source, None, None, "无法识别文件编码，请另存为 UTF-8 编码的 CSV",
                              "unreadable encoding: save the file as UTF-8 CSV")]
    header_at = _first_non_blank_line(text)
    if header_at is None:  # nothing but blank lines is an empty file too
        return None, [Problem(source, None, None, "文件为空，缺少表头行", "the file is empty: no header row")]
    delimiter, problem = detect_delimiter(text.splitlines()[header_at], spec, source, header_row=header_at + 1)
    if problem is not None:
        return None, [problem]
    lines = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    skipped = 0
    while lines and not any(cell.strip() for cell in lines[0]):  # blank lines above the header
        lines, skipped = lines[1:], skipped + 1
    return _table_from_rows(spec, source, lines[0], lines[1:], first_row=skipped + 2)


def _first_non_blank_line(text: str) -> int | None:
    for index, line in enumerate(text.splitlines()):
        if line.strip(" \t\r\ufeff,;"):
            return index
    return None


def detect_delimiter(header: str, spec: FileSpec, source: str, header_row: int = 1) -> tuple[str, Problem | None]:
    """The separator of a CSV file: the one of `,` `;` tab that splits its header into the most known columns.

    European and some Chinese Excel installations save CSV with `;` (or tab from "Unicode text");
    the contract's list separator is also `;`, so the header, which holds no lists, decides.
    """
    accepted = _header_map(spec)

    def known(delimiter: str) -> int:
        cells = next(csv.reader([header], delimiter=delimiter), [])
        return sum(1 for cell in cells if _header_name(accepted, cell) is not None)

    scores = {delimiter: known(delimiter) for delimiter in (",", ";", "\t")}
    best = max(scores, key=lambda d: (scores[d], d == ","))
    if scores[best] == 0:
        expected = ", ".join(spec.column_names[:4])
        used = _likely_separator(header)
        seen_zh = f"；这一行似乎用“{used}”分隔" if used else ""
        seen_en = f"; this line seems to be separated by '{used}'" if used else ""
        return ",", Problem(source, header_row, None,
                            f"表头中没有可识别的列名（应为 {expected} …，用逗号、分号或制表符分隔）{seen_zh}",
                            f"no known column in the header (expected {expected} …, separated by comma, "
                            f"semicolon or tab){seen_en}")
    return best, None


def _likely_separator(header: str) -> str | None:
    """The punctuation a refused header repeats most (`|`, `/`, a full-width comma …), to name it in the message."""
    counts = {c: header.count(c) for c in set(header) if not c.isalnum() and c not in " _-\ufeff\"'"}
    return max(counts, key=lambda c: counts[c]) if counts else None


def cell_text(value: object) -> str:
    """Excel cells arrive typed; the contract is text, so render them as a person typed them."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return str(value)


def read_bundle(path: Path) -> RawBundle:
    """Read a bundle folder of CSV files or a single .xlsx workbook."""
    path = Path(path)
    tables: dict[str, RawTable] = {}
    problems: list[Problem] = []
    if path.is_file() and path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as error:  # a corrupt or non-Excel file
            return RawBundle({}, [Problem(path.name, None, None, f"无法读取 Excel 文件：{error}",
                                          f"cannot read the workbook: {error}")], set())
        for sheet in workbook.worksheets:
            spec = INPUT_BY_NAME.get(sheet.title.strip().removesuffix(".csv"))
            if spec is None:
                continue
            rows = [[cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            source = f"{path.name}:{sheet.title}"
            if not rows:
                problems.append(Problem(source, None, None, "工作表为空，缺少表头行", "the sheet is empty: no header row"))
                continue
            table, found = _table_from_rows(spec, source, rows[0], rows[1:], first_row=2)
            tables[spec.name] = table
            problems += found
        workbook.close()
    elif path.is_dir():
        for spec in INPUT_BY_NAME.values():
            file = path / spec.filename
            if not file.exists():
                continue
            csv_table, found = read_csv_file(file, spec)
            problems += found
            if csv_table is not None:
                tables[spec.name] = csv_table
    else:
        return RawBundle({}, [Problem(str(path), None, None, "找不到数据包：应为 CSV 文件夹或 .xlsx 工作簿",
                                      "no bundle here: expected a folder of CSV files or an .xlsx workbook")], set())
    present = set(tables)
    for spec in INPUT_BY_NAME.values():
        if spec.required and spec.name not in present and not any(
                p.file.endswith(spec.filename) or p.file.endswith(f":{spec.name}") for p in problems):
            label = spec.filename if path.is_dir() else f"{path.name}:{spec.name}"
            problems.append(Problem(label, None, None, f"缺少必需的文件 {spec.filename}（{spec.zh}）",
                                    f"missing required file {spec.filename} ({spec.zh})"))
    return RawBundle(tables, problems, present)


def read_table(path: Path, spec: FileSpec) -> tuple[RawTable | None, list[Problem]]:
    """One file of its own outside the district bundle (enrollment's applications.csv, capacities.csv):
    a CSV file, or a workbook whose sheet is named like the file (or that has only one sheet)."""
    path = Path(path)
    if not path.is_file():
        return None, [Problem(path.name, None, None, f"找不到文件 {path.name}（{spec.zh}）",
                              f"no file {path.name} ({spec.zh})")]
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return read_csv_file(path, spec)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # a corrupt or non-Excel file
        return None, [Problem(path.name, None, None, f"无法读取 Excel 文件：{error}", f"cannot read the workbook: {error}")]
    try:
        sheets = {sheet.title.strip().removesuffix(".csv"): sheet for sheet in workbook.worksheets}
        sheet = sheets.get(spec.name) or sheets.get(spec.zh) or (workbook.worksheets[0] if len(sheets) == 1 else None)
        if sheet is None:
            return None, [Problem(path.name, None, None, f"工作簿中没有名为 {spec.name} 的工作表",
                                  f"the workbook has no sheet named {spec.name}")]
        rows = [[cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        source = f"{path.name}:{sheet.title}"
    finally:
        workbook.close()
    if not rows:
        return None, [Problem(source, None, None, "工作表为空，缺少表头行", "the sheet is empty: no header row")]
    return _table_from_rows(spec, source, rows[0], rows[1:], first_row=2)


# --- writing ---

def format_cell(value: object) -> str:
    """The one text form of a typed value: 1/0 booleans, ;-joined lists, empty for missing."""
    if type(value) is str:  # the common case first: text is written as it is
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, tuple)):
        return ";".join(format_cell(v) for v in value)
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
        return repr(round(value, 6))
    try:
        if pd.isna(value):  # type: ignore[arg-type]
            return ""
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):  # numpy scalars
        return format_cell(value.item())  # type: ignore[union-attr]
    return str(value)


def text_frame(frame: pd.DataFrame, columns: list[str] | tuple[str, ...], sort_by: tuple[str, ...] = ()) -> pd.DataFrame:
    """A frame of formatted text cells in contract column order, sorted by its key for stable files.

    Text that a spreadsheet would run as a formula (`=…`) is written with a leading `'` (bundle.cells)."""
    out = pd.DataFrame({c: [safe_cell(format_cell(v)) for v in frame[c].tolist()] if c in frame.columns
                        else [""] * len(frame) for c in columns})
    if sort_by and len(out):
        out = out.sort_values(list(sort_by), kind="stable").reset_index(drop=True)
    return out


def write_csv(frame: pd.DataFrame, path: Path, columns: list[str] | tuple[str, ...],
              sort_by: tuple[str, ...] = ()) -> Path:
    """Write a table as UTF-8 CSV (with BOM, so Excel opens Chinese text correctly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text_frame(frame, columns, sort_by).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return path


def write_bundle(tables: dict[str, pd.DataFrame], out: Path) -> list[Path]:
    """Write typed bundle tables as a CSV folder, or as one workbook if `out` ends with .xlsx."""
    out = Path(out)
    ordered = [(INPUT_BY_NAME[name], frame) for name, frame in tables.items() if name in INPUT_BY_NAME]
    if out.suffix.lower() == ".xlsx":
        # every cell as the CSV would hold it (text), so ids like 0012 and dates survive a round trip
        return [write_workbook(out, [Sheet(spec.name, text_frame(frame, spec.column_names, spec.key),
                                           formats={c: "text" for c in spec.column_names})
                                     for spec, frame in ordered])]
    out.mkdir(parents=True, exist_ok=True)
    return [write_csv(frame, out / spec.filename, spec.column_names, spec.key) for spec, frame in ordered]
