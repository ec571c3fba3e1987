"""The rotation policy as a form (政策表单): one field per key, its help from the policy file's comments.

`policies/rotation.toml` documents every key on its own line (`key = value  # 中文 / English`) and
every table with the comment lines under its header; those comments are the help shown beside each
field. A field holds the key's value as TOML writes it (`0.1`, `true`, `["quality"]`); a text key
(`name`, `pairing`, dates) is plain text and is quoted here. `assemble` turns the submitted fields
back into a policy text — the file's layout and comments, the submitted values — and names every field
that is not a TOML value; the area's own rules (app.policies.edit_policy) check the rest.
"""
from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from app.policies import area_of

KEY_LINE = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<rest>.*)$")
TABLE_LINE = re.compile(r"^\[(?P<table>[A-Za-z_][A-Za-z0-9_]*)\]\s*$")


@dataclass(frozen=True)
class Help:
    zh: str
    en: str

    def text(self, lang: str) -> str:
        return (self.en or self.zh) if lang == "en" else (self.zh or self.en)


@dataclass(frozen=True)
class PolicyField:
    """One key of the form: `name` is `table.key` (or `key` at the top), `value` the text shown."""

    table: str  # "" for the top-level keys (version, name)
    key: str
    value: str
    kind: str  # bool, text, toml
    help: Help

    @property
    def name(self) -> str:
        return f"{self.table}.{self.key}" if self.table else self.key


@dataclass(frozen=True)
class PolicyLayout:
    """The file's layout: the opening comment, then per table its comment lines and keys with help."""

    preamble: tuple[str, ...]
    tables: tuple[tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]], ...]  # (table, comments, (key, comment))


def split_help(comment: str) -> Help:
    """`中文说明 / English text` → both halves (the files write Chinese first, then ` / ` and English)."""
    comment = comment.strip()
    if " / " in comment:
        zh, en = comment.split(" / ", 1)
        return Help(zh.strip(), en.strip())
    has_cjk = any("\u4e00" <= ch <= "\u9fff" for ch in comment)
    return Help(comment, "") if has_cjk else Help("", comment)


def _value_end(rest: str) -> tuple[int, int]:
    """Where the value ends in `rest` (outside strings) and the bracket depth there."""
    depth, quote, at = 0, "", 0
    while at < len(rest):
        ch = rest[at]
        if quote:
            if ch == "\\" and quote == '"':
                at += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "#":
            return at, depth
        at += 1
    return at, depth


@cache
def layout(area: str = "rotation") -> PolicyLayout:
    """The repository file's tables, keys and comments (a multi-line value keeps the comment of its
    first line)."""
    lines = area_of(area).file.read_text(encoding="utf-8").splitlines()
    preamble: list[str] = []
    tables: list[tuple[str, list[str], list[tuple[str, str]]]] = [("", [], [])]
    depth = 0
    for line in lines:
        stripped = line.strip()
        if depth > 0:  # inside a value written over several lines
            depth += _value_end(stripped)[1]
            continue
        table = TABLE_LINE.match(stripped)
        if table:
            tables.append((table.group("table"), [], []))
        elif stripped.startswith("#"):
            current = tables[-1]
            if current[0] == "" and not current[2]:
                preamble.append(stripped)
            elif not current[2]:
                current[1].append(stripped.lstrip("#").strip())
        elif (match := KEY_LINE.match(stripped)):
            end, depth = _value_end(match.group("rest"))
            comment = match.group("rest")[end:].lstrip("#").strip() if depth == 0 else _comment_of(match.group("rest"))
            tables[-1][2].append((match.group("key"), comment))
    return PolicyLayout(tuple(preamble), tuple((name, tuple(comments), tuple(keys)) for name, comments, keys in tables))


def _comment_of(rest: str) -> str:
    """The comment after an opening bracket left open on its line: `[   # rows: …`."""
    at = rest.find("#")
    return rest[at + 1:].strip() if at >= 0 else ""


