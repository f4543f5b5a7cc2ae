"""The envelope name, last step: how sure it is, and the fall-back where it breaks a rule.

Every envelope name gets a confidence (docs/conventions.md, "How sure propmail is of an envelope
name"), from most to least sure: ``decisive`` (the row's own record settles the reading),
``likely`` (weaker evidence the row gives), ``guess`` (only the column's habit decided) and
``fallback``. A reading that breaks one of the invariants ("What an envelope name never does")
is replaced by a safe form, the owner field itself in name case, or a fixed salutation
(``[names] fallback``), and is a ``fallback``:

1. every word it prints is a word of the owner fields (several closed up count: ``McLean``);
2. it repeats no word the owner fields have fewer times, but for a surname written after both
   owners because one has a suffix (``Richard J Braun Jr & Cherie M Braun``);
3. it prints no person by one word alone where the owner field has more, and it prints the
   first owner's surname (the word before a comma, else the first or last word);
4. it starts and ends with neither ``&`` nor a comma.

All checks are polars expressions over the distinct owners; lists of words are compared with
one explode each, not row by row.

>>> rank("guess") < rank("likely") < rank("decisive")
True
"""

from __future__ import annotations

import polars as pl

# From least to most sure; a setting names one of them.
LEVELS = ("fallback", "guess", "likely", "decisive")
GENERATIONS = r"JR|SR|II|III|IV|2ND|3RD|I|V"
SALUTATION = "salutation"  # [names] fallback: print the salutation, not the owner field


def rank(level: str) -> int:
    return LEVELS.index(level)


def _words(text: pl.Expr) -> pl.Expr:
    """Upper-case words, apostrophes dropped, every other character a break; ``&`` left out."""
    return text.str.to_uppercase().str.replace_all(r"['’`]", "").str.extract_all(r"[A-Z0-9]+")


