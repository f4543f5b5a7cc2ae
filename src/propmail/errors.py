"""The exception tree: one base, input errors that keep their evidence, load errors; and the
stops (Ctrl-C, SIGTERM), each with the sentence and exit status that tell what it left."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class PropmailError(Exception):
    """Base of every error propmail raises on purpose."""


class InputError(PropmailError):
    """Bad input: a file, a row, a column. The command line exits with status 2."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        option: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        self.option = option  # a command-line option, e.g. --region
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.option:
            where.append(f"option {self.option}")
        if self.file:
            where.append(f"file {self.file}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class SettingsError(InputError):
    """A rules or mapping file with a bad key or value; the key path is in the message."""


class LoadError(PropmailError):
    """The database load failed; it was rolled back and UploadLog says state 4."""


class DatabaseUnavailable(LoadError):
    """The database cannot be reached or used: nothing was done, no UploadLog row exists."""


INTERRUPTED = "interrupted by the operator; nothing was written"
# A load whose process died (killed, the machine lost) rolled back without recording it; the
# next load of its region, or the batch that reruns it, records this in its stead.
ABANDONED = (
    "interrupted: the process loading it ended before the load finished; nothing was written"
)


# exit statuses of a stop: the shell's 128 + the signal's number
STOP_STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}


class Interrupted(KeyboardInterrupt):
    """A stop the operator (Ctrl-C) or the system (SIGTERM) asked for, with the sentence that
    says what it left and the exit status of its signal. Handled wherever Ctrl-C is."""

    def __init__(self, message: str = INTERRUPTED, signum: int = signal.SIGINT) -> None:
        super().__init__(message)
        self.message, self.signum = message, signum


_received: list[Interrupted] = []  # the stops signalled in this process


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    stop = Interrupted(signum=signum)
    _received.append(stop)
    raise stop


def handle_stops() -> None:
    """SIGINT and SIGTERM raise `Interrupted` from now on, and are remembered: an error a C
    extension raises in the signal's stead (ADBC answers one with its own) is still the stop."""
    _received.clear()
    for signum in STOP_STATUS:
        signal.signal(signum, _on_signal)


def as_stop(exc: BaseException) -> BaseException:
    """The stop `exc` stands for: `exc` itself if it is one, the signal received if one came
    while it was raised, else `exc`.

    >>> as_stop(ValueError("NOT_IMPLEMENTED")).__class__.__name__
    'ValueError'
    """
    if isinstance(exc, KeyboardInterrupt) or not _received:
        return exc
    return _received[-1]


def stop_message(exc: KeyboardInterrupt) -> str:
    return exc.message if isinstance(exc, Interrupted) else INTERRUPTED


def stop_status(exc: KeyboardInterrupt) -> int:
    return STOP_STATUS.get(getattr(exc, "signum", signal.SIGINT), 130)


@contextmanager
def committed(log_id: int) -> Iterator[None]:
    """After load `log_id` committed: a stop says the load stands (not "nothing was written")."""
    try:
        yield
    except KeyboardInterrupt as exc:
        raise Interrupted(
            f"interrupted by the operator after the load was committed (UploadLogId {log_id}, "
            "UploadLog state 3): the load stands; its summary and report were not written",
            getattr(exc, "signum", signal.SIGINT),
        ) from None


def failure_message(exc: BaseException) -> str:
    """What UploadLog.ErrorMessage records for a load that `exc` stopped.

    >>> failure_message(KeyboardInterrupt())
    'interrupted by the operator; nothing was written'
    >>> failure_message(ValueError("bad"))
    'ValueError: bad'
    """
    if isinstance(exc, KeyboardInterrupt):
        return INTERRUPTED
    return f"{type(exc).__name__}: {exc}"
