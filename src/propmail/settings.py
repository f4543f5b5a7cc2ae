"""The business settings: `rules.toml` shipped in the package, validated on load.

An override file replaces only the keys it names: tables merge key by key and a list of words
is replaced whole. The rule lists, ``[[prefix]]`` and ``[[priority]]``, merge by their key
(``prefix``, ``code``): an entry replaces the rule of the same key in its place and an entry with
a new key is added at the end; ``replace = ["prefix"]`` at the top of the file replaces the whole
list instead. `Rules.changes` says what the file changed, one line per rule or key. Each section
has its parser next to its dataclass; every bad key is collected and reported in one error
that names each key path, e.g. ``rules.toml: prefix[3].op: unknown operator 'gt' (...)``.
The names a rule may use (priority conditions, prefix operators, slug styles) are defined by
the rules that give them meaning, in `propmail.rules`.

Validation is written by hand (`propmail.validation`, about 150 lines) rather than with
pydantic: importing pydantic and defining these models took 98-110 ms, on every command, where
reading and validating rules.toml by hand takes 0.8 ms; and pydantic's messages ("Input should
be 'eq' or 'in'", "Extra inputs are not permitted") would each need rewording to say what the
key may be.

>>> rules = load_rules()
>>> rules.priority[0], rules.slug_style
(PriorityRule(code='OO', when='owner_occupied', is_absentee=0), 'underscore')
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any

from propmail.contract import UPLOAD_COLUMNS
from propmail.errors import SettingsError
from propmail.rules.codes import OPERATORS
from propmail.rules.occupancy import UNIT_ON_ONE_SIDE, WITHOUT_SITE_ZIP
from propmail.rules.priority import CONDITIONS
from propmail.rules.slug import STYLES
from propmail.validation import Problems, Table, parse_toml, read_toml

SECTIONS = (
    "classification", "priority", "prefix", "codes", "ncoa", "niche", "slug", "load", "new_list",
    "occupancy", "journal", "names",
)  # fmt: skip
KEYED_LISTS = {"prefix": "prefix", "priority": "code"}  # rule list -> the key of its rules
REPLACE = "replace"  # an override's list of the rule lists it replaces whole
EXTEND = "extend"  # an override's list of the word lists it adds words to (classification.trust)


@dataclass(frozen=True)
class Classification:
    trust: tuple[str, ...]
    church: tuple[str, ...]
    business: tuple[str, ...]
    estate: tuple[str, ...]
    estate_exclude: tuple[str, ...]
    government: tuple[str, ...]
    business_words: tuple[str, ...]
    government_weak: tuple[str, ...]
    person_names: tuple[str, ...]
    trust_in_company: tuple[str, ...]
    trust_exclude: tuple[str, ...]
    church_exclude: tuple[str, ...]
    estate_in_company: tuple[str, ...]
    # the flags whose keywords match anywhere in the upper-cased OwnerName, as the legacy
    # `LIKE '%TRUST%'` did, instead of as whole tokens refined by position and form
    substring: tuple[str, ...] = ()


MATCHES = ("token", "substring")  # how a flag's keywords match: [classification.match]
MATCHED_FLAGS = {"trust": "IsTrust", "church": "IsChurch", "business": "IsBusiness",
                 "estate": "IsEstate", "government": "IsGovernment"}  # fmt: skip


def _classification(table: Table) -> Classification:
    names = [f.name for f in fields(Classification) if f.name != "substring"]
    table.only([*names, "match"])
    match = table.table("match", optional=True)
    match.only(MATCHED_FLAGS, "flag")
    chosen = {flag: match.choice(flag, MATCHES, "match") for flag in MATCHED_FLAGS}
    substring = tuple(MATCHED_FLAGS[f] for f, how in chosen.items() if how == "substring")
    words = {name: table.words(name) for name in names}
    return Classification(**words, substring=substring)


@dataclass(frozen=True)
class PriorityRule:
    code: str
    when: str
    is_absentee: int


def _priority(top: Table, named: dict[int, str] | None = None) -> tuple[PriorityRule, ...]:
    """The base priority rules, tried in order (at least one)."""
    parsed = []
    for table in top.tables("priority", named):
        table.only({f.name for f in fields(PriorityRule)})
        when = table.choice("when", CONDITIONS, "condition")
        code = table.get("code", str)
        if code is not None and not code.strip():
            table.fail("code", "must not be empty")
        is_absentee = table.get("is_absentee", int)
        rule = PriorityRule(code=(code or "").strip(), when=when or "", is_absentee=is_absentee)
        parsed.append(rule)
    if top.data.get("priority") == []:
        top.fail("priority", "at least one rule is needed")
    return tuple(parsed)


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


_COLUMNS = {c.lower(): c for c in UPLOAD_COLUMNS}


def _condition(table: Table) -> Condition:
    table.only({f.name for f in fields(Condition)})
    column = table.get("column", str)
    if column is not None and column.lower() not in _COLUMNS:
        table.fail("column", f"unknown upload column {column!r}")
    op = table.choice("op", OPERATORS, "operator")
    value = table.get("value", (str, int, float), None)
    if op == "eq" and value is None and table.ok("value"):
        table.fail("value", "missing (op 'eq' needs a value)")
    values = tuple(str(v) for v in table.get("values", list, []) or [])
    if op == "in" and not values and table.ok("values"):
        table.fail("values", "missing (op 'in' needs a list of values)")
    low = table.get("low", (int, float), None)
    high = table.get("high", (int, float), None)
    if op == "between" and low is None and high is None and table.ok("low") and table.ok("high"):
        table.fail("low", "op 'between' needs low, high or both")
    return Condition(
        column=_COLUMNS.get((column or "").lower(), column or ""),
        op=op or "",
        value=value,
        values=values,
        low=None if low is None else float(low),
        high=None if high is None else float(high),
        low_inclusive=table.get("low_inclusive", bool, False),
        high_inclusive=table.get("high_inclusive", bool, True),
    )


@dataclass(frozen=True)
class PrefixRule:
    prefix: str
    conditions: tuple[Condition, ...]  # all must hold


def _prefixes(top: Table, named: dict[int, str] | None = None) -> tuple[PrefixRule, ...]:
    """The prefix rules in the order applied; each holds one condition inline, or `all`."""
    parsed = []
    for table in top.tables("prefix", named):
        prefix = table.get("prefix", str)
        if prefix == "":
            table.fail("prefix", "must not be empty")
        if "all" in table.data:
            table.only({"prefix", "all"})
            conditions = tuple(_condition(sub) for sub in table.tables("all"))
            if table.data["all"] == []:
                table.fail("all", "needs at least one condition")
        else:
            inline = {k: v for k, v in table.data.items() if k != "prefix"}
            conditions = (_condition(Table(inline, table.path, table.problems)),)
        parsed.append(PrefixRule(prefix=prefix or "", conditions=conditions))
    return tuple(parsed)


def _prefix_order(table: Table, prefixes: tuple[PrefixRule, ...]) -> tuple[PrefixRule, ...]:
    """The prefix rules in the order `[codes] prefix_order` names them (empty: file order)."""
    table.only({"prefix_order"})
    order = table.get("prefix_order", list, [])
    if not order or not table.ok("prefix_order"):
        return prefixes
    known = {rule.prefix: rule for rule in prefixes}
    unknown = [p for p in order if p not in known]
    missing = [p for p in known if p not in order]
    if unknown or missing or len(set(order)) != len(order):
        said = [f"unknown {', '.join(map(repr, unknown))}" if unknown else ""]
        said.append(f"missing {', '.join(map(repr, missing))}" if missing else "")
        said.append("a prefix named twice" if len(set(order)) != len(order) else "")
        table.fail(
            "prefix_order",
            "must name every [[prefix]] rule once (" + "; ".join(w for w in said if w) + ")",
        )
        return prefixes
    return tuple(known[p] for p in order)


def _ncoa(table: Table) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The NCOA codes that mean a move, and those that are neither a move nor a drop."""
    table.only({"moves", "not_drops"})
    return table.words("moves"), table.words("not_drops")


