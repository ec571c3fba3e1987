"""What a use case refuses, in words a person acts on (Chinese and English). Interfaces print one
line (the CLI's SafeGroup, exit 2), never a traceback."""
from __future__ import annotations


class UserError(Exception):
    """A refusal with a message in both languages."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en, self.zh = en, zh

    def line(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


class UnknownExam(UserError):
    def __init__(self, exam_id: str) -> None:
        super().__init__(f"unknown exam {exam_id!r}: import its exam_sessions.csv (xuequ import) or check the id",
                         f"没有考试 {exam_id!r}：请先导入其 exam_sessions.csv（xuequ import），或检查考试编号")
        self.exam_id = exam_id
