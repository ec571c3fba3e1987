"""The project's one Excel writer: .xlsx workbooks (Office Open XML) of sheets made from DataFrames.

Every workbook xuequ writes goes through `write_workbook` — bundle exports and the template,
rotation rosters, invigilation and marking notices, blueprints, analysis reports — so they share
one look and one safety rule: every text cell and header passes `bundle.cells.safe_cell` (a name
like `=HYPERLINK(...)` stays text); headers are bold and shaded and stay in view (frozen); columns
are as wide as their text, a CJK character counting two; the font is 等线 (Excel's Chinese default).

A `Sheet` is one table, optionally under a few lines of notes (说明: a bold title, then text) and
above further tables (`below`, after a blank row). Numbers stay numbers, also in a column that
mixes them with text. Why not openpyxl: it spends ~20 µs per cell, so the class-level sheets of a
district (a few hundred thousand cells) take tens of seconds; here a sheet is one XML string built
column-wise with numpy, well over a million cells a second. openpyxl and pandas read the result
back (the tests do).
"""
from __future__ import annotations

import numbers
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from bundle.cells import safe_cell

# cellXfs indices in styles.xml
STYLE_DEFAULT, STYLE_HEADER, STYLE_PERCENT, STYLE_DECIMAL, STYLE_INTEGER, STYLE_TEXT, STYLE_WRAP, STYLE_TITLE = range(8)
FORMATS = {"percent": STYLE_PERCENT, "decimal": STYLE_DECIMAL, "integer": STYLE_INTEGER, "text": STYLE_TEXT,
           "general": STYLE_DEFAULT, "wrap": STYLE_WRAP}  # wrap: long text (a notice) wraps, top-aligned
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


@dataclass
class Sheet:
    name: str
    frame: pd.DataFrame  # its columns are the header row; the index is not written (reset_index() to keep it)
    formats: dict[str, str] = field(default_factory=dict)  # column → a FORMATS key (default: by dtype)
    widths: dict[str, float] | None = None  # column → width; the others fit their text
    notes: tuple[str, ...] = ()  # lines above the table (说明): the first is a bold title
    below: tuple[pd.DataFrame, ...] = ()  # more tables under the first, each after a blank row


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def safe_sheet_name(name: str, taken: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", name).strip("'")[:31] or "Sheet"
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def _xml(text: str) -> str:
    return escape(_INVALID_XML.sub("", text), {'"': "&quot;"})


def _text(value) -> str:
    # Inline strings are never formulas here, but a sheet saved again as CSV would be: escape once, like every writer.
    return _xml(str(safe_cell(value)))


def _mixed_cell(ref: str, value, s_attr: str) -> str:
    """One cell of a column that is not all numbers: numbers stay numbers, booleans booleans, the rest text."""
    if isinstance(value, (bool, np.bool_)):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, numbers.Real) and np.isfinite(float(value)):
        number = str(int(value)) if isinstance(value, numbers.Integral) else "%.10g" % float(value)
        return f'<c r="{ref}"{s_attr}><v>{number}</v></c>'
    text = _text(value)
    return f'<c r="{ref}"{s_attr} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>' if text else ""


def _column_cells(series: pd.Series, letter: str, style: int, first_row: int = 2) -> np.ndarray:
    """The <c> element of every row of one column (empty string for a missing value)."""
    n = len(series)
    rows = np.arange(first_row, n + first_row).astype(str)
    refs = np.char.add(letter, rows).astype(object)
    values = series.to_numpy(dtype=object)
    missing = pd.isna(series).to_numpy()
    out = np.full(n, "", dtype=object)
    numeric = (pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)
               and style != STYLE_TEXT)
    s_attr = f' s="{style}"' if style else ""
    if numeric:
        floats = series.to_numpy(dtype=float, na_value=np.nan)
        finite = np.isfinite(floats) & ~missing
        if pd.api.types.is_integer_dtype(series.dtype):
            texts = np.array([str(int(v)) for v in floats[finite].tolist()], dtype=object)
        else:
            texts = np.array(["%.10g" % v for v in floats[finite].tolist()], dtype=object)  # 10 digits suffice
        out[finite] = '<c r="' + refs[finite] + '"' + s_attr + "><v>" + texts + "</v></c>"
        return out
    if pd.api.types.is_bool_dtype(series.dtype):
        present = ~missing
        bits = np.where(values[present].astype(bool), "1", "0").astype(object)
        out[present] = '<c r="' + refs[present] + '" t="b"><v>' + bits + "</v></c>"
        return out
    present = np.flatnonzero(~missing)
    if style == STYLE_TEXT or pd.api.types.is_string_dtype(series):  # all text: the fast path
        texts = np.array([_text(v) for v in values[present]], dtype=object)
        keep = texts != ""
        idx = present[keep]
        out[idx] = ('<c r="' + refs[idx] + '"' + s_attr + ' t="inlineStr"><is><t xml:space="preserve">' + texts[keep]
                    + "</t></is></c>")
        return out
    for i in present:  # an object column (a room's seats or "", a list of names): cell by cell
        out[i] = _mixed_cell(refs[i], values[i], s_attr)
    return out


def _default_format(series: pd.Series) -> str:
    if pd.api.types.is_integer_dtype(series.dtype):
        return "integer"
    if pd.api.types.is_float_dtype(series.dtype):
        return "decimal"
    return "general"


