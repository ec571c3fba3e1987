"""Printable PDFs of the report documents (`analysis.report_doc.Doc`), made with fpdf2 and the
Chinese font of the machine, embedded as a subset (see analysis/pdf_font.py).

`PdfWriter(docs)` cuts the font once for every character the documents print; `write(doc, path)`
then makes each PDF: A4 portrait, a running footer (title, page x / y), tables that break across
pages with their header repeated, and wide tables set in a smaller type.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import WrapMode

from analysis.pdf_font import find_font, font_for
from analysis.report_doc import HIGH, LOW, STRONG, Bullets, Doc, Facts, Heading, PageBreak, Paragraph, Table, characters

FAMILY = "cjk"
BLUE = (21, 101, 192)
HEADER_FILL = (221, 235, 247)
STRONG_FILL = (241, 245, 250)
MARK_COLOURS = {LOW: (198, 40, 40), HIGH: (46, 125, 50)}
BODY_PT = 9.0
TABLE_PT = 8.0
MIN_TABLE_PT = 6.0
MARGIN = 12.0  # mm
FOOTER_CHARACTERS = "第页共 /ofpage"


class _Pdf(FPDF):
    def __init__(self, title: str, lang: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.doc_title = title
        self.lang = lang
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 2)
        self.set_title(title)
        self.set_creator("xuequ 学区")

    def footer(self) -> None:
        self.set_y(-MARGIN + 1)
        self.set_font(FAMILY, size=7)
        self.set_text_color(120, 120, 120)
        page = (f"第 {self.page_no()} 页 / 共 {{nb}} 页" if self.lang == "zh" else f"page {self.page_no()} of {{nb}}")
        self.cell(0, 4, f"{self.doc_title}    {page}", align="C")
        self.set_text_color(0, 0, 0)


class PdfWriter:
    """Writes the PDFs of a set of documents with one font cut for all of them."""

    def __init__(self, docs: Sequence[Doc], font_path: Path | None = None):
        self.font_path = font_path or font_for(characters(docs) | set(FOOTER_CHARACTERS), find_font())

    def write(self, doc: Doc, path: Path) -> Path:
        pdf = _Pdf(doc.title, doc.lang)
        pdf.add_font(FAMILY, "", str(self.font_path))
        for font in pdf.fonts.values():  # bounding boxes are not needed to embed glyphs, and cost the most
            ttfont = getattr(font, "ttfont", None)
            if ttfont is not None:
                ttfont.recalcBBoxes = False
        pdf.add_page()
        _title(pdf, doc)
        for block in doc.blocks:
            _block(pdf, block)
        path.parent.mkdir(parents=True, exist_ok=True)
        pdf.output(str(path))
        return path


def _width(pdf: FPDF) -> float:
    return pdf.w - pdf.l_margin - pdf.r_margin


def _title(pdf: FPDF, doc: Doc) -> None:
    pdf.set_font(FAMILY, size=15)
    pdf.set_text_color(*BLUE)
    pdf.multi_cell(_width(pdf), 8, doc.title, wrapmode=WrapMode.CHAR, new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(*BLUE)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.set_text_color(90, 90, 90)
    pdf.set_font(FAMILY, size=8.5)
    pdf.ln(1)
    pdf.multi_cell(_width(pdf), 5, doc.subtitle, wrapmode=WrapMode.CHAR, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_line_width(0.2)
    pdf.ln(2)


def _block(pdf: FPDF, block) -> None:
    if isinstance(block, Heading):
        _heading(pdf, block)
    elif isinstance(block, Paragraph):
        pdf.set_font(FAMILY, size=BODY_PT if block.style == "" else BODY_PT - 1)
        if block.style == "flag":
            pdf.set_text_color(*MARK_COLOURS[LOW])
        elif block.style == "note":
            pdf.set_text_color(90, 90, 90)
        pdf.multi_cell(_width(pdf), 4.6, block.text, wrapmode=WrapMode.CHAR, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.ln(1)
    elif isinstance(block, Bullets):
        pdf.set_font(FAMILY, size=BODY_PT)
        for line in block.lines:
            pdf.set_x(pdf.l_margin + 2)
            pdf.multi_cell(_width(pdf) - 2, 4.6, f"• {line}", wrapmode=WrapMode.CHAR, new_x="LMARGIN",
                           new_y="NEXT")
        pdf.ln(1)
    elif isinstance(block, Facts):
        _facts(pdf, block)
    elif isinstance(block, PageBreak):
        pdf.add_page()
    elif isinstance(block, Table):
        _table(pdf, block)


def _heading(pdf: FPDF, block: Heading) -> None:
    size = {1: 14.0, 2: 12.0}.get(block.level, 10.0)
    # keep a heading with the first lines of what follows it
    if pdf.get_y() > pdf.h - pdf.b_margin - 25:
        pdf.add_page()
    pdf.ln(2 if block.level >= 3 else 3)
    pdf.set_font(FAMILY, size=size)
    if block.level <= 2:
        pdf.set_fill_color(*BLUE)
        pdf.rect(pdf.l_margin, pdf.get_y() + 0.8, 1.4, size * 0.42, style="F")
        pdf.set_x(pdf.l_margin + 3)
        pdf.set_text_color(*BLUE)
    pdf.multi_cell(_width(pdf) - 3, size * 0.5, block.text, wrapmode=WrapMode.CHAR, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(1)


def _facts(pdf: FPDF, block: Facts) -> None:
    per_row = 4
    pairs = list(block.pairs)
    width = _width(pdf) / per_row
    pdf.set_draw_color(207, 216, 227)
    for start in range(0, len(pairs), per_row):
        if pdf.get_y() > pdf.h - pdf.b_margin - 14:
            pdf.add_page()
        y = pdf.get_y()
        for i, (label, value) in enumerate(pairs[start:start + per_row]):
            x = pdf.l_margin + i * width
            pdf.rect(x + 0.5, y, width - 1.5, 11.5)
            pdf.set_xy(x + 1.5, y + 0.8)
            pdf.set_font(FAMILY, size=7.5)
            pdf.set_text_color(80, 80, 80)
            pdf.cell(width - 3, 3.8, _fit(pdf, label, width - 3))
            pdf.set_xy(x + 1.5, y + 5)
            pdf.set_font(FAMILY, size=11)
            pdf.set_text_color(*BLUE)
            pdf.cell(width - 3, 5.5, _fit(pdf, value, width - 3))
        pdf.set_text_color(0, 0, 0)
        pdf.set_xy(pdf.l_margin, y + 13)
    pdf.ln(1)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


class _Widths:
    """String widths from per-character widths measured once (fpdf2's get_string_width per cell is the
    slow part of a long table): text is not shaped, so a string's width is the sum of its characters'."""

    def __init__(self, pdf: FPDF):
        self.pdf = pdf
        self.unit: dict[str, float] = {}

    def __call__(self, text: str, size: float) -> float:
        unit = self.unit
        missing = [ch for ch in set(text) if ch not in unit]
        if missing:
            keep = self.pdf.font_size_pt
            self.pdf.set_font(FAMILY, size=10)
            for ch in missing:
                unit[ch] = self.pdf.get_string_width(ch) / 10
            self.pdf.set_font(FAMILY, size=keep)
        return sum(unit[ch] for ch in text) * size

    def wrap(self, text: str, size: float, width: float) -> list[str]:
        """Lines of `text` no wider than `width`, broken between characters (CJK has no spaces)."""
        if self(text, size) <= width:
            return [text]
        lines, line, used = [], "", 0.0
        for ch in text:
            w = self.unit[ch] * size
            if line and used + w > width:
                lines.append(line)
                line, used = "", 0.0
            line += ch
            used += w
        lines.append(line)
        return lines


PAD_X, PAD_Y = 1.0, 0.6  # mm inside a cell


def _table(pdf: FPDF, table: Table) -> None:
    if table.title:
        if pdf.get_y() > pdf.h - pdf.b_margin - 20:
            pdf.add_page()
        pdf.set_font(FAMILY, size=BODY_PT)
        pdf.multi_cell(_width(pdf), 4.8, table.title, wrapmode=WrapMode.CHAR, new_x="LMARGIN", new_y="NEXT")
    if not table.headers:
        return
    widths_of = _Widths(pdf)
    size, widths = _layout(pdf, table, widths_of)
    pdf.set_font(FAMILY, size=size)
    pdf.set_draw_color(170, 170, 170)
    pdf.set_line_width(0.15)
    line = size * 0.3528 * 1.22  # mm per line of text
    bottom = pdf.h - pdf.b_margin

    def row_lines(values: list[str]) -> list[list[str]]:
        return [widths_of.wrap(v, size, w - 2 * PAD_X) for v, w in zip(values, widths)]

    header_lines = row_lines(table.headers)
    header_height = max(len(x) for x in header_lines) * line + 2 * PAD_Y

    def draw(lines: list[list[str]], height: float, marks: list[str] | None, header: bool) -> None:
        x, y = pdf.l_margin, pdf.get_y()
        for c, (cell, w) in enumerate(zip(lines, widths)):
            mark = marks[c] if marks else ""
            fill = HEADER_FILL if header else STRONG_FILL if mark == STRONG else None
            if fill is not None:
                pdf.set_fill_color(*fill)
                pdf.rect(x, y, w, height, style="DF")
            else:
                pdf.rect(x, y, w, height, style="D")
            if mark in MARK_COLOURS:
                pdf.set_text_color(*MARK_COLOURS[mark])
            for k, text in enumerate(cell):
                if not text:
                    continue
                if header:
                    tx = x + (w - widths_of(text, size)) / 2
                elif table.numeric[c]:
                    tx = x + w - PAD_X - widths_of(text, size)
                else:
                    tx = x + PAD_X
                pdf.text(tx, y + PAD_Y + k * line + line * 0.78, text)
            if mark in MARK_COLOURS:
                pdf.set_text_color(0, 0, 0)
            x += w
        pdf.set_y(y + height)

    if pdf.get_y() + header_height + line + 2 * PAD_Y > bottom:
        pdf.add_page()
    draw(header_lines, header_height, None, True)
    for r, values in enumerate(table.rows):
        lines = row_lines(values)
        height = max(len(x) for x in lines) * line + 2 * PAD_Y
        if pdf.get_y() + height > bottom:  # a new page repeats the header
            pdf.add_page()
            pdf.set_font(FAMILY, size=size)
            draw(header_lines, header_height, None, True)
        draw(lines, height, table.marks[r] if table.marks else None, False)
    pdf.set_x(pdf.l_margin)
    if table.note:
        pdf.set_font(FAMILY, size=BODY_PT - 1.5)
        pdf.set_text_color(90, 90, 90)
        pdf.ln(0.5)
        pdf.multi_cell(_width(pdf), 4, table.note, wrapmode=WrapMode.CHAR, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    pdf.ln(2)


def _layout(pdf: FPDF, table: Table, widths_of: _Widths) -> tuple[float, list[float]]:
    """Type size and column widths (mm): each column as wide as its longest cell (headers may wrap
    to two lines), the type made smaller down to MIN_TABLE_PT when the table is wider than the page,
    then the columns squeezed in proportion (cells wrap); never narrower than one character, which
    fpdf2 could not wrap. Given weights share the page width instead."""
    available = _width(pdf)
    padding = 2 * PAD_X + 0.4
    if table.weights:
        return TABLE_PT, [w * (available - 0.01) / sum(table.weights) for w in table.weights]
    sample = table.rows[:80]
    size = TABLE_PT
    natural = []
    three = widths_of("平均分", size)  # headers up to three characters stay on one line
    for c, header in enumerate(table.headers):
        body = max((widths_of(row[c], size) for row in sample), default=0.0)
        head = widths_of(header, size)
        natural.append(max(body, min(head, max(body, head / 2, three)), 4.0) + padding)
    total = sum(natural)
    if total > available:
        size = max(MIN_TABLE_PT, TABLE_PT * available / total)
        scale = size / TABLE_PT
        natural = [(w - padding) * scale + padding for w in natural]
        total = sum(natural)
    if total > available:
        natural = [w * available / total for w in natural]
    narrowest = size * 0.3528 * 1.2 + padding  # one CJK character (1 em) and the cell padding
    widths = [max(w, narrowest) for w in natural]
    if sum(widths) > available - 0.01:  # fpdf2 refuses a table a hair wider than the page
        widths = [w * (available - 0.01) / sum(widths) for w in widths]
    return size, widths
