"""Problems found in a bundle: each names the file, row and column, in Chinese and English."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str  # e.g. "schools.csv", or "district.xlsx:schools" for a sheet
    row: int | None  # row number as the user sees it in the file (header is row 1)
    column: str | None
    message_zh: str
    message_en: str

    def render(self, lang: str = "zh") -> str:
        where = self.file
        if lang == "en":
            if self.row is not None:
                where += f", row {self.row}"
            if self.column:
                where += f", column {self.column}"
            return f"{where}: {self.message_en}"
        if self.row is not None:
            where += f" 第{self.row}行"
        if self.column:
            where += f" 列 {self.column}"
        return f"{where}：{self.message_zh}（{self.message_en}）"

    def __str__(self) -> str:
        return self.render("en")


class BundleError(Exception):
    """A bundle that cannot be imported; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(p.render("en") for p in problems[:20])
        more = f"\n… and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s) in the bundle:\n{shown}{more}")

    def render(self, lang: str = "zh", limit: int | None = 100) -> str:
        shown = self.problems if limit is None else self.problems[:limit]
        lines = [p.render(lang) for p in shown]
        if limit is not None and len(self.problems) > limit:
            rest = len(self.problems) - limit
            lines.append(f"… 另有 {rest} 个问题" if lang == "zh" else f"… and {rest} more")
        return "\n".join(lines)
