"""Override files: a rules file laid over the shipped rules.toml, and settings written back.

An override file replaces only the keys it names: tables merge key by key and a list of words
is replaced whole. The rule lists, ``[[prefix]]`` and ``[[priority]]``, merge by their key
(``prefix``, ``code``): an entry replaces the rule of the same key in its place and an entry with
a new key is added at the end; ``replace = ["prefix"]`` at the top of the file replaces the whole
list instead; ``extend = ["classification.trust"]`` adds the file's words to the defaults' list.
Each change is said in a line (`Rules.changes`, `propmail rules show`). This module knows the
settings only as TOML data; `propmail.settings` validates the result and makes it `Rules`.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from propmail.errors import SettingsError
from propmail.validation import parse_toml, read_toml

KEYED_LISTS = {"prefix": "prefix", "priority": "code"}  # rule list -> the key of its rules
REPLACE = "replace"  # an override's list of the rule lists it replaces whole
EXTEND = "extend"  # an override's list of the word lists it adds words to (classification.trust)


def default_rules_text() -> str:
    return resources.files("propmail").joinpath("rules.toml").read_text(encoding="utf-8")


def effective_settings(
    path: str | Path | None = None, over: dict[str, Any] | None = None
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The settings in force (the defaults with `path` laid over them) and what `path` changed."""
    data = parse_toml(default_rules_text(), "rules.toml")
    if path is None:
        return data, ()
    over = dict(over if over is not None else read_toml(path, "rules file"))
    replaced = over.pop(REPLACE, [])
    if not isinstance(replaced, list) or any(r not in KEYED_LISTS for r in replaced):
        raise SettingsError(
            f"{REPLACE}: must be a list naming {' or '.join(map(repr, KEYED_LISTS))}, "
            f"got {replaced!r}",
            file=str(path),
        )
    extended = over.pop(EXTEND, [])
    merged, changes = overlay(data, over, frozenset(replaced))
    return _extend(data, merged, over, extended, str(path), changes)


def _extend(
    base: dict[str, Any],
    merged: dict[str, Any],
    over: dict[str, Any],
    extended: Any,
    source: str,
    changes: tuple[str, ...],
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The word lists `extended` names (``classification.trust``) get the override's words
    after the defaults' instead of in their place.

    >>> base = {"classification": {"trust": ["TRUST", "TR"]}}
    >>> over = {"classification": {"trust": ["TRUSTCO"]}}
    >>> merged, _ = overlay(base, over)
    >>> extended, changes = _extend(base, merged, over, ["classification.trust"], "my.toml", ())
    >>> extended["classification"]["trust"], changes
    (['TRUST', 'TR', 'TRUSTCO'], ('classification.trust extended (1 word)',))
    """
    if not isinstance(extended, list) or not all(isinstance(e, str) for e in extended):
        raise SettingsError(
            f"{EXTEND}: must be a list of word lists, got {extended!r}", file=source
        )
    changes = tuple(c for c in changes if c.split(" ")[0] not in extended)
    for path in extended:
        section, _, key = path.partition(".")
        old = base.get(section, {}).get(key) if isinstance(base.get(section), dict) else None
        new = over.get(section, {}).get(key) if isinstance(over.get(section), dict) else None
        if not isinstance(old, list) or not all(isinstance(w, str) for w in old):
            raise SettingsError(f"{EXTEND}: {path!r} is no list of words", file=source)
        if not isinstance(new, list):
            raise SettingsError(f"{EXTEND}: {path!r} is not given in the file", file=source)
        added = [w for w in new if w not in old]
        merged[section] = {**merged[section], key: [*old, *added]}
        changes += (f"{path} extended ({len(added)} word{'s' * (len(added) != 1)})",)
    return merged, changes


def origins(data: dict[str, Any], over: dict[str, Any] | None, key: str) -> dict[int, str]:
    """Merged rule index -> its path in the override file, for the rules that file gave."""
    given = (over or {}).get(key)
    if not isinstance(given, list):
        return {}
    where = {id(rule): f"{key}[{i}]" for i, rule in enumerate(given)}
    merged = data.get(key)
    items = merged if isinstance(merged, list) else []
    return {i: where[id(rule)] for i, rule in enumerate(items) if id(rule) in where}


def overlay(
    base: dict[str, Any], over: dict[str, Any], replaced: frozenset[str] = frozenset()
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """`over` laid over `base`, and one line per change; the rule lists merge by their key.

    >>> base = {"prefix": [{"prefix": "HE-", "high": 50}, {"prefix": "Liens-"}]}
    >>> overlay(base, {"prefix": [{"prefix": "HE-", "high": 60}, {"prefix": "X-"}]})
    ({'prefix': [{'prefix': 'HE-', 'high': 60}, {'prefix': 'Liens-'}, {'prefix': 'X-'}]}, \
("prefix 'HE-' replaced", "prefix 'X-' added"))
    >>> overlay(base, {"prefix": [{"prefix": "X-"}]}, frozenset({"prefix"}))[1]
    ('prefix: the whole list replaced (1 rule)',)
    """
    out, changes = dict(base), list[str]()
    for key, value in over.items():
        old = base.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            out[key], inner = overlay(old, value)
            changes += [f"{key}.{change}" for change in inner]
        elif key in KEYED_LISTS and key not in replaced and _rule_list(value, old):
            out[key], merged = _merge_rules(old or [], value, KEYED_LISTS[key])
            changes += [f"{key} {change}" for change in merged]
        elif key in KEYED_LISTS and isinstance(value, list):
            out[key] = value
            n = len(value)
            changes.append(f"{key}: the whole list replaced ({n} rule{'s' * (n != 1)})")
        elif value != old:
            out[key] = value
            changes.append(f"{key} changed" if old is not None else f"{key} added")
    return out, tuple(changes)


def _rule_list(value: Any, old: Any) -> bool:
    return all(isinstance(v, list) and all(isinstance(r, dict) for r in v) for v in (value, old))


def _merge_rules(
    base: list[dict[str, Any]], over: list[dict[str, Any]], key: str
) -> tuple[list[dict[str, Any]], list[str]]:
    """Each rule of `over` replaces the rule of `base` with the same key, else is added last."""
    merged, changes = list(base), []
    position = {rule.get(key): i for i, rule in enumerate(base)}
    for rule in over:
        name = rule.get(key)
        if name in position:
            if merged[position[name]] != rule:
                changes.append(f"{name!r} replaced")
            merged[position[name]] = rule
        else:
            position[name] = len(merged)
            merged.append(rule)
            changes.append(f"{name!r} added")
    return merged, changes


def settings_toml(data: dict[str, Any]) -> str:
    """Settings written back as TOML (what `propmail rules show` prints).

    >>> print(settings_toml({"slug": {"style": "underscore"}, "prefix": [{"prefix": "HE-"}]}))
    [slug]
    style = "underscore"
    <BLANKLINE>
    [[prefix]]
    prefix = "HE-"
    <BLANKLINE>
    """
    lines: list[str] = []
    for section, value in data.items():
        tables = value if isinstance(value, list) else [value]
        header = f"[[{section}]]" if isinstance(value, list) else f"[{section}]"
        for table in tables:
            lines.append(header)
            lines += [f"{key} = {_toml_value(v)}" for key, v in table.items()]
            lines.append("")
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return repr(value)