def _width(series: pd.Series, header: str) -> float:
    def visual(s: str) -> int:  # CJK characters are about two columns wide
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)

    sample = series.head(200)
    if pd.api.types.is_float_dtype(sample.dtype):
        longest = 8
    else:
        longest = max((visual(str(v)) for v in sample if not pd.isna(v)), default=4)
    return float(min(max(visual(header), longest) + 2, 60))


def _table_rows(frame: pd.DataFrame, formats: dict[str, str], header_row: int) -> list[str]:
    """The <row> elements of one table: its header at `header_row`, its body below."""
    letters = [column_letter(i) for i in range(len(frame.columns))]
    header = "".join(f'<c r="{letter}{header_row}" s="{STYLE_HEADER}" t="inlineStr"><is><t>{_text(c)}</t></is></c>'
                     for letter, c in zip(letters, frame.columns))
    rows = [f'<row r="{header_row}">{header}</row>'] if len(frame.columns) else []
    if len(frame) and len(frame.columns):
        cells = [_column_cells(frame.iloc[:, i], letter,
                               FORMATS[formats.get(c) or _default_format(frame.iloc[:, i])], header_row + 1)
                 for i, (c, letter) in enumerate(zip(frame.columns, letters))]
        rows += [f'<row r="{r}">{"".join(row)}</row>'
                 for r, row in enumerate(zip(*(c.tolist() for c in cells)), start=header_row + 1)]
    return rows


def sheet_xml(sheet: Sheet) -> str:
    frame = sheet.frame
    title = f' s="{STYLE_TITLE}"'
    rows = [f'<row r="{r}"><c r="A{r}"{title if r == 1 else ""} t="inlineStr"><is>'
            f'<t xml:space="preserve">{_text(line)}</t></is></c></row>'
            for r, line in enumerate(sheet.notes, start=1)]
    header_row = len(sheet.notes) + 2 if sheet.notes else 1  # a blank row between the notes and the table
    rows += _table_rows(frame, sheet.formats, header_row)
    next_row = header_row + len(frame) + 2
    for table in sheet.below:
        rows += _table_rows(table, sheet.formats, next_row)
        next_row += len(table) + 2
    widths = sheet.widths or {}
    fitted: dict[int, float] = {}  # by position: the tables below share the columns of the first
    for table in (frame, *sheet.below):
        for i, c in enumerate(table.columns):
            fitted[i] = max(fitted.get(i, 0.0), _width(table.iloc[:, i], str(c)))
    set_width = {i: widths.get(name, 0) for i, name in enumerate(frame.columns)}  # the first table's columns only
    cols = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{set_width.get(i, 0) or w:.1f}" customWidth="1"/>'
                   for i, w in sorted(fitted.items()))
    # a plain table keeps its header in view and offers filters; a sheet of notes is read from the top
    plain = bool(len(frame.columns)) and not sheet.notes and not sheet.below
    view = ('<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
            'state="frozen"/></sheetView></sheetViews>') if plain else ""
    last = f"{column_letter(len(frame.columns) - 1)}{len(frame) + 1}" if len(frame.columns) else "A1"
    auto_filter = f'<autoFilter ref="A1:{last}"/>' if plain and len(frame) else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{view}"
        f"{'<cols>' + cols + '</cols>' if cols else ''}"
        f'<sheetData>{"".join(rows)}</sheetData>'
        f"{auto_filter}"
        "</worksheet>"
    )


STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="0.0%"/></numFmts>'
    '<fonts count="3"><font><sz val="11"/><name val="等线"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="等线"/><family val="2"/></font>'
    '<font><b/><sz val="14"/><name val="等线"/><family val="2"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill>'
    '</fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="8">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment vertical="top" wrapText="1"/></xf>'
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>'
)


def write_workbook(path: Path, sheets: list[Sheet]) -> Path:
    """Write the sheets (in order) to an .xlsx file."""
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    for sheet in sheets:  # check before creating the file
        for table in (sheet.frame, *sheet.below):
            if table.columns.duplicated().any():
                raise ValueError(f"sheet {sheet.name!r} has duplicate headers: "
                                 f"{list(table.columns[table.columns.duplicated()])}")
    taken: set[str] = set()
    names = [safe_sheet_name(s.name, taken) for s in sheets]  # never through safe_cell: a name is no cell
    quoted = [n.replace("'", "''") for n in names]  # a formula's reference doubles the quotes inside a name
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        + "".join(f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" '
                  'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                  for i in range(len(sheets)))
        + "</Types>"
    )
    root_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    filters = "".join(  # Excel keeps an autofilter only with its hidden defined name
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
        f"'{_xml(n)}'!$A$1:${column_letter(len(s.frame.columns) - 1)}${len(s.frame) + 1}</definedName>"
        for i, (n, s) in enumerate(zip(quoted, sheets))
        if len(s.frame) and len(s.frame.columns) and not s.notes and not s.below)
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        + "".join(f'<sheet name="{_xml(n)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, n in enumerate(names))
        + "</sheets>"
        + (f"<definedNames>{filters}</definedNames>" if filters else "")
        + "</workbook>"
    )
    workbook_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(f'<Relationship Id="rId{i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                  f'relationships/worksheet" Target="worksheets/sheet{i + 1}.xml"/>' for i in range(len(sheets)))
        + f'<Relationship Id="rId{len(sheets) + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
          'relationships/styles" Target="styles.xml"/></Relationships>'
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", content_types)
        zf.writestr("_rels/.rels", root_rels)
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        zf.writestr("xl/styles.xml", STYLES)
        for i, sheet in enumerate(sheets):
            zf.writestr(f"xl/worksheets/sheet{i + 1}.xml", sheet_xml(sheet))
    return path
