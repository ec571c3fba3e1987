"""Scanned answers (答题卡扫描图) as markers receive them: by an opaque key, never by their file path.

A school's responses file gives a subjective answer as text or as a reference to its scanned image
(marking/FORMAT.md), e.g. `scan/batch03/00417.png`. The path is the scanning centre's business
and may well name the student (`scan/20190290101/physics-25.png`: 学籍号 and school code), so
a marker never sees it (密封): the marker API shows the image at `scans/<key>`, where the key is
the script's code (密号, which the marker sees anyway) and the item's place in its group, and
serves the file itself (`GET /api/v1/scans/{key}`) only to a marker who holds a lease on that
script or a leader of its group.
"""
from __future__ import annotations

import re
from pathlib import Path

# An answer that names an image file: no spaces, an image (or PDF) suffix. Anything else is text.
_SCAN = re.compile(r"^\S+\.(png|jpe?g|gif|webp|bmp|tiff?|pdf)$", re.IGNORECASE)
_KEY = re.compile(r"^([0-9A-Za-z]{4,32})-([1-9][0-9]{0,2})$")
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
               "webp": "image/webp", "bmp": "image/bmp", "tif": "image/tiff", "tiff": "image/tiff",
               "pdf": "application/pdf"}


def is_scan(answer: str | None) -> bool:
    """Whether a response's answer is a reference to a scanned image (else it is the answer's text)."""
    return answer is not None and bool(_SCAN.match(answer.strip()))


def scan_key(code: str, index: int) -> str:
    """The opaque key of a script's `index`-th item (1-based, in its group's order): `<密号>-<n>`."""
    return f"{code}-{index}"


def parse_key(key: str) -> tuple[str, int] | None:
    """(code, index) of a key, or None if it is not one."""
    match = _KEY.match(key)
    return (match.group(1), int(match.group(2))) if match else None


def scan_url(code: str, index: int) -> str:
    """Where a marker client fetches the image, relative to the API root (`/api/v1/`)."""
    return f"scans/{scan_key(code, index)}"


def scan_file(root: Path, reference: str) -> Path | None:
    """The image file a reference names under the scan folder `root`, or None if it is not there
    (or would lie outside the folder: `..`, an absolute path elsewhere)."""
    base = root.resolve()
    candidate = (base / reference.strip().replace("\\", "/")).resolve()
    if candidate != base and base not in candidate.parents:
        return None
    return candidate if candidate.is_file() else None


def media_type(path: Path) -> str:
    return MEDIA_TYPES.get(path.suffix.lower().lstrip("."), "application/octet-stream")
