"""A batch worker whose load of region DOOMED ends its process half-way, as the kernel's
out-of-memory killer or a crash in a native library would: `run_batch(..., work=run_one_or_die)`."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from propmail.batch import run
from propmail.batch.manifest import Job

DOOMED = 13


def run_one_or_die(job: Job, content: str, url: str, now: datetime | None = None) -> run.Outcome:
    if job.region == DOOMED:
        load = run.run_job

        def load_and_die(*args: Any, on_upload_log: Any, **kwargs: Any) -> Any:
            def opened(log_id: int) -> None:
                on_upload_log(log_id)
                os._exit(70)  # the load has its UploadLog row; the worker ends, nothing cleaned

            return load(*args, on_upload_log=opened, **kwargs)

        run.run_job = load_and_die  # in this worker only, which the job ends
    return run.run_one(job, content, url, now)
