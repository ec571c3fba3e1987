"""What every `xuequ` sub-command shares: the --db and --lang options."""
from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

DbOption = Annotated[Optional[str], typer.Option("--db", help="Database URL (default: XUEQU_DATABASE_URL, "
                                                 "else sqlite:///xuequ.db in the working folder).")]
LangOption = Annotated[str, typer.Option("--lang", help="Language of messages: zh or en.")]


def use_db(url: str | None) -> None:
    """Point this process (and the flows and workers it starts) at --db, when given."""
    if url:
        os.environ["XUEQU_DATABASE_URL"] = url
