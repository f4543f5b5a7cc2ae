"""The `propmail` command and `python -m propmail`: `propmail --version` is answered here,
before click and rich are imported; every other command line goes to `propmail.cli`."""

from __future__ import annotations

import sys

from propmail import __version__

VERSION = f"propmail, version {__version__}"  # click's own words for `--version`


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        print(VERSION)
        return
    from propmail.cli import main as command_line

    command_line()


if __name__ == "__main__":
    main()