def _niche(table: Table) -> str:
    """The separator between a niche type and the code it stacks on."""
    table.only({"separator"})
    return table.get("separator", str) or ""


def _slug(table: Table) -> str:
    table.only({"style"})
    return table.choice("style", STYLES, "style") or ""


def _load(table: Table) -> int:
    """The update window in months."""
    table.only({"update_window_months"})
    window = table.get("update_window_months", int)
    if window is not None and window < 0:
        table.fail("update_window_months", "must be 0 or more")
    return window or 0


@dataclass(frozen=True)
class NewList:
    priority_level: int
    processing_order: int
    is_absentee: int
    frequency: int
    divided_by: int


def _new_list(table: Table) -> NewList:
    names = [f.name for f in fields(NewList)]
    table.only(names)
    return NewList(**{name: table.get(name, int) for name in names})


@dataclass(frozen=True)
class Occupancy:
    """How IsOwnerOccupied treats what only one address says (docs/conventions.md)."""

    unit_on_one_side: str = "same"  # "same": one building is one place; "different"
    without_site_zip: str = "city_state"  # "city_state": compare city and state; "absentee"


def _occupancy(table: Table) -> Occupancy:
    table.only({"unit_on_one_side", "without_site_zip"})
    unit = table.choice("unit_on_one_side", UNIT_ON_ONE_SIDE, "value")
    no_zip = table.choice("without_site_zip", WITHOUT_SITE_ZIP, "value")
    return Occupancy(unit_on_one_side=unit or "same", without_site_zip=no_zip or "city_state")


