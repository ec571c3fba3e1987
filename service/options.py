"""What every `xuequ` sub-command shares: the --db and --lang options, the database check, and
the one handler that turns a database failure into a line a person can act on."""
from __future__ import annotations

import os
import sys
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

DbOption = Annotated[Optional[str], typer.Option("--db", help="Database URL (default: XUEQU_DATABASE_URL, "
                                                 "else sqlite:///xuequ.db in the working folder).")]
LangOption = Annotated[str, typer.Option("--lang", help="Language of messages: zh or en.")]


def use_db(url: str | None, *, check: bool = True) -> None:
    """Point this process (and the flows and workers it starts) at --db, when given, and check the database.

    A command that reads the database needs it to exist at the latest schema; otherwise
    `DatabaseNotReady` says what to run, and nothing is created (a read run outside the project
    folder must not leave an empty xuequ.db behind). `check=False` is for the commands that create
    the schema themselves (`db upgrade`, `import`, `demo`, …) or do not touch the database this time.
    """
    if url:
        os.environ["XUEQU_DATABASE_URL"] = url
    if check:
        from models.db import require_schema

        require_schema()


def _lang_of(args: list[str]) -> str:
    """--lang en / --lang=en anywhere on the command line; Chinese otherwise."""
    for index, arg in enumerate(args):
        if arg == "--lang" and index + 1 < len(args):
            return "en" if args[index + 1] == "en" else "zh"
        if arg.startswith("--lang="):
            return "en" if arg.split("=", 1)[1] == "en" else "zh"
    return "zh"


def database_error_line(error: Exception, lang: str) -> str:
    """One line for any SQLAlchemy error: what kind of refusal, where, what to try; never the SQL text."""
    from sqlalchemy.exc import DataError, IntegrityError, OperationalError

    from models.db import shown_url

    try:
        where = shown_url()
    except Exception:  # a URL that cannot even be parsed
        where = os.environ.get("XUEQU_DATABASE_URL", "?")
    kind = type(error).__name__
    if isinstance(error, OperationalError):
        zh, en = "数据库无法访问或被占用（可稍后重试，或运行 `xuequ db upgrade`）", \
            "the database cannot be reached or is busy (retry, or run `xuequ db upgrade`)"
    elif isinstance(error, IntegrityError):
        zh, en = "数据库拒绝了这次修改：它引用的记录不存在，或与已有记录冲突", \
            "the database refused the change: a record it refers to is missing, or it conflicts with one"
    elif isinstance(error, DataError):
        zh, en = "数据库无法保存某个值（过长、字符不可保存或超出范围）", \
            "the database cannot store a value (too long, an unstorable character, or out of range)"
    else:
        zh, en = "数据库出错", "database error"
    return f"{en} [{kind}] at {where}" if lang == "en" else f"{zh}［{kind}］：{where}"


class SafeGroup(TyperGroup):
    """The top-level command group: database problems end in one line and a non-zero exit, not a traceback."""

    lang = "zh"

    def main(self, args=None, *rest, **kwargs):  # noqa: ANN001 - click's signature
        SafeGroup.lang = _lang_of(list(sys.argv[1:] if args is None else args))
        return super().main(args, *rest, **kwargs)

    def invoke(self, ctx):  # noqa: ANN001 - typer's click Context
        from sqlalchemy.exc import SQLAlchemyError

        from app.errors import UserError
        from models.db import DatabaseNotReady

        try:
            return super().invoke(ctx)
        except UserError as error:
            typer.echo(error.line(SafeGroup.lang), err=True)
            raise typer.Exit(2) from None
        except DatabaseNotReady as error:
            typer.echo(error.render(SafeGroup.lang), err=True)
            raise typer.Exit(2) from None
        except SQLAlchemyError as error:
            typer.echo(database_error_line(error, SafeGroup.lang), err=True)
            raise typer.Exit(1) from None
