"""An envelope name on the lines a mail house prints: at most `LINE` characters a line.

A longer name is split at a co-owner boundary (the `` & `` that joins co-owners in an envelope
name: the last one that leaves the first line within the limit), the second line starting with
``&``; without one, at the last space that does; never inside a word. A name that cannot be
split so (one word over the limit) is kept whole on the first line.

>>> import polars as pl
>>> frame = pl.DataFrame({"n": ["John & Mary Smith",
...     "Mohit Gupta & Shubhangi Agarwal & Bartholomew Featherstonehaugh"]})
>>> frame.select(name_lines(pl.col("n"))).to_dicts()[1]
{'NameLine1': 'Mohit Gupta & Shubhangi Agarwal', 'NameLine2': '& Bartholomew Featherstonehaugh'}
"""

from __future__ import annotations

import polars as pl

LINE = 40  # Lob's name and company fields, and the common label width


def name_lines(name: pl.Expr, width: int = LINE) -> list[pl.Expr]:
    """`NameLine1` and `NameLine2` (null when the name fits on one line)."""
    text = name.str.strip_chars()
    long = text.str.len_chars() > width
    co_owner = text.str.extract_groups(rf"^(.{{1,{width}}}) (& .+)$")
    word = text.str.extract_groups(rf"^(.{{1,{width}}}) (.+)$")
    first = (
        pl.when(~long)
        .then(text)
        .when(co_owner.struct.field("1").is_not_null())
        .then(co_owner.struct.field("1"))
        .when(word.struct.field("1").is_not_null())
        .then(word.struct.field("1"))
        .otherwise(text)
    )
    second = (
        pl.when(~long)
        .then(pl.lit(None, pl.String))
        .when(co_owner.struct.field("2").is_not_null())
        .then(co_owner.struct.field("2"))
        .otherwise(word.struct.field("2"))
    )
    return [first.alias("NameLine1"), second.alias("NameLine2")]
