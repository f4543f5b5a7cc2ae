"""A load that stops at a stage and waits to be killed: python -m tests.db.stall URL UPLOAD STAGE.

Prints "stalled" once the load reaches STAGE (the region lock held, its UploadLog row written).
"""

from __future__ import annotations

import sys
import time

from propmail.inputs import Inputs
from propmail.job import run_job
from tests.db.helpers import MONTH1


def _stall_at(stage: str):  # type: ignore[no-untyped-def]
    def step(name: str) -> None:
        if name == stage:
            print("stalled", flush=True)
            time.sleep(600)

    return step


if __name__ == "__main__":
    url, upload, stage = sys.argv[1:4]
    run_job(Inputs.gather(upload), 40, db_url=url, now=MONTH1, step=_stall_at(stage))
