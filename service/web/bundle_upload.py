"""An uploaded bundle (数据包) onto disk, so `bundle.validate.load_bundle` reads it as it reads the CLI's.

A browser sends one file: a zip of the bundle's CSV files, or one `.xlsx` workbook. Nothing in the
upload chooses where anything is written: each CSV of a zip is copied, by its contract file name
(`teachers.csv`), into a fresh folder, so an entry such as `../../etc/cron.d/x` ("zip slip") could
not escape it even if it were not refused; it is refused anyway, in words, with every other entry
that is not a bundle file, before anything is read. Sizes are capped as the bytes arrive (a zip
header may lie about them), so a zip bomb stops at the cap.
"""
from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path, PurePosixPath

from app.errors import UserError
from bundle.spec import INPUT_BY_NAME

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # the whole request; a county's bundle zipped is a few MB
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # the CSVs of one zip together, unpacked
MAX_ZIP_ENTRIES = 100
BUNDLE_FILES = frozenset(spec.filename for spec in INPUT_BY_NAME.values())
# What an operating system adds to a zip it makes, never a bundle file and never unpacked (macOS Finder).
SYSTEM_LITTER = ("__MACOSX/",)
SYSTEM_LITTER_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
_NAMES_SHOWN = 5


class UploadRefused(UserError):
    """An upload that is not a bundle at all, or not a safe one: nothing was read or written."""


@dataclass(frozen=True)
class Unpacked:
    path: Path  # what load_bundle reads: a folder of CSV files or one workbook
    kind: str  # "zip" or "xlsx"
    files: tuple[str, ...]  # the bundle files it holds (CSV names), or the workbook's name


def _listed(names: list[str]) -> str:
    shown = "、".join(names[:_NAMES_SHOWN])
    return shown + (f" 等 {len(names)} 个" if len(names) > _NAMES_SHOWN else "")


def _listed_en(names: list[str]) -> str:
    shown = ", ".join(names[:_NAMES_SHOWN])
    return shown + (f" and {len(names) - _NAMES_SHOWN} more" if len(names) > _NAMES_SHOWN else "")


def safe_upload_name(name: str | None) -> str:
    """The uploaded file's own name, as problems and the audit log show it: its last path part, with
    only letters (any script), digits and `-_.()` kept, at most 80 characters."""
    last = re.split(r"[\\/]", name or "")[-1].strip()
    cleaned = re.sub(r"[^\w\-.() ]", "_", last).strip(" .")[:80]
    return cleaned or "upload"


def _escapes(name: str) -> bool:
    """Whether a zip entry's path points outside the folder it would be unpacked into."""
    if name.startswith(("/", "\\")) or "\\" in name or re.match(r"^[A-Za-z]:", name) or "\x00" in name:
        return True
    return any(part == ".." for part in PurePosixPath(name).parts)


def _is_link(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def unpack(data: bytes, upload_name: str, into: Path) -> Unpacked:
    """Put the uploaded bytes where load_bundle reads them, inside the empty folder `into`."""
    name = safe_upload_name(upload_name)
    suffix = Path(name).suffix.lower()
    if not data:
        raise UploadRefused("the file is empty: choose the bundle's .zip or .xlsx file",
                            "上传的文件是空的：请选择数据包的 .zip 或 .xlsx 文件")
    if suffix == ".xlsx":
        if not zipfile.is_zipfile(BytesIO(data)):  # an .xlsx is a zip; anything else only claims the name
            raise UploadRefused(f"{name} is not an Excel workbook (.xlsx)", f"{name} 不是 Excel 工作簿（.xlsx）")
        workbook = into / name
        workbook.write_bytes(data)
        return Unpacked(workbook, "xlsx", (name,))
    if suffix != ".zip":
        raise UploadRefused(f"{name}: upload a .zip of the bundle's CSV files or one .xlsx workbook",
                            f"{name}：请上传数据包 CSV 文件的 .zip 压缩包，或一个 .xlsx 工作簿")
    return _unpack_zip(data, name, into)


def _unpack_zip(data: bytes, name: str, into: Path) -> Unpacked:
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except zipfile.BadZipFile:
        raise UploadRefused(f"{name} is not a readable zip file", f"{name} 不是可以读取的 zip 压缩包") from None
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ZIP_ENTRIES:
            raise UploadRefused(f"{name} holds {len(entries)} entries; a bundle has at most {len(BUNDLE_FILES)} files",
                                f"{name} 中有 {len(entries)} 个条目，数据包最多只有 {len(BUNDLE_FILES)} 个文件")
        outside = [e.filename for e in entries if _escapes(e.filename) or _is_link(e)]
        if outside:
            raise UploadRefused(
                f"refused: {name} has paths pointing outside the bundle ({_listed_en(outside)}); nothing was imported",
                f"已拒绝：{name} 中有指向数据包之外的路径（{_listed(outside)}），未导入任何数据")
        files = [e for e in entries if not e.is_dir() and not e.filename.startswith(SYSTEM_LITTER)
                 and PurePosixPath(e.filename).name not in SYSTEM_LITTER_NAMES]
        strangers = [e.filename for e in files if PurePosixPath(e.filename).name not in BUNDLE_FILES]
        if strangers:
            raise UploadRefused(
                f"refused: {name} holds files that are not bundle files ({_listed_en(strangers)}); a bundle holds "
                f"only {', '.join(sorted(BUNDLE_FILES))}",
                f"已拒绝：{name} 中有不属于数据包的文件（{_listed(strangers)}）；数据包只含 "
                f"{'、'.join(sorted(BUNDLE_FILES))}")
        folders = {str(PurePosixPath(e.filename).parent) for e in files}
        if len(folders) > 1:  # the files at the top, or all in one folder (a zipped bundle folder)
            raise UploadRefused(f"{name}: put every CSV file in one folder (found {_listed_en(sorted(folders))})",
                                f"{name}：所有 CSV 文件应在同一个文件夹中（现在分散在 {_listed(sorted(folders))}）")
        seen: set[str] = set()
        encrypted = [e.filename for e in files if e.flag_bits & 0x1]
        if encrypted:
            raise UploadRefused(f"{name} is password-protected; upload it without a password",
                                f"{name} 设有密码，请上传未加密的压缩包")
        if not files:
            raise UploadRefused(f"{name} holds no bundle file (schools.csv, teachers.csv …)",
                                f"{name} 中没有数据包文件（schools.csv、teachers.csv 等）")
        budget = MAX_UNPACKED_BYTES
        for entry in files:
            target = PurePosixPath(entry.filename).name  # a contract name, checked above: never a path
            if target in seen:
                raise UploadRefused(f"{name} holds {target} twice", f"{name} 中 {target} 出现了两次")
            seen.add(target)
            budget -= _copy_capped(archive, entry, into / target, budget, name)
        return Unpacked(into, "zip", tuple(sorted(seen)))


def _copy_capped(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, target: Path, budget: int, name: str) -> int:
    """Copy one entry, counting the bytes that really come out (not what its header claims)."""
    written = 0
    with archive.open(entry) as source, target.open("wb") as out:
        while chunk := source.read(1 << 20):
            written += len(chunk)
            if written > budget:
                raise UploadRefused(
                    f"{name} unpacks to more than {MAX_UNPACKED_BYTES // (1024 * 1024)} MB; split the bundle",
                    f"{name} 解压后超过 {MAX_UNPACKED_BYTES // (1024 * 1024)} MB，请分批导入")
            out.write(chunk)
    return written
