"""A batch of three workers in a process of its own, to be killed:
python -m tests.batch.runner MANIFEST URL."""

from __future__ import annotations

import sys

from propmail.batch.manifest import load_manifest
from propmail.batch.run import run_batch
from tests.db.helpers import MONTH1

if __name__ == "__main__":
    run_batch(load_manifest(sys.argv[1]), sys.argv[2], jobs=3, now=MONTH1)
