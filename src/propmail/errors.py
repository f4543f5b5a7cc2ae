"""The exception tree: one base, input errors that keep their evidence, load errors."""

from __future__ import annotations


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
