"""The Chinese font of the PDF reports: found on the machine, never downloaded.

The system font is Noto Sans CJK (Debian's fonts-noto-cjk, which scripts/ensure_services.sh
installs): a TrueType collection (.ttc) of CFF faces, one per region; we take the Simplified Chinese
face (Noto Sans CJK SC). fpdf2 reads a collection face (`collection_font_number`) and embeds a subset
of the glyphs a document uses, but parsing and subsetting the full 65,000-glyph face takes about
3 s per document. So a run first cuts the face down once to the characters its documents print
(`font_for(chars)`, a few seconds, cached on disk by font and characters), and every PDF of the run
loads that small font (a few hundredths of a second) and embeds its own subset of it.

`XUEQU_PDF_FONT` names another font (a .ttf, .otf, or .ttc with `:face` for a collection face).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

KNOWN_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian/Ubuntu fonts-noto-cjk
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch, Fedora
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/System/Library/Fonts/PingFang.ttc",  # macOS
    "C:/Windows/Fonts/msyh.ttc",  # Microsoft YaHei
)
# characters always in the subset, whatever the documents print: digits, Latin, punctuation
BASE_CHARACTERS = ({chr(c) for c in range(0x20, 0x7F)}
                   | set("，。、；：？！“”‘’（）《》【】—…·•×÷±≥≤≠→←↑↓✓％０１２３４５６７８９αΣ√–−"))


class FontUnavailable(RuntimeError):
    """No Chinese font on the machine: the PDFs cannot be made (the HTML reports still are)."""


@dataclass(frozen=True)
class FontSource:
    path: Path
    face: int  # face index in a collection (0 for a single font)

    @property
    def key(self) -> str:
        stat = self.path.stat()
        return f"{self.path}:{self.face}:{stat.st_size}:{int(stat.st_mtime)}"


@lru_cache(maxsize=4)
def find_font(override: str | None = None) -> FontSource:
    """The Chinese (Simplified) font to embed: XUEQU_PDF_FONT, a known system path, or fontconfig's
    choice for zh-cn; FontUnavailable says how to install one."""
    spec = override if override is not None else os.environ.get("XUEQU_PDF_FONT")
    if spec:
        path, face = spec, ""
        head, _, tail = spec.rpartition(":")
        if head and tail.isdigit():  # a collection face: file.ttc:2
            path, face = head, tail
        source = Path(path)
        if not source.is_file():
            raise FontUnavailable(f"XUEQU_PDF_FONT={spec}: no such font file")
        return FontSource(source, int(face) if face else _simplified_face(source))
    for candidate in KNOWN_FONTS:
        if Path(candidate).is_file():
            return FontSource(Path(candidate), _simplified_face(Path(candidate)))
    matched = _fontconfig_match()
    if matched is not None:
        return matched
    raise FontUnavailable("没有找到中文字体，无法生成 PDF：请安装 fonts-noto-cjk（apt-get install fonts-noto-cjk）或设置 "
                          "XUEQU_PDF_FONT | no Chinese font for the PDF reports: install fonts-noto-cjk or set "
                          "XUEQU_PDF_FONT to a .ttf/.otf/.ttc file")


def _simplified_face(path: Path) -> int:
    """The face of a collection whose name says Simplified Chinese (SC), else the first."""
    if path.suffix.lower() not in (".ttc", ".otc"):
        return 0
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(path), lazy=True)
    try:
        for index, font in enumerate(collection.fonts):
            family = str(font["name"].getDebugName(1) or "")
            if family.endswith(" SC") and "Mono" not in family:
                return index
    finally:
        collection.close()
    return 0


def _fontconfig_match() -> FontSource | None:
    if shutil.which("fc-match") is None:
        return None
    try:
        found = subprocess.run(["fc-match", "-f", "%{file}\t%{index}", "sans-serif:lang=zh-cn"], capture_output=True,
                               text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    path, _, index = found.partition("\t")
    if not path or not Path(path).is_file() or Path(path).suffix.lower() not in (".ttf", ".otf", ".ttc", ".otc"):
        return None
    if not _covers(Path(path), int(index or 0), "学区成绩"):
        return None
    return FontSource(Path(path), int(index or 0))


def _covers(path: Path, face: int, text: str) -> bool:
    from fontTools.ttLib import TTFont

    with TTFont(str(path), fontNumber=face, lazy=True) as font:
        cmap = font.getBestCmap() or {}
    return all(ord(ch) in cmap for ch in text)


def cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "xuequ" / "fonts"


def font_for(chars: set[str], source: FontSource | None = None) -> Path:
    """A font file with the glyphs of `chars` (and BASE_CHARACTERS) cut from the Chinese font, made
    once and kept in the cache folder (a run's documents all use it)."""
    source = source or find_font()
    wanted = sorted((set(chars) | BASE_CHARACTERS) - {"\n", "\r", "\t"})
    digest = hashlib.sha256((source.key + "\0" + "".join(wanted)).encode("utf-8")).hexdigest()[:24]
    folder = cache_dir()
    target = folder / f"cjk-{digest}.otf"
    if target.is_file():
        return target
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(source.path), fontNumber=source.face, lazy=True, recalcBBoxes=False, recalcTimestamp=False)
    options = subset.Options()
    options.layout_features = []  # horizontal CJK text needs no substitutions
    options.hinting = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.recalc_bounds = False
    options.desubroutinize = True  # each PDF's own subset of this cut is then quicker to make
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx", "JSTF", "MATH"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(ch) for ch in wanted])
    subsetter.subset(font)
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".otf.part")
    os.close(handle)
    try:
        font.save(temporary)
        os.replace(temporary, target)  # atomic: a concurrent run sees the whole file or none
    finally:
        font.close()
        Path(temporary).unlink(missing_ok=True)
    return target


def missing_characters(path: Path, chars: set[str]) -> set[str]:
    """Characters of `chars` the font has no glyph for (printed as blanks)."""
    from fontTools.ttLib import TTFont

    with TTFont(str(path), lazy=True) as font:
        cmap = font.getBestCmap() or {}
    return {ch for ch in chars if ch.strip() and ord(ch) not in cmap}
