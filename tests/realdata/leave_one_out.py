"""Leave one jurisdiction out: each extract's figures under the rules fitted without it.

The rules are written by hand, so "fitted without a file" is made concrete by the record of why
each rule change was made: `changes.toml` beside this module lists every commit that changed the
owner rules after the labelled extracts were first measured, with the extract(s) whose labelled
misses motivated it (none when it came from a written convention alone). For an extract F, the
rules fitted without F are this repository's rules with the commits motivated by F *alone*
reverted: a change that other extracts also called for stays, since the rules would have it
without F. They are built in a scratch git worktree (`git revert --no-commit`, newest first) and
measured by this repository's evaluator with that worktree's package first on the path, on F only.

    python -m tests.realdata.evaluate --leave-one-out --sample holdout

A set of commits that does not revert cleanly in the package (`src/`) is reported as such, never
silently skipped; a conflict only in a document keeps that document as it is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from tests.realdata.evaluate import ALL, Score, _ratio
from tests.realdata.extracts import EXTRACTS, REPO

CHANGES = Path(__file__).with_name("changes.toml")
T = TypeVar("T")


@dataclass(frozen=True)
class Change:
    commit: str
    motivated_by: tuple[str, ...]  # extract file names; empty: a written convention alone
    what: str
    reading: bool = False  # a change of how a file is read (measured by whole_rows)


def changes(path: Path = CHANGES) -> list[Change]:
    """The rule changes in the order they were made."""
    with path.open("rb") as handle:
        entries = tomllib.load(handle).get("change", [])
    return [
        Change(e["commit"], tuple(e["motivated_by"]), e["what"], bool(e.get("reading", False)))
        for e in entries
    ]


def motivated_only_by(extract: str, ledger: list[Change]) -> list[Change]:
    """The changes whose only motivating extract is `extract`, newest first.

    >>> ledger = [Change("a1", ("x.csv",), ""), Change("b2", ("x.csv", "y.csv"), ""),
    ...           Change("c3", (), ""), Change("d4", ("x.csv",), "")]
    >>> [c.commit for c in motivated_only_by("x.csv", ledger)]
    ['d4', 'a1']
    """
    return [c for c in reversed(ledger) if c.motivated_by == (extract,)]


def in_reverted_tree(reverted: list[Change], measure: Callable[[Path], T]) -> T | str:
    """`measure` run on the `src` of a scratch worktree of HEAD with `reverted` undone (newest
    first), or why they could not be undone."""
    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch) / "tree"
        added = _git("worktree", "add", "--detach", str(tree), "HEAD")
        if added.returncode:
            return f"no scratch worktree: {added.stderr.strip()}"
        try:
            for change in reverted:
                undone = _git("revert", "--no-commit", change.commit, cwd=tree)
                if undone.returncode and not _only_outside_src(tree):
                    why = (undone.stderr.strip().splitlines() or ["?"])[0]
                    return f"{change.commit[:10]} does not revert cleanly ({why})"
            return measure(tree / "src")
        finally:
            _git("worktree", "remove", "--force", str(tree))


def _git(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


def _scores(src: Path | None, sample: str, extract: str) -> list[Score]:
    """This repository's evaluator on one extract, with the package of `src` first on the path."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), env.get("PYTHONPATH", "")])
    command = [sys.executable, "-m", "tests.realdata.evaluate", "--json"]
    command += ["--sample", sample, "--file", extract]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=True)
    scores = [Score(**json.loads(line)) for line in done.stdout.splitlines() if line.strip()]
    return [s for s in scores if s.extract != ALL]


def _only_outside_src(tree: Path) -> bool:
    """Whether a revert's conflicts are all outside the package (a doc's neighbouring lines):
    then those files keep HEAD's text and the revert goes on; else it does not revert."""
    conflicted = _git("diff", "--name-only", "--diff-filter=U", cwd=tree).stdout.split()
    if not conflicted or any(p.startswith("src/") for p in conflicted):
        return False
    _git("checkout", "HEAD", "--", *conflicted, cwd=tree)
    return _git("add", "--", *conflicted, cwd=tree).returncode == 0


def without(extract: str, sample: str, reverted: list[Change]) -> list[Score] | str:
    """The extract's scores with `reverted` undone, or why they could not be undone."""
    return in_reverted_tree(reverted, lambda src: _scores(src, sample, extract))


def report(sample: str = "holdout", only: str = "") -> str:
    """A table per extract and rule: the figures now, and with its own changes reverted."""
    ledger = changes()
    lines = [
        f"Leave one out, {sample} sample ({len(ledger)} recorded rule changes)",
        "",
        "| extract | rule | rows | all changes | without its own | its own changes |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for extract in EXTRACTS:
        if only not in extract.file:
            continue
        now = _scores(None, sample, extract.file)
        own = motivated_only_by(extract.file, ledger)
        loo = without(extract.file, sample, own) if own else now
        if isinstance(loo, str):
            lines.append(f"| {extract.file.removesuffix('.csv')} | (all) | | | {loo} | |")
            continue
        loo_by_rule = {s.rule: s for s in loo}
        commits = ", ".join(c.commit[:10] for c in own) or "none"
        for s in now:
            before = loo_by_rule.get(s.rule)
            lines.append(
                f"| {extract.file.removesuffix('.csv')} | {s.rule} | {s.n} | "
                f"{_score(s)} | {_score(before)} | {commits} |"
            )
    return "\n".join(lines)


def _score(s: Score | None) -> str:
    if s is None:
        return ""
    flags = (
        f" ({_ratio(s.precision) or '–'} / {_ratio(s.recall) or '–'})" if s.tp + s.fp + s.fn else ""
    )
    return f"{s.accuracy:.3f}{flags}"