def broken(frame: pl.DataFrame) -> pl.Series:
    """Per row of `frame` (``__row``, the envelope ``__envelope`` as cased, the owner fields
    ``__field1``, ``__field2``, ``__field3``, the first owner's surname candidates ``__sur_a``,
    ``__sur_b`` and the person words' count ``__person_words``): the first invariant the
    envelope breaks, or null.

    >>> frame = pl.DataFrame({"__row": [0, 1, 2], "__envelope": ["John & Mary Smith",
    ...     "Doe John & John Jr", "& Ann Lee"], "__field1": ["SMITH JOHN & MARY", "John Doe, Jr.",
    ...     "LEE, ANN"], "__field2": [None] * 3, "__field3": [None] * 3,
    ...     "__sur_a": ["SMITH", "JOHN", "LEE"], "__sur_b": ["MARY", "DOE", "LEE"],
    ...     "__person_words": [3, 3, 2]}, schema_overrides={"__field2": pl.String,
    ...     "__field3": pl.String})
    >>> broken(frame).to_list()
    [None, 'repeats a word of the owner fields', 'starts or ends with & or a comma']
    """
    rows = frame.select(
        "__row",
        _words(pl.col("__envelope")).alias("__out"),
        pl.concat_list(
            _words(pl.col(c)).fill_null(pl.lit([], pl.List(pl.String)))
            for c in ("__field1", "__field2", "__field3")
        ).alias("__in"),
        pl.concat_str(
            [
                pl.col(c).str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "")
                for c in ("__field1", "__field2", "__field3")
            ],
            ignore_nulls=True,
        ).alias("__closed"),
    )
    # words the envelope prints, each with how often it prints them and the fields hold them
    out = (
        rows.select("__row", "__closed", pl.col("__out").alias("__w"))
        .explode("__w")
        .drop_nulls("__w")
        .group_by("__row", "__w")
        .agg(pl.len().alias("__n_out"), pl.col("__closed").first())
    )
    held = (
        rows.select("__row", pl.col("__in").alias("__w"))
        .explode("__w")
        .drop_nulls("__w")
        .group_by("__row", "__w")
        .agg(pl.len().alias("__n_in"))
    )
    # a word no field holds is there closed up (MC LEAN -> MCLEAN, L L C -> LLC) that often
    words = out.join(held, on=["__row", "__w"], how="left").with_columns(
        pl.when(pl.col("__n_in").is_null())
        .then(pl.col("__closed").str.count_matches(pl.col("__w"), literal=True))
        .otherwise(pl.col("__n_in"))
        .alias("__n_in")
    )
    foreign = words.filter(pl.col("__n_in") == 0)["__row"].unique()
    shared = _shared_surname(frame.select("__row", "__envelope"))
    repeats = (
        words.join(shared, on="__row", how="left")
        .filter(
            (pl.col("__n_out") > pl.col("__n_in"))
            & ~(
                (pl.col("__w") == pl.col("__shared")) & (pl.col("__n_out") == pl.col("__n_in") + 1)
            ).fill_null(False)
        )["__row"]
        .unique()
    )
    printed = " " + _spaced(pl.col("__envelope")) + " "
    sur_a, sur_b = _spaced(pl.col("__sur_a")), _spaced(pl.col("__sur_b"))
    checks = frame.select(
        pl.col("__row").is_in(foreign.implode()).alias("foreign"),
        pl.col("__row").is_in(repeats.implode()).alias("repeats"),
        (
            (pl.col("__envelope").str.strip_chars().str.count_matches(r"\S+") == 1)
            & (pl.col("__person_words") > 1)
        ).alias("one word"),
        (
            sur_a.is_not_null()
            & ~printed.str.contains(" " + sur_a.fill_null("") + " ", literal=True)
            & ~printed.str.contains(" " + sur_b.fill_null("\x04") + " ", literal=True)
            # a surname written in parts and printed closed up: MC LEAN, McLean
            & ~printed.str.replace_all(" ", "").str.contains(
                sur_a.str.replace_all(" ", "").fill_null("\x04"), literal=True
            )
        ).alias("surname"),
        pl.col("__envelope").str.contains(r"^\s*[&,]|[&,]\s*$").alias("ends"),
    )
    said = {
        "foreign": "prints a word of no owner field",
        "repeats": "repeats a word of the owner fields",
        "one word": "prints a person by one word",
        "surname": "drops the first owner's surname",
        "ends": "starts or ends with & or a comma",
    }
    first = pl.coalesce(
        pl.when(pl.col(c).fill_null(False)).then(pl.lit(w)) for c, w in said.items()
    )
    return checks.select(first.alias("__broken")).to_series()


def _spaced(text: pl.Expr) -> pl.Expr:
    """Upper-case words separated by one space, apostrophes dropped: ``D'Elia`` -> ``DELIA``,
    ``Fonseca-Cueto`` -> ``FONSECA CUETO``."""
    return (
        text.str.to_uppercase()
        .str.replace_all(r"['’`]", "")
        .str.replace_all(r"[^A-Z0-9]+", " ")
        .str.strip_chars()
    )


def _shared_surname(frame: pl.DataFrame) -> pl.DataFrame:
    """Per row: the surname written after both owners because one has a suffix, or null."""
    parts = pl.col("__envelope").str.to_uppercase().str.split("&")
    bare = rf"(?:\s+(?:{GENERATIONS}))+\s*$"
    one = parts.list.get(0, null_on_oob=True).str.strip_chars()
    two = parts.list.get(1, null_on_oob=True).str.strip_chars()
    last = lambda p: p.str.replace(bare, "").str.extract(r"\S\s+(\S+)$")  # noqa: E731
    suffixed = one.str.contains(bare) | two.str.contains(bare)
    same = (parts.list.len() == 2) & suffixed & (last(one) == last(two))
    return frame.select("__row", pl.when(same).then(last(one)).alias("__shared"))
