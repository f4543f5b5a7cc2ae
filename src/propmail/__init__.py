"""propmail: monthly property-data uploads for real-estate direct mail."""

from __future__ import annotations

__version__ = "0.1.0"
