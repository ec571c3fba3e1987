"""One explanation type (说明) for every planner: why a plan cannot meet its policy, or what it had
to give up, in Chinese and English, with the numbers and what to change.

Rotation names its fields `rule`, `message_zh`, `message_en`; exam logistics `code`, `zh`, `en`.
Both spellings read the same field, so a caller keeps the words of its own package.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Explanation:
    """One reason, in the planner's words, with its numbers and (where known) a suggestion."""

    code: str  # the rule or reason: "quota", "site_session_supply", "solver_core", ...
    zh: str
    en: str
    numbers: Mapping[str, Any] = field(default_factory=dict)
    exact: bool = True  # the reason alone proves infeasibility (False: a hint or a bound)
    scope: str = ""  # the school, cluster, pair or teacher the rule instance is about
    suggestion_zh: str = ""  # what to change (建议), shown after the message
    suggestion_en: str = ""
    conflict: int = 1  # explanations with the same number are one conflict (one core of the solver)
    policy_key: str = ""  # the policy setting the suggestion changes, e.g. "quota.max_fraction"
    suggested_value: Any = None  # the value the suggestion proposes for `policy_key`

    @property
    def rule(self) -> str:
        return self.code

    @property
    def message_zh(self) -> str:
        return self.zh

    @property
    def message_en(self) -> str:
        return self.en

    def message(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh

    def suggestion(self, lang: str = "zh") -> str:
        return self.suggestion_en if lang == "en" else self.suggestion_zh

    def text(self, lang: str = "zh") -> str:
        """The message, then the suggestion if there is one."""
        hint = self.suggestion(lang)
        if not hint:
            return self.message(lang)
        return f"{self.message(lang)}{'. Suggestion: ' if lang == 'en' else '。建议：'}{hint}"