@dataclass(frozen=True)
class Journal:
    """Whether a load journals what it writes (for `propmail undo`), and for how many loads."""

    enabled: bool = True
    keep_loads_per_region: int = 3


def _journal(table: Table) -> Journal:
    table.only({f.name for f in fields(Journal)})
    enabled = table.get("enabled", bool)
    keep = table.get("keep_loads_per_region", int)
    if keep is not None and keep < 1:
        table.fail("keep_loads_per_region", "must be 1 or more")
    return Journal(enabled=bool(enabled), keep_loads_per_region=keep or 1)


@dataclass(frozen=True)
class Names:
    trustee_title: bool = False  # print ", Trustee" after a trustee's name


def _names(table: Table) -> Names:
    """How the envelope name prints what operators may print differently."""
    table.only({"trustee_title"})
    return Names(trustee_title=bool(table.get("trustee_title", bool, False)))


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
    occupancy: Occupancy = Occupancy()
    source: str = "rules.toml"
    journal: Journal = Journal()
    names: Names = Names()
    changes: tuple[str, ...] = ()  # what the rules file changed in the defaults


def _rules(
    data: dict[str, Any],
    source: str,
    over: dict[str, Any] | None = None,
    changes: tuple[str, ...] = (),
) -> Rules:
    """Rules from the settings `data`; `over` (the override file) names the rules it gave."""
    problems = Problems(source)
    top = Table(data, "", problems)
    top.only(SECTIONS)
    classification = _classification(top.table("classification"))
    priority = _priority(top, _origins(data, over, "priority"))
    prefixes = _prefixes(top, _origins(data, over, "prefix"))
    prefixes = _prefix_order(top.table("codes", optional=True), prefixes)
    moves, not_drops = _ncoa(top.table("ncoa"))
    rules = Rules(
        classification=classification,
        priority=priority,
        prefixes=prefixes,
        ncoa_moves=moves,
        ncoa_not_drops=not_drops,
        niche_separator=_niche(top.table("niche")),
        slug_style=_slug(top.table("slug")),
        update_window_months=_load(top.table("load")),
        new_list=_new_list(top.table("new_list")),
        occupancy=_occupancy(top.table("occupancy")),
        source=source,
        journal=_journal(top.table("journal")),
        names=_names(top.table("names")),
        changes=changes,
    )
    problems.check()
    return rules


def default_rules_text() -> str:
    return resources.files("propmail").joinpath("rules.toml").read_text(encoding="utf-8")


def load_rules(path: str | Path | None = None) -> Rules:
    """The default rules, with the keys of `path` (if given) laid over them."""
    if path is None:
        return _rules(parse_toml(default_rules_text(), "rules.toml"), "rules.toml")
    over = read_toml(path, "rules file")
    data, changes = effective_settings(path, over)
    return _rules(data, str(path), over, changes)


def with_fragment(path: str | Path | None, fragment: dict[str, Any]) -> Rules:
    """The rules of `path` (or the defaults) with a rules-file `fragment` laid over them, as
    if the operator had added it to the file (`propmail parity --suggest` tries these)."""
    data, changes = effective_settings(path)
    merged, added = overlay(data, fragment)
    return _rules(merged, f"{path or 'rules.toml'} + suggestion", None, changes + added)


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


def _origins(data: dict[str, Any], over: dict[str, Any] | None, key: str) -> dict[int, str]:
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
