"""The command line, stopped by a signal at a named stage of its progress.

    python -m tests.stop_runner STAGE SIGNAL HOW -- PROPMAIL ARGS...

When the stage STAGE begins (its name, or its name and a parenthesis: "load committed" is
"load committed (UploadLogId 1)"), the process sends itself SIGNAL (INT, TERM,
KILL). HOW `direct`: as it comes; `driver`: inside a call that answers the signal with an error
of its own, as a C extension does (ADBC answers Ctrl-C during its staging with
``NOT_IMPLEMENTED``).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

from propmail import cli
from propmail import progress as progress_module
from propmail.progress import Step


def main(stage: str, signame: str, how: str, args: list[str]) -> None:
    signum = getattr(signal, f"SIG{signame}")
    original = progress_module.progress  # the command imports it when it runs

    def send() -> None:
        if how == "direct":
            os.kill(os.getpid(), signum)
            return
        try:
            os.kill(os.getpid(), signum)
        except KeyboardInterrupt:
            raise RuntimeError("NOT_IMPLEMENTED") from None

    @contextmanager
    def signalling(console: Console) -> Iterator[Step]:
        with original(console) as step:

            def hooked(name: str) -> None:
                step(name)
                if name == stage or name.startswith(f"{stage} ("):
                    send()

            yield hooked

    progress_module.progress = signalling  # type: ignore[assignment]
    cli.main(args, prog_name="propmail")


if __name__ == "__main__":
    stage_, signame_, how_, dashes, *rest = sys.argv[1:]
    assert dashes == "--"
    main(stage_, signame_, how_, rest)
