"""What every area's policy file has in common: frozen dataclass sections read from TOML tables.

A policy *section* is a frozen dataclass whose fields are the keys of one TOML table, with their
defaults; `PolicySection` gives it `from_dict` (strict: unknown keys and values of the wrong type
are a `PolicyError` naming the table and the key), `to_dict` (what TOML can write back) and a
`check()` for the section's own rules. An area's policy made of several tables mixes in
`PolicyTables`, which reads each table with its section class and refuses unknown tables.

Values are coerced by the field's annotation: `bool` must be true or false; `int` takes whole
numbers (2.0 → 2) but not 2.5 or true; `float` takes ints and floats (3 → 3.0) but not true;
`tuple[...]` takes a list (nested lists become tuples); `dict[...]` takes a table; `X | None`
takes None as well; any other annotation (`str`, ...) takes the value as it is.

Values are then range-checked here, once for every area (`check_ranges`): every number is finite
(TOML allows `nan` and `inf`), a key named like a share (`…_share`, `…_fraction`, `…_rate`,
`…_tolerance`) lies in [0, 1], every other number is ≥ 0, unless the section's `RANGES` declares the
key otherwise. A policy *file* that is missing, not UTF-8 (a GBK file saved by Excel or Notepad) or
not TOML is a PolicyError too (`read_toml`), and `PolicyError.line()` is the one line a person
reads: file, table, key, what is wrong.
"""
from __future__ import annotations

import dataclasses
import math
import numbers
import tomllib
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, TypeVar

_T = TypeVar("_T")


class PolicyError(ValueError):
    """A policy dict has unknown keys or tables, values of the wrong type, or values out of range.

    `str(error)` is the English text; `line(lang)` is the one line a person reads: the file (when the
    policy came from one), the table and key, what is wrong, in Chinese by default.
    """

    def __init__(self, message: str, *, zh: str | None = None, table: str | None = None, key: str | None = None,
                 file: str | None = None) -> None:
        super().__init__(message)
        self.en, self.zh, self.table, self.key, self.file = message, zh, table, key, file

    def in_file(self, path: Path | str) -> PolicyError:
        """The same error, naming the file it came from."""
        return PolicyError(self.en, zh=self.zh, table=self.table, key=self.key, file=str(path))

    def line(self, lang: str = "zh") -> str:
        """One line for a person: file, table and key, what is wrong (no traceback, no newline)."""
        text = (self.zh or self.en) if lang == "zh" else self.en
        if self.file:
            text = (f"政策文件 {self.file}：{text}" if lang == "zh" else f"policy file {self.file}: {text}")
        return " ".join(text.split())


# --- field annotations → coercion rules ----------------------------------------------------------

#: annotation name → the coercion rule of `_coerce` (any other annotation: the value as it is)
_KINDS = {"bool": "bool", "int": "int", "float": "float", "tuple": "tuple", "Tuple": "tuple", "dict": "dict",
          "Dict": "dict"}


def _split_top_level(text: str, sep: str) -> list[str]:
    """`text` split at `sep` outside brackets: "tuple[int, ...] | None" → ["tuple[int, ...] ", " None"]."""
    parts, depth, start = [], 0, 0
    for at, ch in enumerate(text):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:at])
            start = at + 1
    parts.append(text[start:])
    return parts


def _kind_of_string(annotation: str) -> tuple[str | None, bool]:
    text = annotation.strip()
    for prefix in ("typing.Optional[", "Optional["):
        if text.startswith(prefix) and text.endswith("]"):
            return _kind_of_string(text[len(prefix):-1])[0], True
    parts = [p.strip() for p in _split_top_level(text, "|")]
    optional = any(p in ("None", "NoneType") for p in parts)
    parts = [p for p in parts if p not in ("None", "NoneType")]
    if len(parts) != 1:
        return None, optional
    base = parts[0].split("[", 1)[0].strip().removeprefix("typing.")
    return _KINDS.get(base), optional


