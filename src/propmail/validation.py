"""Validation of the TOML settings files (rules.toml, mapping files): every bad key, one error.

A `Table` reads one TOML table key by key and notes each problem under its key path
(``prefix[3].op``) instead of stopping at the first; `Problems.check` then raises one
SettingsError that lists them all, the file first:
``file rules.toml: prefix[3].op: unknown operator 'gt' (...); slug.style: unknown style ...``.

>>> problems = Problems("rules.toml")
>>> slug = Table({"style": "camel", "colour": 1}, "slug", problems)
>>> slug.only({"style"})
>>> slug.choice("style", ("underscore", "propercase"), "style")
>>> problems.check()
Traceback (most recent call last):
...
propmail.errors.SettingsError: file rules.toml: slug.colour: unknown key (expected one of style); \
slug.style: unknown style 'camel' (expected one of underscore, propercase)
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from propmail.errors import SettingsError

_REQUIRED: Any = object()

_KIND_NAMES = {
    str: "a string",
    int: "a whole number",
    float: "a number",
    list: "a list",
    dict: "a table",
    bool: "true or false",
}


@dataclass
class Problems:
    """The problems found in one file, each as ``key path: message``."""

    source: str
    found: dict[str, str] = field(default_factory=dict)  # key path -> message, in file order

    def add(self, path: str, message: str) -> None:
        self.found.setdefault(path, message)  # the first problem of a key explains it

    def check(self) -> None:
        """Raise one SettingsError naming every bad key, if there is one."""
        if self.found:
            listed = "; ".join(f"{p}: {m}" if p else m for p, m in self.found.items())
            raise SettingsError(listed, file=self.source)


def read_toml(path: str | Path, what: str) -> dict[str, Any]:
    """The parsed TOML of a settings file; `what` names the file in messages (``rules file``)."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsError(
            f"cannot read {what}: not found (looked for {Path(path).absolute()})", file=source
        ) from None
    except OSError as exc:
        raise SettingsError(f"cannot read {what}: {exc.strerror}", file=source) from None
    except UnicodeDecodeError:
        raise SettingsError(f"{what} is not UTF-8 text", file=source) from None
    return parse_toml(text, source)


def parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"not valid TOML: {exc}", file=source) from None


class Table:
    """One TOML table of a settings file; a bad key is noted in `problems` under its path.

    A bad or missing value reads as None (or the default given), so the rest of the file is
    still checked; the caller raises with `Problems.check` once everything was read.
    """

    def __init__(self, data: object, path: str, problems: Problems) -> None:
        if not isinstance(data, dict):
            problems.add(path, "expected a table")
            data = {}
        self.data: dict[str, Any] = data
        self.path = path
        self.problems = problems

    def key(self, key: str) -> str:
        """The full path of `key`, as messages name it."""
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, message: str) -> None:
        self.problems.add(self.key(key), message)

    def ok(self, key: str) -> bool:
        """Whether no problem was noted for `key` so far."""
        return self.key(key) not in self.problems.found

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = _REQUIRED) -> Any:
        """The value of `key` if it is of `kind`, else None; absent, `default` (or missing)."""
        if key not in self.data:
            if default is _REQUIRED:
                self.fail(key, "missing")
                return None
            return default
        value = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and set(kinds) <= {int, float}:  # TOML's true is an int
            self.fail(key, f"expected a number, got {value!r}")
            return None
        if not isinstance(value, kinds):
            names = " or ".join(_KIND_NAMES.get(k, k.__name__) for k in kinds)
            self.fail(key, f"expected {names}, got {value!r}")
            return None
        return value

    def words(self, key: str) -> tuple[str, ...]:
        """A list of non-empty strings, stripped and upper-cased."""
        value = self.get(key, list) or []
        for i, word in enumerate(value):
            if not isinstance(word, str) or not word.strip():
                self.fail(f"{key}[{i}]", f"expected a non-empty string, got {word!r}")
        return tuple(w.strip().upper() for w in value if isinstance(w, str) and w.strip())

    def choice(self, key: str, vocabulary: Collection[str], what: str) -> str | None:
        """A string that must be one of `vocabulary`; `what` names it in the message."""
        value = self.get(key, str)
        if value is not None and value not in vocabulary:
            expected = ", ".join(vocabulary)
            self.fail(key, f"unknown {what} {value!r} (expected one of {expected})")
            return None
        return value

    def table(self, key: str, *, optional: bool = False) -> Table:
        """The sub-table `key`; an `optional` one that is absent reads as empty."""
        value = self.get(key, dict, {} if optional else _REQUIRED)
        return Table({} if value is None else value, self.key(key), self.problems)

    def tables(self, key: str, named: dict[int, str] | None = None) -> list[Table]:
        """The list of tables `key` (``[[prefix]]``), each with its index in its path.

        `named` gives an item another path (its place in the file it came from).
        An item that is not a table is noted and left out, so its keys are not reported too.
        """
        named = named or {}
        paths = [
            (named.get(i, f"{self.key(key)}[{i}]"), item)
            for i, item in enumerate(self.get(key, list) or [])
        ]
        for path, item in paths:
            if not isinstance(item, dict):
                self.problems.add(path, "expected a table")
        return [Table(item, path, self.problems) for path, item in paths if isinstance(item, dict)]

    def only(self, allowed: Collection[str], what: str = "key") -> None:
        """Note every key that is not `allowed`."""
        for key in self.data:
            if key not in allowed:
                expected = ", ".join(sorted(allowed))
                self.fail(key, f"unknown {what} (expected one of {expected})")
