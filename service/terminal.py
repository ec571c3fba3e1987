"""The rich consoles the command line prints with, made in one place.

Emoji codes are off: rich would print an id followed by a colon, such as the shortfall `quota:A: 差 6`,
as `quota🅰 差 6` (`:A:` is an emoji code); everything the CLI prints is ids, names and numbers."""
from __future__ import annotations

from typing import Any

from rich.console import Console


def terminal(*, stderr: bool = False, **options: Any) -> Console:
    """A console to stdout (or stderr) that prints text as it is, emoji codes included."""
    return Console(stderr=stderr, emoji=False, **options)
