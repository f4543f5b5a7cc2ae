"""`propmail selftest`: the load semantics proven on the operator's own server.

`scenario.py` holds the months the differential tests load too, `canonical.py` the table dumps
that compare two databases, `scratch.py` the scratch schema or database each run creates and
drops, `faults.py` the failure injected in the middle of a load, and `check.py` the run and its
properties.
"""

from __future__ import annotations

from propmail.selftest.check import PROPERTIES, Outcome, Report, run_selftest

__all__ = ["PROPERTIES", "Outcome", "Report", "run_selftest"]
