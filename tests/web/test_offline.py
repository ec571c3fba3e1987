"""Works offline: every script, style, icon and font a page loads comes from the console itself,
the API docs included (FastAPI's own /docs and /redoc load theirs from a CDN)."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

PAGES = ["/login", "/district", "/district/clusters/C1", "/district/schools/S1", "/district/teachers?subject=math",
         "/exams", "/exams/E1/season", "/term", "/term/C1/2026/1", "/account", "/docs", "/api/marking/docs",
         "/api/marking/redoc", "/district/schools/NO-SUCH-SCHOOL", "/mark", "/mark/leader", "/office/calendar",
         "/office/C1/calendar", "/office/C1/meetings"]
LOADED = {"script": ("src",), "link": ("href",), "img": ("src", "srcset"), "iframe": ("src",), "source": ("src",),
          "video": ("src", "poster"), "audio": ("src",), "embed": ("src",), "object": ("data",)}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)|@import\s+['"]([^'"]+)""")


class Loads(HTMLParser):
    """Every address a browser would fetch for a page: tag attributes, inline styles."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and name in LOADED.get(tag, ()):
                self.urls.append(value)
            if value and name == "style":
                self.urls += [a or b for a, b in CSS_URL.findall(value)]
        self._in_style = tag == "style"

    def handle_data(self, data):
        if self._in_style:
            self.urls += [a or b for a, b in CSS_URL.findall(data)]

    def handle_endtag(self, tag):
        self._in_style = False


def local(url: str) -> bool:
    parts = urlsplit(url)
    return (not parts.scheme or parts.scheme == "data") and not parts.netloc


def test_the_detector_sees_external_addresses():
    page = Loads()
    page.feed('<link rel="stylesheet" href="https://cdn.example/x.css"><script src="//cdn.example/x.js"></script>'
              '<style>@font-face { src: url("https://fonts.example/a.woff2") }</style><img src="/static/a.png">')
    assert [local(u) for u in page.urls] == [False, False, False, True]


def test_every_page_loads_only_what_the_console_serves(client_for):
    bureau = client_for("局长")
    fetched = set()
    for path in PAGES:
        response = bureau.get(path)
        assert response.status_code in (200, 404), path
        assert "default-src 'self'" in response.headers["content-security-policy"]
        page = Loads()
        page.feed(response.text)
        assert page.urls, f"{path} loads nothing: the parser missed the stylesheet"
        outside = [u for u in page.urls if not local(u)]
        assert outside == [], f"{path} loads from another host: {outside}"
        for url in page.urls:
            if url not in fetched and not url.startswith("data:"):
                asset = bureau.get(url)
                assert asset.status_code == 200, url
                fetched.add(url)
                if url.endswith(".css"):  # fonts and images a stylesheet pulls in
                    outside = [a or b for a, b in CSS_URL.findall(asset.text) if not local(a or b)]
                    assert outside == [], f"{url} loads from another host: {outside}"
    assert {"/static/console.css", "/static/console.js"} <= fetched


def test_fastapis_cdn_docs_are_replaced_by_the_local_page(client_for):
    anonymous = client_for()
    assert anonymous.get("/redoc").status_code == 404  # switched off in the console
    docs = anonymous.get("/docs").text
    assert "/api/console/schools/{school_id}" in docs and "/api/marking/api/v1/next" in docs
    for path in ("/docs", "/api/marking/docs", "/api/marking/redoc"):
        assert "cdn" not in anonymous.get(path).text.lower()


@pytest.mark.parametrize("path", ["/static/../models/users.py", "/static/%2e%2e/app.py"])
def test_static_files_stay_in_their_folder(client_for, path):
    assert client_for().get(path).status_code == 404
