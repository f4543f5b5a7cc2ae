"""Address lines read by what each one is, and the delivery line composed of several.

A mailing address given in several line columns puts its parts wherever the file's layout
does: a care-of line above the street (``%LYME PROPERTIES`` / ``PO BOX 310``), a unit above or
below it (``#506`` / ``1080 N DELAWARE AVE``, ``4 MEADOWBROOK VILLAGE`` / ``APT 24``), the
owner's name or an office repeated on a line of its own. Each line is read by its value, never
by its header:

- a care-of or attention line: it begins ``%``, ``C/O``, ``ATTN`` or ``ATTENTION``;
- a unit alone: designators and ids only (``APT 24``, ``UNIT #6B``, ``STE 1 #271``, ``#506``),
  or a bare id of a few characters with a digit (``707``);
- a PO box (``PO BOX 310``, ``BOX 248``) or a rural route (``RR 2 BOX 5``);
- a street line: a house number, then a word, not ending in a legal form
  (``6808 RIDGE HOLDINGS LLC`` names a company);
- anything else (a name, an office, a title).

The delivery line is the last street line or PO box (the one nearest the city, as USPS reads a
block), with the first unit line added where it does not already end it; where no line is
either, the caller's fallback. The care-of line is the first care-of line.

>>> frame = pl.DataFrame({"a": ["#506", "%LYME PROPERTIES", "4 MEADOWBROOK VILLAGE", "JOHN DOE"],
...     "b": ["1080 N DELAWARE AVE", "PO BOX 310", "APT 24", None]})
>>> parts = delivery([pl.col("a"), pl.col("b")])
>>> frame.select(**parts).rows()  # doctest: +NORMALIZE_WHITESPACE
[('1080 N DELAWARE AVE # 506', None), ('PO BOX 310', '%LYME PROPERTIES'),
 ('4 MEADOWBROOK VILLAGE APT 24', None), (None, None)]
"""

from __future__ import annotations

import polars as pl

from propmail.rules.address import UNIT_DESIGNATOR
from propmail.rules.names.clean import LEGAL_END

CARE_OF = r"^(?:%|C/O\b|C\\O\b|ATTN\b|ATTENTION\b|IN CARE OF\b)"
_ID = r"#?\s*[A-Z0-9][A-Z0-9/.-]*"
# the designators that take an id, with a building's and a floor's (BUILDING 1 STE 4)
_DESIGNATOR = rf"(?:{UNIT_DESIGNATOR}|BUILDING|BLDG|FLOOR|FL)"
# designator (or #) and id, then more of them, ids with a digit, or a letter or two
_UNIT = (
    rf"^(?:{_DESIGNATOR}\.?\s*{_ID}|#\s*[A-Z0-9][A-Z0-9/.-]*)"
    rf"(?:\s+(?:{_DESIGNATOR}\.?\s*{_ID}|#\s*[A-Z0-9-]+|[A-Z]{{0,2}}[0-9][A-Z0-9-]*|[A-Z]{{1,2}}))*$"
)
_BARE_UNIT = r"^[A-Z]{0,2}[0-9][0-9A-Z-]{0,5}$"
_BOX = r"^(?:(?:P\.? ?O\.?|POST OFFICE) ?)?(?:BOX|BX)\s*#?\s*[0-9A-Z]|^(?:RR|R R|HC)\s*#?\s*[0-9]"
_STREET = r"^[0-9]+[A-Z]?(?:\s*[-/]\s*[0-9]+[A-Z]?)?(?:\s+1/2)?\s+[A-Z0-9]"


def _upper(line: pl.Expr) -> pl.Expr:
    text = line.cast(pl.String).str.to_uppercase().str.replace_all(r"\s+", " ").str.strip_chars()
    return pl.when(text.str.len_bytes() > 0).then(text)


def kinds(line: pl.Expr) -> dict[str, pl.Expr]:
    """What a line is: booleans ``care_of``, ``unit``, ``box``, ``street`` (all false on a
    blank line or on anything else)."""
    text = _upper(line)
    care_of = text.str.contains(CARE_OF)
    unit = ~care_of & (text.str.contains(_UNIT) | text.str.contains(_BARE_UNIT))
    box = ~care_of & text.str.contains(_BOX)
    street = ~care_of & ~unit & ~box & text.str.contains(_STREET) & ~text.str.contains(LEGAL_END)
    return {k: v.fill_null(False) for k, v in
            {"care_of": care_of, "unit": unit, "box": box, "street": street}.items()}  # fmt: skip


def _shown_unit(unit: pl.Expr) -> pl.Expr:
    """A unit line as it is added: a bare id or ``#id`` written ``# id`` (Publication 28)."""
    bare = unit.str.strip_chars().str.replace(r"^#\s*", "")
    return pl.when(unit.str.contains(r"^#|" + _BARE_UNIT)).then(pl.lit("# ") + bare).otherwise(unit)


def _key(expr: pl.Expr) -> pl.Expr:
    return expr.str.to_uppercase().str.replace_all(r"[^0-9A-Z]", "")


def delivery(lines: list[pl.Expr], fallback: pl.Expr | None = None) -> dict[str, pl.Expr]:
    """The lines of one mailing address (in the file's order) -> ``street``, the delivery line,
    and ``care_of``, the first care-of line (module doc)."""
    read = [(_trimmed(line), kinds(line)) for line in lines]
    last = pl.coalesce(
        *(pl.when(k["street"] | k["box"]).then(t) for t, k in reversed(read)),
        pl.lit(None, pl.String),
    )
    unit = pl.coalesce(*(pl.when(k["unit"]).then(t) for t, k in read), pl.lit(None, pl.String))
    ends_with_it = _key(last).str.ends_with(_key(unit)).fill_null(True)
    with_unit = (
        pl.when(unit.is_not_null() & ~ends_with_it & ~_ends_box(last))
        .then(pl.concat_str([last, _shown_unit(unit)], separator=" "))
        .otherwise(last)
    )
    street = with_unit if fallback is None else pl.coalesce(with_unit, fallback)
    care_of = pl.coalesce(
        *(pl.when(k["care_of"]).then(t) for t, k in read), pl.lit(None, pl.String)
    )
    return {"street": street, "care_of": care_of}


def _ends_box(line: pl.Expr) -> pl.Expr:
    return _upper(line).str.contains(_BOX).fill_null(False)


def _trimmed(line: pl.Expr) -> pl.Expr:
    text = line.cast(pl.String).str.strip_chars()
    return pl.when(text.str.len_bytes() > 0).then(text)


__all__ = ["CARE_OF", "delivery", "kinds"]