def _kind_of_type(annotation: Any) -> tuple[str | None, bool]:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or (origin is not None and type(None) in typing.get_args(annotation)):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        return (_kind_of_type(args[0])[0] if len(args) == 1 else None), optional
    base = origin or annotation
    return (_KINDS.get(base.__name__) if base in (bool, int, float, tuple, dict) else None), False


@lru_cache(maxsize=None)
def _field_kinds(cls: type) -> dict[str, tuple[str | None, bool]]:
    """Field name → (kind, optional) for a dataclass; kind is a value of _KINDS or None (taken as it is)."""
    return {f.name: (_kind_of_string(f.type) if isinstance(f.type, str) else _kind_of_type(f.type))
            for f in dataclasses.fields(cls)}


def _tuples(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_tuples(v) for v in value)
    return value


def _lists(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_lists(v) for v in value]
    return value


def _coerce(value: Any, kind: str | None, optional: bool, where: str) -> Any:
    try:
        return _coerce_value(value, kind, optional, where)
    except PolicyError as error:  # `where` is "[table] key"
        table, _, key = where.partition("] ")
        raise PolicyError(error.en, table=table.lstrip("["), key=key) from None


def _coerce_value(value: Any, kind: str | None, optional: bool, where: str) -> Any:
    if value is None and optional:
        return None
    is_number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if kind == "bool":
        if not isinstance(value, bool):
            raise PolicyError(f"{where} must be true or false, got {value!r}")
        return value
    if kind == "int":
        if is_number and (isinstance(value, numbers.Integral) or float(value).is_integer()):
            return int(value)
        raise PolicyError(f"{where} must be an integer, got {value!r}")
    if kind == "float":
        if not is_number:
            raise PolicyError(f"{where} must be a number, got {value!r}")
        return float(value)
    if kind == "tuple":
        if not isinstance(value, (list, tuple)):
            raise PolicyError(f"{where} must be a list, got {value!r}")
        return _tuples(value)
    if kind == "dict":
        if not isinstance(value, Mapping):
            raise PolicyError(f"{where} must be a table, got {value!r}")
        return dict(value)
    return value


# --- value ranges, declared once for every area ----------------------------------------------------

@dataclass(frozen=True)
class Range:
    """The values a number may take: [low, high], (low, high] when `low_open`; None: unbounded."""

    low: float | None = 0.0
    high: float | None = None
    low_open: bool = False

    def __contains__(self, value: float) -> bool:
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        return self.high is None or value <= self.high

    def describe(self, lang: str) -> str:
        if self.low == 0 and self.high == 1 and not self.low_open:
            return "是比例，须在 0 到 1 之间" if lang == "zh" else "must be a share in [0, 1]"
        if self.high is None and self.low is not None:
            if lang == "zh":
                return f"须大于 {self.low:g}" if self.low_open else f"须不小于 {self.low:g}"
            return f"must be > {self.low:g}" if self.low_open else f"must be ≥ {self.low:g}"
        low = "-∞" if self.low is None else f"{self.low:g}"
        high = "∞" if self.high is None else f"{self.high:g}"
        bracket = "(" if self.low_open else "["
        return f"须在 {bracket}{low}, {high}] 之内" if lang == "zh" else f"must be in {bracket}{low}, {high}]"


UNIT = Range(0.0, 1.0)  # shares, rates, tolerances, difficulties: fractions of a whole
NON_NEGATIVE = Range(0.0)  # counts, hours, distances, seconds, weights, money
POSITIVE = Range(0.0, low_open=True)  # where zero makes no sense (a lease of 0 s, a 0 km limit)
ANY = Range(None)  # a number that may be negative (declared per key, never by default)

#: Why a naming rule: the five areas' ~150 keys already follow it, so a new key is checked the day it
#: is written. A key whose last word is one of these holds a fraction of a whole, in [0, 1]; every
#: other number is ≥ 0 unless its section's `RANGES` says otherwise (e.g. positive, or -1 allowed).
UNIT_WORDS = frozenset({"share", "shares", "fraction", "fractions", "rate", "rates", "tolerance", "agreement",
                        "difficulty"})


