"""`xuequ web`: serve the console with uvicorn, in this process."""
from __future__ import annotations

import typer

from service.options import DbOption, LangOption, use_db


def serve_web(host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0 for the whole network)."),
              port: int = typer.Option(8000, help="Port to listen on."),
              db: DbOption = None, lang: LangOption = "zh") -> None:
    """Serve the web console (网页控制台): sign in, the district, rosters, exam seasons."""
    import os

    import uvicorn

    from models.db import shown_url
    from service.web.app import create_app

    use_db(db)  # the schema must be there: a console on an empty database would only show errors
    if not os.environ.get("XUEQU_WEB_SECRET"):
        typer.echo("XUEQU_WEB_SECRET 未设置：本次启动使用临时密钥，重启后需重新登录" if lang != "en" else
                   "XUEQU_WEB_SECRET is not set: a key made now signs the sessions; a restart signs everyone out")
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    typer.echo(f"网页控制台：http://{shown_host}:{port}/ （数据库 {shown_url()}；Ctrl-C 停止）" if lang != "en" else
               f"web console: http://{shown_host}:{port}/ (database {shown_url()}; Ctrl-C stops it)")
    uvicorn.run(create_app(), host=host, port=port, log_level="warning")
