"""A small document model for the printable reports (成绩单, class, teacher, school and bureau reports):
headings, paragraphs, key figures, bullet lists, tables and page breaks. The audience builders
(`analysis.audiences`) make documents; `to_html` renders one as a self-contained page (browsable,
printable) and `analysis.report_pdf` as a PDF, so both forms always carry the same words and numbers.

Cells are formatted once, when a table is made (`Table.from_frame`), with the reports' number
formats (`analysis.report_tables.format_cell`).
"""
from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from analysis import labels as L
from analysis.report_tables import format_cell

# cell marks: how a cell stands out (a figure below its reference, above it, or a heading-like cell)
LOW, HIGH, STRONG = "low", "high", "strong"


@dataclass
class Heading:
    text: str
    level: int = 2  # 1 title, 2 section, 3 subsection


@dataclass
class Paragraph:
    text: str
    style: str = ""  # "" | "note" | "flag"


@dataclass
class Facts:
    """Key figures in boxes (label, value)."""

    pairs: list[tuple[str, str]]


@dataclass
class Bullets:
    lines: list[str]


@dataclass
class PageBreak:
    pass


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    numeric: list[bool]  # right-aligned columns
    marks: list[list[str]] | None = None  # per cell: "" or LOW / HIGH / STRONG
    title: str = ""
    note: str = ""
    weights: list[float] | None = None  # relative column widths for the PDF (default: from the content)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, lang: str, *, headers: dict[str, str] | None = None,
                   marks: pd.DataFrame | None = None, title: str = "", note: str = "",
                   max_rows: int | None = None) -> Table:
        """A table from a frame with the reports' column keys (headers from analysis.labels unless given)."""
        shown = frame if max_rows is None else frame.head(max_rows)
        columns = list(shown.columns)
        names = [(headers or {}).get(c) or L.column(c, lang) for c in columns]
        numeric = [pd.api.types.is_numeric_dtype(shown[c].dtype) and shown[c].dtype != bool for c in columns]
        cells = [[format_cell(c, v) for v in shown[c].tolist()] for c in columns]  # column by column: quicker
        rows = [list(row) for row in zip(*cells)] if columns else []
        cell_marks = None
        if marks is not None:
            grid = marks.reindex(columns=columns).head(len(shown)).to_numpy(dtype=object)
            cell_marks = [[v if isinstance(v, str) else "" for v in row] for row in grid.tolist()]
        if max_rows is not None and len(frame) > max_rows:
            note = (note + " " if note else "") + L.text("truncated", lang, n=max_rows)
        return cls(names, rows, numeric, cell_marks, title, note)

    def texts(self) -> Iterable[str]:
        yield self.title
        yield self.note
        yield from self.headers
        for row in self.rows:
            yield from row


Block = Heading | Paragraph | Facts | Bullets | Table | PageBreak


@dataclass
class Doc:
    """One printable document: a title line, a subtitle (exam, date) and blocks."""

    title: str
    subtitle: str
    lang: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block | None) -> Doc:
        self.blocks.extend(b for b in blocks if b is not None)
        return self

    def texts(self) -> Iterable[str]:
        yield self.title
        yield self.subtitle
        for block in self.blocks:
            if isinstance(block, (Heading, Paragraph)):
                yield block.text
            elif isinstance(block, Facts):
                for k, v in block.pairs:
                    yield k
                    yield v
            elif isinstance(block, Bullets):
                yield from block.lines
            elif isinstance(block, Table):
                yield from block.texts()


def characters(docs: Sequence[Doc]) -> set[str]:
    """Every character the documents print (for the PDF font subset)."""
    out: set[str] = set()
    for doc in docs:
        for text in doc.texts():
            out.update(text)
    return out


# --- HTML ------------------------------------------------------------------------------------------

FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif'
CSS = """
body { font-family: %(font)s; margin: 0 auto; max-width: 1000px; padding: 12px 20px; color: #222; font-size: 14px; }
h1 { font-size: 22px; border-bottom: 3px solid #1565c0; padding-bottom: 4px; margin-bottom: 2px; }
.sub { color: #555; margin: 0 0 12px; }
h2 { font-size: 18px; margin-top: 22px; border-left: 5px solid #1565c0; padding-left: 7px; }
h3 { font-size: 15px; margin: 14px 0 4px; }
table { border-collapse: collapse; margin: 4px 0 10px; font-size: 12px; }
th, td { border: 1px solid #bbb; padding: 2px 6px; text-align: left; }
th { background: #ddebf7; font-weight: normal; }
td.n { text-align: right; white-space: nowrap; }
td.low { color: #c62828; }
td.high { color: #2e7d32; }
td.strong, tr.strong td { background: #f1f5fa; }
.caption { font-size: 13px; margin: 8px 0 2px; color: #333; }
.note { color: #555; font-size: 12px; }
.flag { color: #c62828; }
.facts { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0; }
.fact { border: 1px solid #cfd8e3; border-radius: 5px; padding: 4px 10px; min-width: 90px; font-size: 12px; }
.fact b { display: block; font-size: 17px; color: #1565c0; font-weight: normal; }
.break { page-break-after: always; break-after: page; height: 0; }
nav.toc a { margin-right: 12px; }
@media print { body { max-width: none; padding: 0; } .break { border: 0; } nav.toc { display: none; } }
""" % {"font": FONT}


def to_html(doc: Doc, *, links: Sequence[tuple[str, str]] = ()) -> str:
    """The document as one self-contained HTML page (no script, style inline, fonts from the system).
    links: (text, href) shown at the top (e.g. back to the index), hidden when printed."""
    out = [f"<h1>{_e(doc.title)}</h1>", f'<p class="sub">{_e(doc.subtitle)}</p>']
    if links:
        out.append('<nav class="toc">' + "".join(f'<a href="{_e(href)}">{_e(text)}</a>' for text, href in links)
                   + "</nav>")
    for block in doc.blocks:
        out.append(_block_html(block))
    zh = doc.lang == "zh"
    return (f'<!DOCTYPE html><html lang="{"zh-CN" if zh else "en"}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(doc.title)}</title><style>{CSS}</style></head><body>" + "\n".join(out) + "</body></html>")


_SPECIAL = re.compile(r"[&<>\"']")


def _e(text: str) -> str:
    text = str(text)
    return html.escape(text) if _SPECIAL.search(text) else text


def _block_html(block: Block) -> str:
    if isinstance(block, Heading):
        level = min(max(block.level, 1), 3)
        return f"<h{level}>{_e(block.text)}</h{level}>"
    if isinstance(block, Paragraph):
        style = f' class="{block.style}"' if block.style else ""
        return f"<p{style}>{_e(block.text)}</p>"
    if isinstance(block, Facts):
        return '<div class="facts">' + "".join(f'<div class="fact">{_e(k)}<b>{_e(v)}</b></div>'
                                               for k, v in block.pairs) + "</div>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{_e(line)}</li>" for line in block.lines) + "</ul>"
    if isinstance(block, PageBreak):
        return '<div class="break"></div>'
    return _table_html(block)


def _table_html(table: Table) -> str:
    parts = []
    if table.title:
        parts.append(f'<p class="caption">{_e(table.title)}</p>')
    head = "".join(f"<th>{_e(h)}</th>" for h in table.headers)
    plain = ['<td class="n">' if n else "<td>" for n in table.numeric]
    body = []
    for r, row in enumerate(table.rows):
        marks = table.marks[r] if table.marks else None
        if marks is None or not any(marks):
            cells = "".join(f"{open_}{_e(value)}</td>" for open_, value in zip(plain, row))
        else:
            cells = "".join((f'<td class="{"n " if n else ""}{mark}">' if mark else open_) + f"{_e(value)}</td>"
                            for open_, value, n, mark in zip(plain, row, table.numeric, marks))
        body.append(f"<tr>{cells}</tr>")
    parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")
    if table.note:
        parts.append(f'<p class="note">{_e(table.note)}</p>')
    return "".join(parts)


def index_html(title: str, subtitle: str, lang: str, sections: Sequence[tuple[str, Sequence[tuple[str, str]]]],
               notes: Sequence[str] = ()) -> str:
    """A page of links: sections of (text, href), and notes (e.g. why there are no PDFs)."""
    out = [f"<h1>{_e(title)}</h1>", f'<p class="sub">{_e(subtitle)}</p>']
    out += [f'<p class="flag">{_e(note)}</p>' for note in notes]
    for heading, links in sections:
        if not links:
            continue
        out.append(f"<h2>{_e(heading)}</h2><ul>" + "".join(f'<li><a href="{_e(href)}">{_e(text)}</a></li>'
                                                          for text, href in links) + "</ul>")
    zh = lang == "zh"
    return (f'<!DOCTYPE html><html lang="{"zh-CN" if zh else "en"}"><head><meta charset="utf-8">'
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body>" + "\n".join(out) + "</body></html>")
