"""placeholder"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def reasons_for(processed: Any, rules: Any) -> Callable[[str, str], str]:
    return lambda parcel, column: ""
