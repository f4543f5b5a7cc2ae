"""The business settings: `rules.toml` shipped in the package, validated on load.

An override file replaces only the keys it names (tables merge, lists replace).
Every error names the offending key, e.g. ``rules.toml: prefix[3].op: unknown operator 'gt'``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from propmail.contract import UPLOAD_COLUMNS
from propmail.errors import SettingsError

PRIORITY_CONDITIONS = ("owner_occupied", "state_differs", "zip_differs", "same_zip", "always")
PREFIX_OPERATORS = ("not_null", "eq", "in", "between", "ncoa_move", "ncoa_drop")
SLUG_STYLES = ("underscore", "propercase")


@dataclass(frozen=True)
class Classification:
    trust: tuple[str, ...]
    church: tuple[str, ...]
    business: tuple[str, ...]
    estate: tuple[str, ...]
    estate_exclude: tuple[str, ...]
    government: tuple[str, ...]


@dataclass(frozen=True)
class PriorityRule:
    code: str
    when: str
    is_absentee: int


@dataclass(frozen=True)
class Condition:
    column: str
    op: str
    value: str | float | None = None
    values: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = False
    high_inclusive: bool = True


@dataclass(frozen=True)
class PrefixRule:
    prefix: str
    conditions: tuple[Condition, ...]  # all must hold


@dataclass(frozen=True)
class NewList:
    priority_level: int
    processing_order: int
    is_absentee: int
    frequency: int
    divided_by: int


@dataclass(frozen=True)
class Rules:
    classification: Classification
    priority: tuple[PriorityRule, ...]
    prefixes: tuple[PrefixRule, ...]
    ncoa_moves: tuple[str, ...]
    ncoa_not_drops: tuple[str, ...]
    niche_separator: str
    slug_style: str
    update_window_months: int
    new_list: NewList
    source: str = "rules.toml"


def default_rules_text() -> str:
    return resources.files("propmail").joinpath("rules.toml").read_text(encoding="utf-8")


def load_rules(path: str | Path | None = None) -> Rules:
    """The default rules, with the keys of `path` (if given) laid over them."""
    data = tomllib.loads(default_rules_text())
    source = "rules.toml"
    if path is not None:
        source = str(path)
        try:
            override = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SettingsError("rules file not found", file=source) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"not valid TOML: {exc}", file=source) from None
        data = _merge(data, override)
    return _validate(data, source)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = _merge(base[key], value)
        else:
            out[key] = value
    return out


class _Reader:
    """Typed access to a TOML table that reports the full key path on error."""

    def __init__(self, table: Any, path: str, source: str) -> None:
        if not isinstance(table, dict):
            raise SettingsError(f"{path}: expected a table", file=source)
        self.table, self.path, self.source = table, path, source

    def fail(self, key: str, message: str) -> SettingsError:
        return SettingsError(f"{self.path}.{key}: {message}".lstrip("."), file=self.source)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.table:
            if default is ...:
                raise self.fail(key, "missing")
            return default
        value = self.table[key]
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            raise self.fail(key, f"expected a number, got {value!r}")
        if not isinstance(value, kind):
            raise self.fail(key, f"expected {_kind_name(kind)}, got {value!r}")
        return value

    def words(self, key: str) -> tuple[str, ...]:
        value = self.get(key, list)
        for i, word in enumerate(value):
            if not isinstance(word, str) or not word.strip():
                raise self.fail(f"{key}[{i}]", f"expected a non-empty string, got {word!r}")
        return tuple(w.strip().upper() for w in value)

    def only(self, allowed: set[str]) -> None:
        for key in self.table:
            if key not in allowed:
                raise self.fail(key, f"unknown key (expected one of {', '.join(sorted(allowed))})")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {
        str: "a string",
        int: "a whole number",
        float: "a number",
        list: "a list",
        dict: "a table",
        bool: "true or false",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _condition(table: Any, path: str, source: str) -> Condition:
    r = _Reader(table, path, source)
    r.only({"column", "op", "value", "values", "low", "high", "low_inclusive", "high_inclusive"})
    column = r.get("column", str)
    canonical = {c.lower(): c for c in UPLOAD_COLUMNS}
    if column.lower() not in canonical:
        raise r.fail("column", f"unknown upload column {column!r}")
    op = r.get("op", str)
    if op not in PREFIX_OPERATORS:
        raise r.fail(
            "op", f"unknown operator {op!r} (expected one of {', '.join(PREFIX_OPERATORS)})"
        )
    value = r.get("value", (str, int, float), None)
    if op == "eq" and value is None:
        raise r.fail("value", "missing (op 'eq' needs a value)")
    values = tuple(str(v) for v in r.get("values", list, []))
    if op == "in" and not values:
        raise r.fail("values", "missing (op 'in' needs a list of values)")
    low = r.get("low", (int, float), None)
    high = r.get("high", (int, float), None)
    if op == "between" and low is None and high is None:
        raise r.fail("low", "op 'between' needs low, high or both")
    return Condition(
        column=canonical[column.lower()],
        op=op,
        value=value,
        values=values,
        low=None if low is None else float(low),
        high=None if high is None else float(high),
        low_inclusive=r.get("low_inclusive", bool, False),
        high_inclusive=r.get("high_inclusive", bool, True),
    )


def _validate(data: dict[str, Any], source: str) -> Rules:
    top = _Reader(data, "", source)
    top.only({"classification", "priority", "prefix", "ncoa", "niche", "slug", "load", "new_list"})

    c = _Reader(top.get("classification", dict), "classification", source)
    c.only({"trust", "church", "business", "estate", "estate_exclude", "government"})
    classification = Classification(
        trust=c.words("trust"),
        church=c.words("church"),
        business=c.words("business"),
        estate=c.words("estate"),
        estate_exclude=c.words("estate_exclude"),
        government=c.words("government"),
    )

    priority = []
    for i, item in enumerate(top.get("priority", list)):
        r = _Reader(item, f"priority[{i}]", source)
        r.only({"code", "when", "is_absentee"})
        when = r.get("when", str)
        if when not in PRIORITY_CONDITIONS:
            raise r.fail(
                "when",
                f"unknown condition {when!r} (expected one of {', '.join(PRIORITY_CONDITIONS)})",
            )
        code = r.get("code", str).strip()
        if not code:
            raise r.fail("code", "must not be empty")
        priority.append(PriorityRule(code=code, when=when, is_absentee=r.get("is_absentee", int)))
    if not priority:
        raise top.fail("priority", "at least one rule is needed")

    prefixes = []
    for i, item in enumerate(top.get("prefix", list)):
        path = f"prefix[{i}]"
        r = _Reader(item, path, source)
        prefix = r.get("prefix", str)
        if not prefix:
            raise r.fail("prefix", "must not be empty")
        if "all" in item:
            r.only({"prefix", "all"})
            conditions = tuple(
                _condition(sub, f"{path}.all[{j}]", source)
                for j, sub in enumerate(r.get("all", list))
            )
            if not conditions:
                raise r.fail("all", "needs at least one condition")
        else:
            conditions = (
                _condition({k: v for k, v in item.items() if k != "prefix"}, path, source),
            )
        prefixes.append(PrefixRule(prefix=prefix, conditions=conditions))

    n = _Reader(top.get("ncoa", dict), "ncoa", source)
    n.only({"moves", "not_drops"})
    niche = _Reader(top.get("niche", dict), "niche", source)
    niche.only({"separator"})
    slug = _Reader(top.get("slug", dict), "slug", source)
    slug.only({"style"})
    style = slug.get("style", str)
    if style not in SLUG_STYLES:
        raise slug.fail(
            "style", f"unknown style {style!r} (expected one of {', '.join(SLUG_STYLES)})"
        )
    load = _Reader(top.get("load", dict), "load", source)
    load.only({"update_window_months"})
    window = load.get("update_window_months", int)
    if window < 0:
        raise load.fail("update_window_months", "must be 0 or more")
    nl = _Reader(top.get("new_list", dict), "new_list", source)
    nl.only({"priority_level", "processing_order", "is_absentee", "frequency", "divided_by"})

    return Rules(
        classification=classification,
        priority=tuple(priority),
        prefixes=tuple(prefixes),
        ncoa_moves=n.words("moves"),
        ncoa_not_drops=n.words("not_drops"),
        niche_separator=niche.get("separator", str),
        slug_style=style,
        update_window_months=window,
        new_list=NewList(
            **{
                k: nl.get(k, int)
                for k in (
                    "priority_level",
                    "processing_order",
                    "is_absentee",
                    "frequency",
                    "divided_by",
                )
            }
        ),
        source=source,
    )
