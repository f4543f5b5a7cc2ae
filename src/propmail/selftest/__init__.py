"""`propmail selftest`: the load semantics proven on the operator's own server.

`scenario.py` holds the months the differential tests load too, `canonical.py` the table dumps
that compare two databases, and `check.py` the run and its properties. The scratch schema or
database each run creates and drops, and the failure injected in the middle of a load, are the
backend's own (`scratch.py` in its folder under `propmail.db`).
"""

from __future__ import annotations

from propmail.selftest.check import PROPERTIES, Outcome, Report, run_selftest

__all__ = ["PROPERTIES", "Outcome", "Report", "run_selftest"]