def range_of(cls: type, name: str) -> Range:
    """The range a key of section `cls` must lie in: the section's `RANGES`, else the naming rule."""
    declared = getattr(cls, "RANGES", {}) or {}
    if name in declared:
        return declared[name]
    return UNIT if name.rsplit("_", 1)[-1] in UNIT_WORDS else NON_NEGATIVE


def _numbers(value: Any, where: str):
    """(where, number) for every number in a value, nested lists and tables too (bools are not numbers)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        yield where, value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _numbers(v, f"{where}.{k}")
    elif isinstance(value, (list, tuple)):
        for n, v in enumerate(value):
            yield from _numbers(v, f"{where}[{n}]")


def check_ranges(cls: type, values: Mapping[str, Any], section: str) -> None:
    """Every number finite (TOML allows nan and inf), and in its key's range; a PolicyError names the key."""
    for name, value in values.items():
        allowed = range_of(cls, name)
        for where, number in _numbers(value, name):
            if not math.isfinite(number):
                raise PolicyError(f"[{section}] {where} must be a finite number, got {number!r}",
                                  zh=f"[{section}] {where} 须为有限数值，现为 {number!r}", table=section, key=where)
            if number not in allowed:
                raise PolicyError(f"[{section}] {where} {allowed.describe('en')}, got {number!r}",
                                  zh=f"[{section}] {where} {allowed.describe('zh')}，现为 {number!r}",
                                  table=section, key=where)


# --- one section ---------------------------------------------------------------------------------

def section_from_dict(cls: type[_T], d: Mapping[str, Any] | None, section: str) -> _T:
    """An instance of the section dataclass `cls` from the TOML table `[section]` (None: all defaults).

    Unknown keys, a value that is not a table and values of the wrong type are `PolicyError`s that
    name the table and the key; the instance's own `check()` runs last.
    """
    if d is None:
        d = {}
    if not isinstance(d, Mapping):
        raise PolicyError(f"[{section}] must be a table of keys, got {d!r}")
    dataclass_type: type = cls  # mypy does not see a type[_T] as Hashable (the cache's key)
    kinds = _field_kinds(dataclass_type)
    unknown = sorted(set(d) - set(kinds))
    if unknown:
        raise PolicyError(f"[{section}] unknown keys {unknown}; known keys: {sorted(kinds)}")
    kwargs = {name: _coerce(value, *kinds[name], f"[{section}] {name}") for name, value in d.items()}
    check_ranges(cls, kwargs, section)  # before the instance: some sections validate in __post_init__
    try:
        instance = cls(**kwargs)
        check = getattr(instance, "check", None)
        if callable(check):
            check()
    except PolicyError as error:
        raise _in_section(error, section) from None
    except (TypeError, ValueError) as error:  # a check that trips on a value of an unexpected kind
        raise _in_section(PolicyError(str(error)), section) from None
    return instance


def _in_section(error: PolicyError, section: str) -> PolicyError:
    """A section's own check() error, its text led by the table's name when it does not say it."""
    if error.table is not None:
        return error
    text = error.en
    if not (text.startswith(f"[{section}]") or text.startswith(f"{section}.") or text.startswith(f"{section}:")
            or text.startswith(f"{section} ")):
        text = f"[{section}] {text}"
    return PolicyError(text, zh=(f"[{section}] {error.zh}" if error.zh else None), table=section, key=error.key,
                       file=error.file)


