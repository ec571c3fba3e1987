"""What `xuequ marking serve` serves: the marker API (service/marker_api.py, unchanged) with the
marker's page at / and the group leader's page at /leader beside it, and their scripts and styles at
/static — everything a marking room needs from one address, offline (no CDN).

The pages call the API at /api/v1 on the same host (service/web/routes/marking_pages.py says how the
address is written into them). Run: `uvicorn service.marker_site:app` (database from XUEQU_DATABASE_URL).
"""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from service.marker_api import create_app as create_marker_api
from service.web.pages import STATIC
from service.web.routes.marking_pages import standalone_pages


def create_site(url: str | None = None, **api_options: Any) -> FastAPI:
    """The marker API on the database at `url` (options as `service.marker_api.create_app`) with the pages."""
    app = create_marker_api(url, **api_options)
    app.include_router(standalone_pages())
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


app = create_site()
