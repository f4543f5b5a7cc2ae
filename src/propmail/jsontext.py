"""JSON text every parser reads: a float that is not finite is written as null.

Python's `json.dumps` writes NaN and infinities as `NaN` and `Infinity`, which are not JSON;
a strict parser (and most languages') refuses the whole document. Every JSON propmail writes
(`--json`, report.json, parity.json, changes.json, bench.json) goes through `dumps`.

>>> dumps({"acres": float("inf"), "rows": [1.5, float("nan")]})
'{"acres": null, "rows": [1.5, null]}'
"""

from __future__ import annotations

import json
import math
from typing import Any


def dumps(value: Any, **options: Any) -> str:
    """`json.dumps` of `value` with every non-finite float as null; `options` as json takes."""
    return json.dumps(finite(value), allow_nan=False, **options)


def finite(value: Any) -> Any:
    """`value` with every float that is NaN or infinite, however deep, replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value
