"""The web console (网页控制台): server-rendered pages for the bureau, cluster offices, planners and schools.

`service.web.app.create_app(url)` builds it; `xuequ web` serves it. Pages call the service layer
(`app/`) and the repositories for reads; every script and style is served by the app itself.
"""
