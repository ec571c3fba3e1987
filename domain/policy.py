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
"""
from __future__ import annotations

import dataclasses
import numbers
import tomllib
import typing
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, TypeVar

_T = TypeVar("_T")


class PolicyError(ValueError):
    """A policy dict has unknown keys or tables, values of the wrong type, or values out of range."""


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
    kinds = _field_kinds(cls)
    unknown = sorted(set(d) - set(kinds))
    if unknown:
        raise PolicyError(f"[{section}] unknown keys {unknown}; known keys: {sorted(kinds)}")
    kwargs = {name: _coerce(value, *kinds[name], f"[{section}] {name}") for name, value in d.items()}
    instance = cls(**kwargs)
    check = getattr(instance, "check", None)
    if callable(check):
        check()
    return instance


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

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None = None):
        return section_from_dict(cls, d, cls.SECTION)

    def to_dict(self) -> dict[str, Any]:
        return section_to_dict(self)

    def check(self) -> None:
        """The section's own rules; raise PolicyError when a value is out of range."""


# --- an area's policy: several tables ----------------------------------------------------------------

def load_toml(path: Path | str) -> dict[str, Any]:
    with open(path, "rb") as handle:
        return tomllib.load(handle)


class PolicyTables:
    """Mixin for an area's policy dataclass whose fields are its tables: `TABLES` maps each table's
    name (also the field's name) to its `PolicySection` class. `KEYS` names top-level keys that
    are not tables, which the subclass reads itself (rotation: `version`, `name`)."""

    TABLES: ClassVar[dict[str, type]]
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
        return cls.from_dict(load_toml(path))
