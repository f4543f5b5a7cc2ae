"""The settings a database load takes: the update window, the new list codes' defaults and the
load journal, and the base list codes `propmail db init` creates.

A small value built by the caller from the rules file's settings (`propmail.job.load_options`),
so that no database module reads the rules file's types.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NewListDefaults:
    """What a list code created by a load (or by `db init`) gets, and its frequency rows."""

    priority_level: int
    processing_order: int
    is_absentee: int
    frequency: int
    divided_by: int


@dataclass(frozen=True)
class BaseCode:
    """A list code `propmail db init` creates: a base priority code."""

    code: str
    is_absentee: int


@dataclass(frozen=True)
class LoadOptions:
    """What a load, a dry run and `db init` need of the settings.

    >>> options = LoadOptions(6, NewListDefaults(1, 1, 0, 1, 1))
    >>> options.journal, options.keep_loads_per_region
    (True, 3)
    """

    update_window_months: int  # a location last written before it is frozen
    new_list: NewListDefaults
    journal: bool = True  # journal what a load writes, for `propmail undo`
    keep_loads_per_region: int = 3  # the journals kept, newest first
    base_codes: tuple[BaseCode, ...] = ()