def toml_literal(value: Any) -> str:
    """A value as TOML writes it (strings JSON-quoted: JSON's escapes are TOML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {toml_literal(v)}" for k, v in value.items()) + " }" if value else "{}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_literal(v) for v in value) + "]"
    raise TypeError(f"no TOML literal for {value!r}")


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    return "text" if isinstance(value, str) else "toml"


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else toml_literal(value)


def policy_fields(policy: Any, area: str = "rotation") -> list[tuple[str, Help, list[PolicyField]]]:
    """(table, table help, fields) for every table of the file, values from `policy` (the one in force)."""
    values = policy.to_dict()
    out = []
    for table, comments, keys in layout(area).tables:
        section = values if table == "" else values.get(table, {})
        halves = [split_help(c) for c in comments]
        zh, en = " ".join(h.zh for h in halves if h.zh), " ".join(h.en for h in halves if h.en)
        fields = [PolicyField(table, key, _shown(section[key]), _kind(section[key]), split_help(comment))
                  for key, comment in keys if key in section]
        out.append((table, Help(zh, en), fields))
    return out


def with_values(fields: list[tuple[str, Help, list[PolicyField]]],
                submitted: Mapping[str, str]) -> list[tuple[str, Help, list[PolicyField]]]:
    """The same fields showing what was submitted (a refused form is shown again as it was sent)."""
    return [(table, help_, [PolicyField(f.table, f.key, str(submitted.get(f.name, f.value)), f.kind, f.help)
                            for f in fields]) for table, help_, fields in fields]


def _field_literal(field: PolicyField, raw: str) -> str:
    raw = raw.strip()
    if field.kind == "text":
        return json.dumps(raw, ensure_ascii=False)
    return raw


@dataclass(frozen=True)
class Change:
    """A key whose submitted value differs from the one in force (as values, not as text)."""

    name: str
    before: str
    after: str


def _value(literal: str) -> Any:
    return tomllib.loads(f"x = {literal}")["x"]


def assemble(fields: list[tuple[str, Help, list[PolicyField]]], submitted: Mapping[str, str],
             lang: str = "zh", base_text: str = "") -> tuple[str, dict[str, str], list[Change]]:
    """The policy text from the submitted fields, field name → message for each field that is not a
    TOML value (nothing else is checked here), and the keys that changed. A field not sent keeps the
    value the form showed. The text is `base_text` (the policy in force) with only the changed values
    rewritten, its layout and comments kept, so the diff against it shows just the change; without a
    base text it is written in the repository file's layout."""
    errors: dict[str, str] = {}
    changes: list[Change] = []
    literals: dict[str, str] = {}
    for _, _, table_fields in fields:
        for field in table_fields:
            raw = submitted.get(field.name, field.value)
            literal = _field_literal(field, raw)
            if not literal:
                errors[field.name] = "请填写一个值" if lang == "zh" else "give a value"
                continue
            try:
                value = _value(literal)
            except tomllib.TOMLDecodeError:
                errors[field.name] = ("不是有效的值（数字、true/false、[列表] 或 \"文字\"）" if lang == "zh"
                                      else 'not a value (a number, true/false, a [list] or "text")')
                continue
            literals[field.name] = literal
            if value != _value(_field_literal(field, field.value)):
                changes.append(Change(field.name, field.value, raw.strip()))
    if base_text.strip():
        text = rewrite(base_text, {c.name: literals[c.name] for c in changes})
    else:
        text = _written(fields, literals)
    return text, errors, changes


def _written(fields: list[tuple[str, Help, list[PolicyField]]], literals: Mapping[str, str]) -> str:
    """Every key in the repository file's layout, with its help as the comment."""
    preamble = layout().preamble
    lines = list(preamble) + ([""] if preamble else [])
    for table, _, table_fields in fields:
        if table:
            lines += ["", f"[{table}]"] + [f"# {c}" for c in table_comments().get(table, ())]
        for field in table_fields:
            if field.name in literals:
                comment = " / ".join(part for part in (field.help.zh, field.help.en) if part)
                lines.append(f"{field.key} = {literals[field.name]}" + (f"  # {comment}" if comment else ""))
    return "\n".join(lines).lstrip("\n") + "\n"


def rewrite(text: str, literals: Mapping[str, str]) -> str:
    """`text` with the values of the named keys (`table.key`) replaced, everything else as it was; a key
    the text does not have is added at the end of its table (a table it does not have, at the end)."""
    lines = text.splitlines()
    out: list[str] = []
    table, done = "", set()

    def missing(of_table: str) -> list[str]:
        added = []
        for name, literal in literals.items():
            owner, _, key = name.rpartition(".")
            if owner == of_table and name not in done:
                done.add(name)
                added.append(f"{key} = {literal}")
        return added

    at = 0
    while at < len(lines):
        line, stripped = lines[at], lines[at].strip()
        header = TABLE_LINE.match(stripped)
        match = None if header else KEY_LINE.match(stripped)
        if header:
            out += missing(table)
            table = header.group("table")
        elif match:
            key, rest = match.group("key"), match.group("rest")
            name = f"{table}.{key}" if table else key
            end, depth = _value_end(rest)
            last = at
            while depth > 0 and last + 1 < len(lines):
                last += 1
                depth += _value_end(lines[last].strip())[1]
            if name in literals:
                done.add(name)
                prefix = line[:line.index("=") + 1] + " "
                if last == at and end < len(rest):  # `value   # comment`: keep the comment's column
                    value_text = rest[:end]
                    out.append(prefix + literals[name] + " " * max(1, len(value_text) - len(literals[name]))
                               + rest[end:])
                else:
                    comment = _comment_of(rest) if last > at else ""
                    out.append(prefix + literals[name] + (f"  # {comment}" if comment else ""))
                at = last + 1
                continue
        out.append(line)
        at += 1
    out += missing(table)
    for name in literals:
        if name not in done:  # a table the text does not have
            owner = name.rpartition(".")[0]
            out += ["", f"[{owner}]"] + missing(owner)
    return "\n".join(out) + "\n"


def table_comments(area: str = "rotation") -> dict[str, tuple[str, ...]]:
    return {name: comments for name, comments, _ in layout(area).tables}


def field_of_error(table: str | None, key: str | None) -> str | None:
    """The form field a PolicyError is about: `[subsidy] yuan_per_month[0][1]` → `subsidy.yuan_per_month`."""
    if not key:
        return None
    base = re.split(r"[.\[]", key, maxsplit=1)[0]
    return f"{table}.{base}" if table else base


def set_value(policy: Any, text: str, name: str, raw: str, lang: str = "zh",
              area: str = "rotation") -> tuple[str, str | None]:
    """The policy in force (`policy`, written as `text`) with one key changed (a what-if), or an error
    message for that key."""
    fields = policy_fields(policy, area)
    known = {f.name for _, _, table_fields in fields for f in table_fields}
    if name not in known:
        return "", f"没有政策项 {name}" if lang == "zh" else f"no policy key {name}"
    changed, errors, _ = assemble(fields, {name: raw}, lang, base_text=text)
    return changed, errors.get(name)
