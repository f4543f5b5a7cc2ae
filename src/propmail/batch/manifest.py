"""The batch manifest: which uploads to load into which regions, paths relative to the file.

::

    month = "2026-11"                 # optional: the month the uploads are of (YYYY-MM)
    max_concurrent_loads = 4          # optional: loads this batch runs at once
    max_attempts = 3                  # optional: tries of a job that crashed

    [[job]]
    region = 40
    upload = "uploads/roanoke.xlsx"
    niche = ["Liens=niche/liens.csv"] # optional, as --niche
    rules = "rules.toml"              # optional, as --rules; mapping likewise

    [[job]]                           # the glob form: one job per matching file
    upload = "uploads/*/region-{region}.xlsx"
    niche = ["Probate=niche/probate-{region}.csv"]

Every bad key is reported at once (`propmail.validation`). A job's key in the ledger is its
region and its upload's path as the manifest writes it, after the month when there is one: the
same relative path in the manifests of two months is two jobs.

>>> from pathlib import Path
>>> m = parse_manifest({"job": [{"region": 7, "upload": "a.csv"}]}, Path("/m/batch.toml"))
>>> m.jobs[0].key, m.jobs[0].upload
('7:a.csv', PosixPath('/m/a.csv'))
>>> m.jobs[0].of_month("2026-11").key
'2026-11:7:a.csv'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from propmail.errors import PropmailError, SettingsError
from propmail.inputs import parse_niche_spec
from propmail.validation import Problems, Table, read_toml

JOB_KEYS = ("region", "upload", "niche", "rules", "mapping")
TOP_KEYS = ("job", "month", "max_concurrent_loads", "max_attempts")
REGION = "{region}"
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])\Z")


def month_problem(month: str) -> str | None:
    """What is wrong with `month` as a month of uploads (YYYY-MM), or None."""
    return None if MONTH.match(month) else f"expected a month as YYYY-MM (2026-11), got {month!r}"


@dataclass(frozen=True)
class Job:
    """One load: an upload (and its niche lists) into one region."""

    key: str  # the ledger's key: [month:]region:the upload's path as the manifest wrote it
    region: int
    upload: Path
    niche: tuple[str, ...] = ()  # as --niche, paths resolved
    rules: Path | None = None
    mapping: Path | None = None
    month: str | None = None  # YYYY-MM

    def of_month(self, month: str) -> Job:
        """The job as a load of `month`: its key leads with the month."""
        if self.month is not None and self.month != month:
            raise SettingsError(f"job {self.key} is of month {self.month}, not {month}")
        key = self.key if self.month is not None else f"{month}:{self.key}"
        return replace(self, key=key, month=month)


@dataclass(frozen=True)
class Manifest:
    source: Path
    jobs: tuple[Job, ...]
    max_concurrent_loads: int = 4
    max_attempts: int = 3


def load_manifest(path: str | Path) -> Manifest:
    """The manifest at `path`; raises SettingsError naming every bad key."""
    path = Path(path)
    return parse_manifest(read_toml(path, "manifest"), path)


def parse_manifest(data: dict[str, Any], source: Path) -> Manifest:
    problems = Problems(str(source))
    top = Table(data, "", problems)
    top.only(TOP_KEYS)
    limit = _positive(top, "max_concurrent_loads", 4)
    attempts = _positive(top, "max_attempts", 3)
    month = top.get("month", str, None)
    problem = month_problem(month) if month is not None else None
    if problem:
        top.fail("month", problem)
        month = None
    jobs: list[Job] = []
    for table in top.tables("job"):
        jobs.extend(j.of_month(month) if month else j for j in _jobs(table, source.parent))
    if not jobs and top.ok("job"):
        top.fail("job", "no job: add [[job]] tables with region and upload")
    _no_duplicates(jobs, top)
    problems.check()
    return Manifest(source, tuple(jobs), limit, attempts)


def _positive(table: Table, key: str, default: int) -> int:
    value = table.get(key, int, default)
    if value is not None and value < 1:
        table.fail(key, "must be 1 or more")
    return value or default


def _jobs(table: Table, base: Path) -> list[Job]:
    table.only(JOB_KEYS)
    upload = table.get("upload", str)
    niche = table.get("niche", list, [])
    bad = [(i, s) for i, s in enumerate(niche or []) if not isinstance(s, str) or not s.strip()]
    for i, spec in bad:
        table.fail(f"niche[{i}]", f"expected a non-empty string, got {spec!r}")
    rules, mapping = (table.get(k, str, None) for k in ("rules", "mapping"))
    if upload is None or niche is None or bad:
        return []
    if REGION in upload:
        if "region" in table.data:
            table.fail("region", f"a glob upload takes the region from {REGION}; drop region")
            return []
        regions = _glob(upload, base, table)
    else:
        region = table.get("region", int)
        if region is None:
            return []
        regions = {region: base / upload}
    jobs = []
    for region, path in sorted(regions.items()):
        specs = [s.replace(REGION, str(region)) for s in niche or []]
        try:
            resolved = tuple(_niche(spec, base) for spec in specs)
        except PropmailError as exc:
            table.fail("niche", str(exc))
            return []
        key = f"{region}:{path.relative_to(base) if path.is_relative_to(base) else path}"
        jobs.append(
            Job(
                key=key,
                region=region,
                upload=path,
                niche=resolved,
                rules=base / rules if rules else None,
                mapping=base / mapping if mapping else None,
            )
        )
    return jobs


def _glob(pattern: str, base: Path, table: Table) -> dict[int, Path]:
    """Each file matching `pattern` ({region} as a wildcard) by the region its name gives."""
    head, _, tail = pattern.partition(REGION)
    if REGION in tail:
        table.fail("upload", f"{REGION} may appear once")
        return {}
    matcher = re.compile(_glob_regex(head) + r"(\d+)" + _glob_regex(tail) + r"\Z")
    found: dict[int, Path] = {}
    # `*` and `?` are the wildcards the manifest documents; `[` is a character of the name
    for path in sorted(base.glob(pattern.replace("[", "[[]").replace(REGION, "*"))):
        match = matcher.match(path.relative_to(base).as_posix())
        if match:
            found[int(match.group(1))] = path
    if not found:
        table.fail("upload", f"no file matches {pattern!r} (relative to {base})")
    return found


def _glob_regex(part: str) -> str:
    return "".join("[^/]*" if ch == "*" else "[^/]" if ch == "?" else re.escape(ch) for ch in part)


def _niche(spec: str, base: Path) -> str:
    kind, path = parse_niche_spec(spec)
    return f"{kind}={base / path}"


def _no_duplicates(jobs: list[Job], top: Table) -> None:
    seen: set[str] = set()
    for job in jobs:
        if job.key in seen:
            top.fail("job", f"job {job.key} is listed twice")
        seen.add(job.key)


__all__ = ["Job", "Manifest", "load_manifest", "parse_manifest"]
