"""The settings that reproduce the usual legacy variants, as candidates for `parity --suggest`.

Each `Variant` is one rules-file fragment laid over the rules in force: a flag matched by
substring, as a legacy ``LIKE '%TRUST%'`` did (with the legacy single word, or with the whole
keyword list); the other slug style; two neighbouring prefix rules applied the other way round;
NCOA ``00`` counted as no drop, or as a drop again. `propmail parity --suggest` runs the pipeline
with each and compares it with the database on the same rows.

>>> from propmail.settings import load_rules
>>> found = [v.setting for v in variants(None, load_rules())]
>>> found[:2]
['IsTrust by substring of TRUST', 'IsTrust by substring of its keyword list']
>>> "slug style propercase" in found, "prefix order: Liens- before HE-" in found
(True, True)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from propmail.overrides import overlay, settings_toml
from propmail.pipeline import Rule
from propmail.rules import classification, codes, slug
from propmail.rules.classification import MATCHED_FLAGS
from propmail.rules.slug import STYLES
from propmail.settings import Rules, with_fragment

# The single word a legacy procedure typically searched each flag's owner names for
LEGACY_WORDS = {
    "trust": ["TRUST"],
    "church": ["CHURCH"],
    "business": ["LLC", "INC", "CORP"],
}


@dataclass(frozen=True)
class Variant:
    setting: str  # what it changes, in words
    fragment: str  # the rules-file fragment (TOML)
    rules: Rules
    start: Rule  # the first rule the setting changes: the pipeline reruns from there
    data: dict[str, Any]  # the fragment as settings


# the first rule each section's settings change
FIRST_RULE: dict[str, Rule] = {
    "classification": classification.derive,
    "slug": slug.derive,
    "codes": codes.derive,
    "ncoa": codes.derive,
}


def fragments(rules: Rules) -> Iterator[tuple[str, dict[str, Any]]]:
    """(what it changes, rules-file fragment) for each legacy variant of the rules in force."""
    substring = set(rules.classification.substring)
    for flag, words in LEGACY_WORDS.items():
        name = MATCHED_FLAGS[flag]
        if name in substring:
            yield f"{name} by whole tokens", {"classification": {"match": {flag: "token"}}}
            continue
        yield (
            f"{name} by substring of {', '.join(words)}",
            {"classification": {flag: words, "match": {flag: "substring"}}},
        )
        yield (
            f"{name} by substring of its keyword list",
            {"classification": {"match": {flag: "substring"}}},
        )
    for style in STYLES:
        if style != rules.slug_style:
            yield f"slug style {style}", {"slug": {"style": style}}
    order = [p.prefix for p in rules.prefixes]
    for i in range(len(order) - 1):
        swapped = [*order[:i], order[i + 1], order[i], *order[i + 2 :]]
        yield (
            f"prefix order: {order[i + 1]} before {order[i]}",
            {"codes": {"prefix_order": swapped}},
        )
    not_drops = list(rules.ncoa.not_drops)
    if not_drops:  # the legacy procedure: every code that is not a move is a drop
        yield "NCOA legacy drops", {"ncoa": {"not_drops": []}}
    else:
        yield "NCOA 00 not a drop", {"ncoa": {"not_drops": [*not_drops, "00"]}}


def variants(rules_path: str | Path | None, rules: Rules) -> list[Variant]:
    """Every legacy variant of the rules in force, ready to run."""
    return [
        Variant(
            setting,
            settings_toml(fragment).strip(),
            with_fragment(rules_path, fragment),
            FIRST_RULE[next(iter(fragment))],
            fragment,
        )
        for setting, fragment in fragments(rules)
    ]


# the order the rules a setting may change run in
_ORDER: tuple[Rule, ...] = (classification.derive, codes.derive, slug.derive)


def together(rules_path: str | Path | None, chosen: list[Variant]) -> Variant:
    """The chosen variants adopted at once: one fragment, run from the first rule any changes.

    >>> from propmail.settings import load_rules
    >>> found = {v.setting: v for v in variants(None, load_rules())}
    >>> both = together(None, [found["slug style propercase"], found["NCOA legacy drops"]])
    >>> both.setting, both.rules.slug_style, both.rules.ncoa_not_drops, both.start is codes.derive
    ('slug style propercase + NCOA legacy drops', 'propercase', (), True)
    """
    data: dict[str, Any] = {}
    for variant in chosen:
        data = overlay(data, variant.data)[0]
    start = min((v.start for v in chosen), key=_ORDER.index)
    setting = " + ".join(v.setting for v in chosen)
    return Variant(
        setting, settings_toml(data).strip(), with_fragment(rules_path, data), start, data
    )
