"""What a column's values say it holds: the share of a sample that looks like its kind.

A header's words propose a meaning (`propmail.read.meaning`); the values confirm it. Each check
reads a sample of the column (`sample`: a systematic one, at most `SAMPLE` rows) and gives the
share of its non-empty values that look like ZIP codes, state codes, street lines,
``CITY, ST ZIP`` lines, names, or ids unique per row.

>>> share("zip", pl.Series(["27609", "2134", "27609-6317", None, "RALEIGH"]))
0.75
>>> share("street", pl.Series(["1 MAIN ST", "PO BOX 12", "SIMPLIFILE LC E-RECORDING"]))
0.667
>>> share("csz", pl.Series(["JERSEY CITY, N.J.  07307", "PALM HARBOR, FLORIDA  34685"]))
1.0
"""

from __future__ import annotations

import polars as pl

SAMPLE = 2000  # rows read to confirm a meaning: the cost does not grow with the file

_STATES = [
    "AL",
    "AK",
    "AZ",
    "AR",
    "CA",
    "CO",
    "CT",
    "DE",
    "DC",
    "FL",
    "GA",
    "HI",
    "ID",
    "IL",
    "IN",
    "IA",
    "KS",
    "KY",
    "LA",
    "ME",
    "MD",
    "MA",
    "MI",
    "MN",
    "MS",
    "MO",
    "MT",
    "NE",
    "NV",
    "NH",
    "NJ",
    "NM",
    "NY",
    "NC",
    "ND",
    "OH",
    "OK",
    "OR",
    "PA",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VT",
    "VA",
    "WA",
    "WV",
    "WI",
    "WY",
    "PR",
    "VI",
    "GU",
    "AS",
    "MP",
    "AA",
    "AE",
    "AP",
]
# what a value of each kind looks like (upper-cased, spaces squeezed)
PATTERNS = {
    "zip": r"^[0-9]{3,5}(?:-?[0-9]{4})?$",
    "zip4": r"^[0-9]{4}$",
    "state": rf"^(?:{'|'.join(_STATES)}|[A-Z]\.[A-Z]\.?|[A-Z]{{4,}}(?: [A-Z]+)?)$",
    "street": r"^(?:[0-9]+[A-Z]?(?:[-/ ][0-9A-Z/]+)?\s+\S|P\.?\s?O\.?\s*BOX|BOX\s|RR\s|HC\s)",
    "city": r"^[A-Z][A-Z .'-]*[A-Z.]$",
    "csz": r"(?:\b[A-Z][A-Z. ]*[A-Z.]\s+[0-9]{4,5}(?:-?[0-9]{4})?|\b[A-Z]{2})$",
    "name": r"[A-Z]{2}",
    "unit": r"^[#A-Z0-9 -]{1,8}$",
}
WHAT = {
    "zip": "ZIP codes",
    "zip4": "ZIP+4 codes",
    "state": "state codes",
    "street": "street lines",
    "city": "city names",
    "csz": "CITY, ST ZIP lines",
    "name": "names",
    "unit": "units",
    "id": "ids unique per row",
}


def sample(frame: pl.DataFrame) -> pl.DataFrame:
    """Every k-th row, at most `SAMPLE` of them, all cells as trimmed text (blank -> null)."""
    step = max(1, frame.height // SAMPLE)
    rows = frame.gather_every(step).head(SAMPLE)
    return rows.select(
        pl.when(pl.col(c).cast(pl.String).str.strip_chars().str.len_bytes() > 0)
        .then(pl.col(c).cast(pl.String).str.strip_chars())
        .alias(c)
        for c in rows.columns
    )


def share(check: str, values: pl.Series) -> float:
    """The share of the non-empty `values` that look like `check` (0 when none is filled)."""
    filled = values.drop_nulls()
    if filled.len() == 0:
        return 0.0
    if check == "id":
        return round(filled.n_unique() / filled.len(), 3)
    text = filled.str.to_uppercase().str.replace_all(r"\s+", " ")
    if check == "city":  # a city is not a ZIP, nor a two-letter state code alone
        looks = text.str.contains(PATTERNS["city"]) & ~text.str.contains(r"^[A-Z]{2}$")
    else:
        looks = text.str.contains(PATTERNS[check])
    return round(float(looks.sum()) / filled.len(), 3)


def filled_share(values: pl.Series) -> float:
    """The share of the sample's rows with a value."""
    return 0.0 if values.len() == 0 else round(1 - values.null_count() / values.len(), 3)


def same_ids(a: pl.Series, b: pl.Series) -> bool:
    """Whether two columns hold the same values but for punctuation and spaces
    (``12345678`` and ``123-45-678``), on every sampled row where either has one."""

    def key(s: pl.Series) -> pl.Series:
        return s.str.to_uppercase().str.replace_all(r"[^0-9A-Z]", "")

    both = pl.DataFrame({"a": key(a), "b": key(b)}).filter(
        pl.col("a").is_not_null() | pl.col("b").is_not_null()
    )
    return both.height > 0 and bool((both["a"] == both["b"]).fill_null(False).all())
