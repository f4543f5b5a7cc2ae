"""propmail: monthly property-data uploads for real-estate direct mail.

The public names are the migration guide's; everything else may move.
"""

from __future__ import annotations

from propmail.api import DatabaseIntegrator, ListPriorityManager, PropertyProcessor

__version__ = "0.1.0"
__all__ = ["DatabaseIntegrator", "ListPriorityManager", "PropertyProcessor", "__version__"]
