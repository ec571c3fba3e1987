"""`xuequ user add|list`: the accounts of the web console (用户)."""
from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from service.terminal import terminal
from service.options import DbOption, LangOption, use_db

app = typer.Typer(help="Web console accounts (用户): add, list.", no_args_is_help=True)
console = terminal()


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The sign-in name (登录名), e.g. 城关学区办 or a person's name.")],
    role: str = typer.Option(..., "--role", help="bureau (教育局), cluster (学区办公室), planner (排班员), "
                                                 "school (学校) or marker (阅卷教师)."),
    cluster: str | None = typer.Option(None, "--cluster", help="Cluster id: required for --role cluster; "
                                                                  "limits a planner to one cluster."),
    school: str | None = typer.Option(None, "--school", help="School id: required for --role school."),
    teacher: str | None = typer.Option(None, "--teacher", help="Teacher id of a marker account: the console then "
                                                                  "opens marking for them without a token."),
    password: str | None = typer.Option(None, "--password", help="The password (at least 8 characters); "
                                                                    "without it a one-time password is printed."),
    db: DbOption = None,
    lang: LangOption = "zh",
) -> None:
    """Create an account; without --password, print a one-time password to change at the first sign-in."""
    import os

    from models.db import session_scope
    from models.users import ROLES, AccountError, add_user

    use_db(db)
    zh = lang != "en"
    try:
        with session_scope() as session:
            session.info["actor"] = os.environ.get("USER", "cli")
            user, issued = add_user(session, name, role, cluster_id=cluster, school_id=school, password=password,
                                    teacher_id=teacher)
            shown = (user.name, ROLES[user.role][0 if zh else 1], user.cluster_id, user.school_id, user.teacher_id)
    except AccountError as error:
        typer.echo(error.line(lang), err=True)
        raise typer.Exit(2) from None
    where = f"，学区 {shown[2]}" if zh and shown[2] else f", cluster {shown[2]}" if shown[2] else ""
    where += (f"，学校 {shown[3]}" if zh else f", school {shown[3]}") if shown[3] else ""
    where += (f"，教师 {shown[4]}" if zh else f", teacher {shown[4]}") if shown[4] else ""
    typer.echo(f"已创建用户 {shown[0]}（{shown[1]}{where}）" if zh else f"created user {shown[0]} ({shown[1]}{where})")
    if issued:
        typer.echo(f"一次性密码：{issued}（仅显示这一次；首次登录后须修改）" if zh else
                   f"one-time password: {issued} (shown only now; to be changed at the first sign-in)")


@app.command("list")
def list_users(db: DbOption = None, lang: LangOption = "zh") -> None:
    """Every account: name, role, cluster or school, last sign-in."""
    from models.db import session_scope
    from models.users import ROLES, all_users

    use_db(db)
    zh = lang != "en"
    table = Table(title="用户" if zh else "users")
    for column in (("登录名", "角色", "学区", "学校", "最近登录") if zh else
                   ("name", "role", "cluster", "school", "last sign-in")):
        table.add_column(column)
    with session_scope() as session:
        for user in all_users(session):
            table.add_row(user.name, ROLES.get(user.role, (user.role, user.role))[0 if zh else 1],
                          user.cluster_id or "–", user.school_id or "–",
                          f"{user.last_signed_in_at:%Y-%m-%d %H:%M}" if user.last_signed_in_at else "–")
    console.print(table)
