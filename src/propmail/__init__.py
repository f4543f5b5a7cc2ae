"""propmail: monthly property-data uploads for real-estate direct mail.

The public names are the migration guide's; everything else may move. They are imported on
first use, so the pure modules (contract, rules, pipeline) load without the database layer.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from propmail.api import DatabaseIntegrator, ListPriorityManager, PropertyProcessor

__version__ = "0.1.0"
__all__ = ["DatabaseIntegrator", "ListPriorityManager", "PropertyProcessor", "__version__"]


def __getattr__(name: str) -> Any:
    if name in ("DatabaseIntegrator", "ListPriorityManager", "PropertyProcessor"):
        return getattr(import_module("propmail.api"), name)
    raise AttributeError(f"module 'propmail' has no attribute {name!r}")