def section_to_dict(instance: Any) -> dict[str, Any]:
    """The section's keys as TOML can write them: None dropped (TOML has no null: a missing key means
    "use the default"), tuples as lists (nested too), dicts copied."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(instance):
        value = getattr(instance, f.name)
        if value is None:
            continue
        if isinstance(value, tuple):
            value = _lists(value)
        elif isinstance(value, dict):
            value = dict(value)
        out[f.name] = value
    return out


class PolicySection:
    """Mixin for a frozen dataclass read from one TOML table, `[SECTION]`."""

    SECTION: ClassVar[str]
    #: key → its range, where the naming rule of `range_of` does not fit (positive, or -1 allowed)
    RANGES: ClassVar[dict[str, Range]] = {}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None = None):
        return section_from_dict(cls, d, cls.SECTION)

    def to_dict(self) -> dict[str, Any]:
        return section_to_dict(self)

    def check(self) -> None:
        """The section's own rules; raise PolicyError when a value is out of range."""


# --- an area's policy: several tables ----------------------------------------------------------------

def load_toml(path: Path | str) -> dict[str, Any]:
    """The tables of a policy file; a file that is missing, not UTF-8 or not TOML is a PolicyError naming it."""
    return read_toml(path)[0]


def read_toml(path: Path | str) -> tuple[dict[str, Any], str]:
    """The tables of a policy file and its text (UTF-8, a BOM allowed), or a PolicyError naming the file."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise PolicyError("not found", zh="文件不存在", file=str(path)) from None
    except IsADirectoryError:
        raise PolicyError("is a folder, not a TOML file", zh="是文件夹，不是 TOML 文件", file=str(path)) from None
    except OSError as error:
        raise PolicyError(f"cannot be read ({error.strerror})", zh=f"无法读取（{error.strerror}）",
                          file=str(path)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise PolicyError(f"is not UTF-8 (line {line}; GBK perhaps): save it as UTF-8",
                          zh=f"不是 UTF-8 编码（第 {line} 行，可能是 GBK）：请另存为 UTF-8", file=str(path)) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"is not valid TOML: {error}", zh=f"不是有效的 TOML：{error}", file=str(path)) from None


def policy_from_file(path: Path | str, parse: Callable[[dict[str, Any]], _T]) -> _T:
    """`parse` (an area's from_dict) of the file's tables; every PolicyError names the file."""
    data = load_toml(path)
    try:
        return parse(data)
    except PolicyError as error:
        raise error.in_file(path) from None


class PolicyTables:
    """Mixin for an area's policy dataclass whose fields are its tables: `TABLES` maps each table's
    name (also the field's name) to its `PolicySection` class. `KEYS` names top-level keys that
    are not tables, which the subclass reads itself (rotation: `version`, `name`)."""

    TABLES: ClassVar[dict[str, type[PolicySection]]]
    KEYS: ClassVar[tuple[str, ...]] = ()
    DEFAULT_PATH: ClassVar[Path | None] = None

    @classmethod
    def check_tables(cls, d: Mapping[str, Any] | None) -> dict[str, Any]:
        """A copy of the policy dict `d`, after refusing anything but known tables and KEYS."""
        if d is None:
            d = {}
        if not isinstance(d, Mapping):
            raise PolicyError(f"a policy must be a table of tables, got {d!r}")
        unknown = sorted(set(d) - set(cls.TABLES) - set(cls.KEYS))
        if unknown:
            what = "keys or tables" if cls.KEYS else "tables"
            raise PolicyError(f"unknown policy {what} {unknown}; known: {', '.join([*cls.KEYS, *cls.TABLES])}")
        return dict(d)

    @classmethod
    def tables_from_dict(cls, d: Mapping[str, Any]) -> dict[str, Any]:
        """Table name → section instance, each read by its section class (absent: the defaults)."""
        return {name: section.from_dict(d.get(name)) for name, section in cls.TABLES.items()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None = None):
        return cls(**cls.tables_from_dict(cls.check_tables(d)))

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name).to_dict() for name in self.TABLES}

    @classmethod
    def from_toml(cls, path: Path | str | None = None):
        """The policy of a TOML file; `DEFAULT_PATH` when no path is given."""
        if path is None:
            path = cls.DEFAULT_PATH
        if path is None:
            raise PolicyError(f"{cls.__name__} has no default policy file; name one")
        return policy_from_file(path, cls.from_dict)
