"""propmail: monthly property-data uploads for real-estate direct mail.

The public names are the migration guide's; everything else may move. They are imported on
first use, so the pure modules (contract, rules, pipeline) load without the database layer.
"""

from __future__ import annotations

import os
from importlib import import_module
from typing import TYPE_CHECKING, Any

# Polars' allocator (jemalloc) keeps freed pages for seconds before it gives them back, and
# hardly reuses them for the frames made next: at 1M rows a load's peak held some 600 MB
# freed already. Given back at once, the peak is what the frames hold (1.46 GB, not 2.1 GB);
# the cost is time, some 3 s of a 45 s load (pages faulted in again). Read when polars first
# allocates, so only before it is imported; a setting of the environment's own wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")

if TYPE_CHECKING:
    from propmail.api import DatabaseIntegrator, ListPriorityManager, PropertyProcessor

__version__ = "0.1.0"
__all__ = ["DatabaseIntegrator", "ListPriorityManager", "PropertyProcessor", "__version__"]


def __getattr__(name: str) -> Any:
    if name in ("DatabaseIntegrator", "ListPriorityManager", "PropertyProcessor"):
        return getattr(import_module("propmail.api"), name)
    raise AttributeError(f"module 'propmail' has no attribute {name!r}")
