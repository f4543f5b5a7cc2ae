"""`propmail split` in a process of its own, under a lower limit of open files:
python -m tests.batch.split_runner SOFT_LIMIT CHUNK_ROWS BLOCK_BYTES RESERVED_FILES SPLIT_ARGS..."""

from __future__ import annotations

import resource
import sys

from propmail.batch import split
from propmail.cli import main

if __name__ == "__main__":
    soft, rows, block, reserved, *args = sys.argv[1:]
    resource.setrlimit(
        resource.RLIMIT_NOFILE, (int(soft), resource.getrlimit(resource.RLIMIT_NOFILE)[1])
    )
    split.CHUNK_ROWS, split.BLOCK_BYTES, split.RESERVED_FILES = int(rows), int(block), int(reserved)
    main(["split", *args])
