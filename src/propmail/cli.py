"""The command line: parses arguments, calls the job and a backend, prints.

Exit statuses are `EXIT_STATUSES`, printed by ``propmail --help``.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from propmail import __version__, redact
from propmail.bench import DEFAULT_PG_URL
from propmail.contract import INT_MAX
from propmail.db import DEFAULT_URL
from propmail.errors import (
    DatabaseUnavailable,
    InputError,
    LoadError,
    PropmailError,
    as_stop,
    committed,
    handle_stops,
    stop_message,
    stop_status,
)

if TYPE_CHECKING:
    from rich.console import Console

    from propmail.db import Database
    from propmail.job import JobResult

# Each command imports what it uses (polars, SQLAlchemy, pandas, pyarrow come with the job,
# the database and the readers): `propmail --version` and `--help` load none of them.

log = logging.getLogger("propmail")


class _Console:
    """A rich Console made on first use: `--help` and a usage error never import rich."""

    def __init__(self, stderr: bool = False) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def _real(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real(), name)

    # rich's live displays hold the console as a context (`with console:`); special methods
    # are looked up on the type, never through __getattr__
    def __enter__(self) -> Console:
        return self._real().__enter__()

    def __exit__(self, *exc: object) -> None:
        self._real().__exit__(*exc)


err = cast("Console", _Console(stderr=True))
out = cast("Console", _Console())


def escape(text: str) -> str:
    """`text` with rich's markup escaped (rich imported when the first line is written)."""
    from rich.markup import escape as markup_escape

    return markup_escape(text)


DB_HELP = f"SQLAlchemy URL; default $PROPMAIL_DB_URL, else {DEFAULT_URL}"

# RegionId and UploadLogId are INT columns: a value they cannot hold is bad input (exit 2)
REGION_ID = click.IntRange(min=0, max=INT_MAX)
UPLOAD_LOG_ID = click.IntRange(min=1, max=INT_MAX)

LOAD_FAILED, BAD_INPUT, REPORT_FAILED, NO_DATABASE, INTERRUPTED, TERMINATED = 1, 2, 3, 4, 130, 143
EXIT_STATUSES = {
    0: "done",
    LOAD_FAILED: "the load failed and was rolled back; UploadLog says state 4 "
    "(selftest: a property failed)",
    BAD_INPUT: "bad input or usage; nothing was done",
    REPORT_FAILED: "the load was committed (UploadLog state 3), or the dry run or parity ran, "
    "but the report could not be written",
    NO_DATABASE: "the database cannot be reached or used, or its driver is not installed; "
    "nothing was done, no UploadLog row",
    INTERRUPTED: "interrupted by the operator (Ctrl-C); a load under way was rolled back "
    "(UploadLog state 4), or, stopped after its commit, stands",
    TERMINATED: "stopped by SIGTERM, handled as Ctrl-C is",
}


def exit_status(exc: PropmailError) -> int:
    """4 when the database cannot be used, 1 when the load failed (and was rolled back),
    2 for bad input or settings."""
    if isinstance(exc, DatabaseUnavailable):
        return NO_DATABASE
    return LOAD_FAILED if isinstance(exc, LoadError) else BAD_INPUT


def _print_error(message: str) -> None:
    # the message may quote a hostile file's headers or a URL: never markup, never a password
    text = escape(redact.redact(message))
    err.print(f"[bold red]propmail: error:[/] {text}", highlight=False, markup=True, soft_wrap=True)


def _stopped(exc: BaseException) -> None:
    """Exit with the sentence and status of a stop (Ctrl-C, SIGTERM), if `exc` is one."""
    if isinstance(exc, KeyboardInterrupt):
        _print_error(stop_message(exc))
        sys.exit(stop_status(exc))


class _Main(click.Group):
    """The command group: every error of every command ends in one masked line, not a traceback.

    A propmail error exits with its `exit_status`, an unexpected one with 1.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt as exc:
            _stopped(exc)
        except PropmailError as exc:
            _stopped(as_stop(exc))
            _print_error(str(exc))
            sys.exit(exit_status(exc))
        except Exception as exc:
            _stopped(as_stop(exc))
            log.debug("unexpected error", exc_info=True)  # with -v; masked by the filter
            _print_error(f"unexpected {type(exc).__name__}: {exc} (run with -v for details)")
            sys.exit(1)


@contextmanager
def open_backend(db_url: str | None) -> Iterator[Database]:
    """The database of `db_url` (else $PROPMAIL_DB_URL), disposed of however the block ends."""
    from propmail.db import connect

    backend = connect(db_url)
    try:
        yield backend
    finally:
        backend.dispose()


def _region(value: str) -> tuple[int, str | None]:
    region, _, name = value.partition("=")
    try:
        region_id = int(region)
    except ValueError:
        raise click.BadParameter(f"{value!r}: expected ID or ID=NAME, e.g. 40=Roanoke") from None
    if not 0 <= region_id <= INT_MAX:
        raise click.BadParameter(f"{value!r}: a RegionId is from 0 to {INT_MAX}")
    return region_id, (name.strip() or None)


def _exit_status_help() -> str:
    lines = [f"  {status:>3}  {meaning}" for status, meaning in EXIT_STATUSES.items()]
    return "\b\nExit status:\n" + "\n".join(lines)


@click.group(
    cls=_Main,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=_exit_status_help(),
)
@click.version_option(__version__, "--version", prog_name="propmail")
@click.option("-v", "--verbose", is_flag=True, help="Log each stage.")
def main(verbose: bool) -> None:
    """propmail: monthly property-data uploads into the direct-mail database."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="propmail: %(message)s",
        stream=sys.stderr,
    )
    redact.install()  # every log line, ours or a library's, with passwords masked
    handle_stops()  # SIGTERM as Ctrl-C: the load rolled back, UploadLog closed, one sentence


@main.group()
def db() -> None:
    """Database set-up."""


@db.command("init")
@click.option("--db", "db_url", help=DB_HELP)
@click.option("--region", "regions", multiple=True, help="Region to create: ID or ID=NAME.")
@click.option("--rules", "rules_path", type=click.Path(), help="Rules file (base list codes).")
def db_init(db_url: str | None, regions: tuple[str, ...], rules_path: str | None) -> None:
    """Create the tables, the regions given and the base list codes."""
    from propmail.job import load_options
    from propmail.settings import load_rules

    wanted = dict(_region(r) for r in regions)
    rules = load_rules(rules_path)
    with open_backend(db_url) as backend:
        before = backend.regions()
        indexes = backend.missing_indexes()
        created = backend.init(wanted, load_options(rules))
        counts = backend.counts()
    out.print(f"database ready: {escape(backend.display_url)}")
    out.print(
        f"regions: {counts['Region']}, list codes: {counts['ListPriority']}"
        + (f" (created {', '.join(created)})" if created else "")
    )
    for index in indexes:
        out.print(
            f"index added to the existing table: {index} (undo deletes owners and list codes "
            "without a scan of Location per row)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    for line in region_changes(before, wanted):
        out.print(line, markup=False, highlight=False)


def region_changes(before: dict[int, str | None], wanted: dict[int, str | None]) -> list[str]:
    """One line per region `db init` created or renamed.

    >>> region_changes({40: "Roanoke"}, {40: "Salem", 41: None, 42: "Troy"})
    ['region 40: Roanoke -> Salem', 'region 41: created', 'region 42: created (Troy)']
    >>> region_changes({40: "Roanoke"}, {40: None})
    []
    """
    lines = []
    for region_id, name in wanted.items():
        if region_id not in before:
            lines.append(f"region {region_id}: created" + (f" ({name})" if name else ""))
        elif name and name != before[region_id]:
            lines.append(f"region {region_id}: {before[region_id] or '(no name)'} -> {name}")
    return lines


@db.command("test")
@click.option("--db", "db_url", help=DB_HELP)
def db_test(db_url: str | None) -> None:
    """Connect and report the server (on SQL Server: @@VERSION and an OPENJSON round trip)."""
    with open_backend(db_url) as backend:
        if not backend.exists():
            raise DatabaseUnavailable(
                f"{backend.where} does not exist (propmail db init creates it)"
            )
        info = backend.test_connection()
        installed = backend.has_schema()
    for key, value in info.items():
        out.print(f"{key}: {value}", highlight=False)
    out.print(f"propmail schema installed: {'yes' if installed else 'no (run propmail db init)'}")


F = TypeVar("F", bound=Callable[..., Any])


def upload_options(command: F) -> F:
    """The options that say how an upload is read and processed (process, parity, explain)."""
    for option in reversed(
        (
            click.option(
                "--niche",
                "niches",
                multiple=True,
                metavar="[TYPE=]PATH",
                help="Niche list (repeatable, applied in order); TYPE defaults to the file name.",
            ),
            click.option("--db", "db_url", help=DB_HELP),
            click.option(
                "--rules", "rules_path", type=click.Path(dir_okay=False), help="Rules file."
            ),
            click.option(
                "--mapping",
                "mapping_path",
                type=click.Path(dir_okay=False),
                help="Column-mapping file (TOML), or a shipped layout by name (canonical, "
                "list-provider, county); default: the layout the headers fit.",
            ),
            click.option(
                "--sheet",
                help="Workbook sheet: its name or number (default: the first a layout knows).",
            ),
        )
    ):
        command = option(command)
    return command


@main.command("process")
@click.argument("upload", type=click.Path(dir_okay=False))
@click.option("--region", "region_id", type=REGION_ID, required=True, help="RegionId to load into.")
@upload_options
@click.option(
    "--dry-run",
    is_flag=True,
    help="Run everything and compare with the database; write nothing (not even UploadLog).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Run in full even when the upload is identical to the region's last load (the same "
    "files and settings the same day, no load or undo since), which is otherwise not run again.",
)
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False),
    help="Write report.json, report.html and rejects.csv into this folder.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Refuse the upload (exit 2) if a cell does not parse, or a plausibility guard warns "
    "(a code that never fires, a column filled by the layout, too many rejects), instead of "
    "loading and naming it.",
)
def process(
    upload: str,
    region_id: int,
    niches: tuple[str, ...],
    db_url: str | None,
    rules_path: str | None,
    mapping_path: str | None,
    sheet: str | None,
    dry_run: bool,
    force: bool,
    report_dir: str | None,
    strict: bool,
) -> None:
    """Process UPLOAD (xlsx, csv or parquet) and merge it into the database.

    An upload identical to the region's last load is not run again (UploadLog says which
    load it repeats) unless --force, or --report (the report is made of the rows)."""
    from propmail.inputs import Inputs
    from propmail.job import run_job
    from propmail.progress import progress
    from propmail.summary import print_rejects_hint, print_summary

    if report_dir:
        check_report_dir(Path(report_dir))
    with progress(err) as step:
        inputs = Inputs.gather(upload, niches, rules_path, mapping_path, sheet, strict)
        full = force or bool(report_dir)
        result = run_job(inputs, region_id, db_url=db_url, step=step, dry_run=dry_run, force=full)
        report_error = None
        with _stands(result):
            if report_dir:
                from propmail.report import write_report  # Jinja2 only for a report

                step("writing the report")
                try:
                    files = write_report(result, report_dir)
                except (OSError, PropmailError) as exc:
                    report_error = exc
    with _stands(result):
        print_summary(result, out)
        if report_error is not None:
            _report_failed(result, report_dir or "", report_error)
        if report_dir:
            out.print(f"report: {files.html}  (also {files.json.name}, {files.rejects.name})")
        else:
            print_rejects_hint(result, out)


def _stands(result: JobResult) -> AbstractContextManager[None]:
    """After a committed load, a stop says that the load stands (not "nothing was written")."""
    log_id = result.load.upload_log_id if result.load else None
    return committed(log_id) if log_id is not None else nullcontext()


def check_report_dir(path: Path) -> None:
    """InputError unless the report folder exists writable, or could be made; creates nothing."""
    existing = path.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"cannot write the report: {existing} is not a folder", option="--report")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"cannot write the report: {existing} is not writable", option="--report")


def _report_reason(report_dir: str, exc: BaseException) -> str:
    """Why a report could not be written, for the error line of exit status 3."""
    if isinstance(exc, PropmailError):
        return str(exc)
    return f"cannot write the report in {report_dir}: {getattr(exc, 'strerror', None) or exc}"


def _report_failed(result: JobResult, report_dir: str, exc: BaseException) -> None:
    reason = _report_reason(report_dir, exc)
    if result.load is not None:
        upload_log_id = result.load.upload_log_id
        _print_error(
            f"the load is committed (UploadLogId {upload_log_id}); only the report failed: {reason}"
        )
    else:
        _print_error(f"the dry run wrote nothing; the report failed: {reason}")
    sys.exit(REPORT_FAILED)


@main.group("rules")
def rules_group() -> None:
    """The business settings (rules.toml and an override file)."""


@rules_group.command("show")
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False), help="Rules file.")
def rules_show(rules_path: str | None) -> None:
    """Print the settings in force, as TOML, and what the rules file changed."""
    from propmail.overrides import effective_settings, settings_toml
    from propmail.settings import load_rules

    load_rules(rules_path)  # every bad key reported, as `process` would
    data, changes = effective_settings(rules_path)
    over = f" with {rules_path} laid over them" if rules_path else ""
    out.print(f"# the defaults (rules.toml){over}", markup=False, highlight=False, soft_wrap=True)
    for change in changes:
        out.print(f"# {rules_path}: {change}", markup=False, highlight=False, soft_wrap=True)
    out.print(settings_toml(data), markup=False, highlight=False, soft_wrap=True)


@main.command("inspect")
@click.argument("upload", type=click.Path(dir_okay=False))
@click.option(
    "--mapping",
    "mapping_path",
    help="Mapping file or shipped layout name; default: the layout the headers fit.",
)
@click.option(
    "--sheet", help="Workbook sheet: its name or number (default: the first a layout knows)."
)
@click.option(
    "--write-mapping",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the mapping used as an editable TOML file that process --mapping takes.",
)
def inspect_command(
    upload: str, mapping_path: str | None, sheet: str | None, write_mapping: Path | None
) -> None:
    """Show how UPLOAD would be read (sheet, header row, layout, columns); no database."""
    from propmail.read import resolve_mapping
    from propmail.read.inspect import inspect_file

    mapping = resolve_mapping(mapping_path) if mapping_path else None
    found = inspect_file(upload, mapping, sheet)
    for line in found.lines():
        out.print(line, highlight=False, markup=False, soft_wrap=True)
    if write_mapping:
        write_mapping.write_text(found.mapping_text, encoding="utf-8")
        out.print(f"mapping written: {write_mapping}", highlight=False, markup=False)


@main.command("verify-slugs")
@click.option("--db", "db_url", help=DB_HELP)
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False), help="Rules file.")
@click.option(
    "--sample", default=5, show_default=True, help="Mismatches shown per style.", type=int
)
def verify_slugs_command(db_url: str | None, rules_path: str | None, sample: int) -> None:
    """Recompute every stored Owner.Slug with each slug style and print the match rates."""
    from propmail.settings import load_rules
    from propmail.summary import print_slug_check
    from propmail.verify import verify_slugs

    rules = load_rules(rules_path)
    with open_backend(db_url) as backend:
        check = verify_slugs(backend, sample=sample)
    print_slug_check(check, rules.slug_style, backend.display_url, out)


@main.command("bench")
@click.option(
    "--rows",
    type=click.IntRange(min=100),
    default=200_000,
    show_default=True,
    help="Rows of the synthetic upload.",
)
@click.option(
    "--backend",
    "backends",
    multiple=True,
    type=click.Choice(["sqlite", "postgresql"]),
    help="Backend to measure (repeatable); default both.",
)
@click.option(
    "--pg-url",
    default=lambda: os.environ.get("PROPMAIL_BENCH_PG_URL", DEFAULT_PG_URL),
    show_default="$PROPMAIL_BENCH_PG_URL, else " + DEFAULT_PG_URL,
    help="PostgreSQL server; the benchmark creates and drops databases of its own there.",
)
@click.option(
    "--guide-rows",
    type=click.IntRange(min=100),
    default=100_000,
    show_default=True,
    help="Run the guide's literal design on at most this many rows, extrapolated.",
)
@click.option(
    "--work",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the generated files here (default: a temporary directory).",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write every figure as JSON.",
)
@click.option(
    "--rules",
    "rules_path",
    type=click.Path(dir_okay=False),
    help="Rules file for propmail's runs (e.g. [journal] enabled = false).",
)
def bench(
    rows: int,
    backends: tuple[str, ...],
    pg_url: str,
    guide_rows: int,
    work: Path | None,
    json_path: Path | None,
    rules_path: str | None,
) -> None:
    """Time a synthetic month end to end against the floor and the guide's design."""
    from propmail.bench import report, runner

    config = runner.Config(
        rows=rows,
        backends=backends or ("sqlite", "postgresql"),
        pg_url=pg_url,
        work=work,
        guide_rows=guide_rows,
        rules=rules_path,
    )
    results = runner.run(config, lambda line: err.print(f"bench: {line}", highlight=False))
    out.print(report.markdown(results), highlight=False, markup=False, soft_wrap=True)
    if json_path:
        json_path.write_text(report.as_json(results), encoding="utf-8")


@main.command("undo")
@click.argument("upload_log_id", metavar="UPLOADLOGID", type=UPLOAD_LOG_ID)
@click.option("--db", "db_url", help=DB_HELP)
@click.option(
    "--cascade", is_flag=True, help="Undo the later loads that wrote the same rows first."
)
@click.option("--dry-run", is_flag=True, help="Print what would be put back; write nothing.")
def undo_command(upload_log_id: int, db_url: str | None, cascade: bool, dry_run: bool) -> None:
    """Put back every row the load UPLOADLOGID wrote, as it was before (UploadLog state 11)."""
    with open_backend(db_url) as backend:
        undone = backend.undo(upload_log_id, cascade=cascade, dry_run=dry_run)
    verb = "would undo" if dry_run else "undone"
    for u in undone:
        out.print(
            f"{verb}: upload {u.upload_log_id} (region {u.region_id}): "
            f"locations {u.locations_restored} restored, {u.locations_deleted} deleted; "
            f"owners {u.owners_restored} restored, {u.owners_deleted} deleted; "
            f"list codes {u.codes_deleted} deleted ({u.frequencies_deleted} frequency rows)",
            highlight=False,
            soft_wrap=True,
        )


@main.group("journal")
def journal_group() -> None:
    """The load journal that `propmail undo` takes loads back with."""


@journal_group.command("list")
@click.option("--db", "db_url", help=DB_HELP)
@click.option("--region", "region_id", type=REGION_ID, help="Only this region's loads.")
def journal_list(db_url: str | None, region_id: int | None) -> None:
    """The loads that can still be undone, newest first, with what their journal holds."""
    with open_backend(db_url) as backend:
        loads = backend.journaled_loads(region_id)
    if not loads:
        out.print("no load can be undone (the journal is empty)")
    for j in loads:
        out.print(
            f"upload {j.upload_log_id}  region {j.region_id}  loaded {j.loaded_at}  "
            f"{escape(j.file_name or '')}: owners {j.owners_updated} updated, "
            f"{j.owners_inserted} inserted; locations {j.locations_updated} updated, "
            f"{j.locations_inserted} inserted; {j.codes_created} new list codes",
            highlight=False,
            soft_wrap=True,
        )


@journal_group.command("prune")
@click.option("--db", "db_url", help=DB_HELP)
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False), help="Rules file.")
def journal_prune(db_url: str | None, rules_path: str | None) -> None:
    """Drop the journal of every load older than the newest [journal] keep_loads_per_region."""
    from propmail.settings import load_rules

    keep = load_rules(rules_path).journal.keep_loads_per_region
    with open_backend(db_url) as backend:
        dropped = backend.prune_journal(keep)
    out.print(f"journal pruned: {dropped} loads dropped, the newest {keep} per region kept")


@main.command("batch")
@click.argument("manifest_path", metavar="MANIFEST", type=click.Path(dir_okay=False))
@click.option("--db", "db_url", help=DB_HELP)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    help="Worker processes; default the cores, capped by max_concurrent_loads.",
)
@click.option(
    "--retry-failed",
    is_flag=True,
    help="Run only the jobs that failed or were interrupted (even past max_attempts).",
)
def batch_command(
    manifest_path: str, db_url: str | None, jobs: int | None, retry_failed: bool
) -> None:
    """Load every job of MANIFEST (TOML); what is done with the same content is skipped."""
    from propmail.batch.manifest import load_manifest
    from propmail.batch.run import exit_status as batch_status
    from propmail.batch.run import run_batch
    from propmail.batch.show import BatchProgress, outcome_table

    manifest = load_manifest(manifest_path)
    with BatchProgress(err, len(manifest.jobs)) as report:
        outcomes = run_batch(manifest, db_url, jobs, retry_failed, report)
    out.print(outcome_table(outcomes))
    status = batch_status(outcomes)
    if status:
        failed = [o.job.key for o in outcomes if o.exit_status]
        _print_error(f"{len(failed)} of {len(outcomes)} jobs not done: {', '.join(failed)}")
        sys.exit(status)


@main.command("split")
@click.argument("source", metavar="NATIONAL_FILE", type=click.Path(dir_okay=False))
@click.option("--by", "by", required=True, help="Column(s) naming the region, comma-separated.")
@click.option(
    "--regions",
    "regions_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Values to RegionIds: CSV (the --by columns and RegionId) or TOML ([regions]).",
)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
@click.option("--prefix", type=click.IntRange(min=1), help="Use the value's first N characters.")
@click.option("--month", help="The month the file is of (YYYY-MM), written into the manifest.")
def split_command(
    source: str, by: str, regions_path: str, out_dir: str, prefix: int | None, month: str | None
) -> None:
    """Split NATIONAL_FILE (csv or parquet) into one upload per region, and its manifest."""
    from propmail.batch.split import split

    by_columns = [c.strip() for c in by.split(",")]
    result = split(source, by_columns, regions_path, out_dir, prefix, month)
    unmatched = result.counts.pop(None, 0)
    total = sum(result.counts.values())
    out.print(f"{len(result.counts)} regions, {total:,} rows; {unmatched:,} rows of no region")
    out.print(f"manifest: {result.manifest}")


@main.command("selftest")
@click.option("--db", "db_url", help=DB_HELP + " (only a scratch schema or database is written)")
@click.option(
    "--rows",
    type=click.IntRange(min=500),
    default=2500,
    show_default=True,
    help="Rows of the scenario's first month.",
)
def selftest_command(db_url: str | None, rows: int) -> None:
    """Prove the load semantics on this server, in a scratch schema or database it drops."""
    from rich.table import Table

    from propmail.selftest import run_selftest

    report = run_selftest(
        db_url, rows=rows, say=lambda line: err.print(f"selftest: {line}", highlight=False)
    )
    server = f" ({escape(report.server)})" if report.server else ""
    table = Table(
        title=f"propmail selftest on {escape(report.target)}{server}", title_justify="left"
    )
    for column in ("property", "result", "what it means / what broke it"):
        table.add_column(column, overflow="fold")
    for o in report.outcomes:
        verdict = "[green]PASS[/]" if o.passed else "[bold red]FAIL[/]"
        table.add_row(o.name, verdict, escape(o.detail or o.description))
    out.print(table)
    failed = [o.name for o in report.outcomes if not o.passed]
    out.print(
        f"{len(report.outcomes) - len(failed)} of {len(report.outcomes)} properties pass "
        f"({report.seconds:.0f} s)",
        highlight=False,
    )
    if failed:
        _print_error(f"selftest failed: {', '.join(failed)}")
        sys.exit(LOAD_FAILED)


@main.command("parity")
@click.argument("upload", type=click.Path(dir_okay=False))
@click.option(
    "--region", "region_id", type=REGION_ID, required=True, help="RegionId to compare with."
)
@upload_options
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False),
    help="Write parity.json and parity.html into this folder.",
)
@click.option(
    "--suggest", is_flag=True, help="Try the legacy variants of the settings and rank them."
)
def parity_command(
    upload: str,
    region_id: int,
    niches: tuple[str, ...],
    db_url: str | None,
    rules_path: str | None,
    mapping_path: str | None,
    sheet: str | None,
    report_dir: str | None,
    suggest: bool,
) -> None:
    """Compare every field propmail would write for UPLOAD with what the region holds now.

    Read-only: nothing is written, not even UploadLog.
    """
    from propmail.inputs import Inputs
    from propmail.parity import run_parity
    from propmail.progress import progress
    from propmail.summary import print_parity

    if report_dir:
        check_report_dir(Path(report_dir))
    with progress(err) as step:
        inputs = Inputs.gather(upload, niches, rules_path, mapping_path, sheet)
        result = run_parity(inputs, region_id, db_url=db_url, suggest=suggest, step=step)
    print_parity(result, out)
    if report_dir:
        from propmail.report.parity import write_parity_report

        try:
            files = write_parity_report(result, report_dir)
        except OSError as exc:
            _print_error(_report_reason(report_dir, exc))
            sys.exit(REPORT_FAILED)
        out.print(f"report: {files[0]}  (also {files[1].name})")


@main.command("explain")
@click.argument("upload", type=click.Path(dir_okay=False))
@click.option("--parcel", required=True, help="The parcel id (LocationPrimaryId) to explain.")
@upload_options
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
def explain_command(
    upload: str,
    parcel: str,
    niches: tuple[str, ...],
    db_url: str | None,
    rules_path: str | None,
    mapping_path: str | None,
    sheet: str | None,
    as_json: bool,
) -> None:
    """Every derived field of one row of UPLOAD and why; with --db, what the database holds."""
    from propmail import jsontext
    from propmail.explain import explain_parcel, lines
    from propmail.inputs import Inputs

    with open_backend(db_url) if db_url else nullcontext() as backend:
        inputs = Inputs.gather(upload, niches, rules_path, mapping_path, sheet)
        explained = explain_parcel(inputs, parcel, backend)
    if as_json:
        out.print_json(jsontext.dumps(explained.as_dict(), default=str))
        return
    for line in lines(explained):
        out.print(line, markup=False, highlight=False, soft_wrap=True)


@main.command("changes")
@click.option("--region", "region_id", type=REGION_ID, required=True, help="RegionId of the loads.")
@click.option(
    "--load",
    "load_id",
    type=UPLOAD_LOG_ID,
    help="UploadLogId of the load (default: the region's last).",
)
@click.option(
    "--since",
    "since_id",
    type=UPLOAD_LOG_ID,
    help="UploadLogId of the first load of a range ending with --load.",
)
@click.option("--db", "db_url", help=DB_HELP)
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False), help="Rules file.")
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False),
    help="Write changes.json and changes.html into this folder.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
def changes_command(
    region_id: int,
    load_id: int | None,
    since_id: int | None,
    db_url: str | None,
    rules_path: str | None,
    report_dir: str | None,
    as_json: bool,
) -> None:
    """What a load changed against the region before it (or a range of loads, --since), from
    the load journal and the stored rows: new and gone locations, sales, lists joined and
    left, absentee levels, new NCOA moves and drops, stack counts, list codes by count.

    Read-only: nothing is written.
    """
    from propmail import jsontext
    from propmail.changes import lines, read_changes
    from propmail.settings import load_rules

    rules = load_rules(rules_path)
    if report_dir:
        check_report_dir(Path(report_dir))
    with open_backend(db_url) as backend:
        if not backend.exists() or not backend.has_schema():
            raise InputError(f"{backend.where} has no propmail tables", option="--db")
        report = read_changes(backend, rules, region_id, load_id, since_id).as_dict()
    if as_json:
        out.print_json(jsontext.dumps(report, default=str))
    else:
        for line in lines(report):
            out.print(line, markup=False, highlight=False, soft_wrap=True)
    if report_dir:
        from propmail.report.changes import write_changes

        try:
            files = write_changes(report, report_dir)
        except (OSError, InputError) as exc:
            _print_error(str(exc))
            sys.exit(REPORT_FAILED)
        err.print(f"report: {files[1]}  (also {files[0].name})", highlight=False)


# -- the mail drop (docs/drop.md) -------------------------------------------------------------


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{value!r} is not a date (YYYY-MM-DD)", option=option) from None


@main.group("drop")
def drop_group() -> None:
    """This week's mail drop: plan, look at the proof, commit, export (docs/drop.md)."""


@drop_group.command("plan")
@click.option("--region", "region_id", type=int, required=True, help="RegionId to mail.")
@click.option("--date", "on", help="The drop's date, YYYY-MM-DD (default: today).")
@click.option("--max-pieces", type=click.IntRange(min=0), help="At most N pieces, best first.")
@click.option("--lists", help="Only these list codes, comma-separated.")
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False),
    help="Write drop.json and drop.html here.",
)
@click.option("--db", "db_url", help=DB_HELP)
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False), help="Rules file.")
def drop_plan(
    region_id: int,
    on: str | None,
    max_pieces: int | None,
    lists: str | None,
    report_dir: str | None,
    db_url: str | None,
    rules_path: str | None,
) -> None:
    """Choose the region's pieces for a drop and record them as planned."""
    from propmail.drop.plan import plan
    from propmail.settings import load_rules

    rules = load_rules(rules_path)
    codes = tuple(c.strip() for c in (lists or "").split(",") if c.strip())
    with open_backend(db_url) as backend:
        planned = plan(
            backend,
            rules,
            region_id,
            _date(on, "--date") or date.today(),
            lists=codes,
            max_pieces=max_pieces,
            report_dir=Path(report_dir) if report_dir else None,
        )
    p = planned.proof
    out.print(
        f"drop {p['drop_id']} planned: region {p['region_id']}, {p['drop_date']}, "
        f"{p['pieces']:,} pieces of {p['locations']:,} locations, cost {p['cost']:,.2f}",
        highlight=False,
    )
    for title, key in (("suppressed", "suppressed"), ("skipped", "skipped")):
        for r in p[key]:
            out.print(f"  {title}: {r['reason']}: {r['locations']:,}", highlight=False)
    if planned.files is not None:
        out.print(f"proof: {planned.files.html}", highlight=False, soft_wrap=True)
    out.print(f"next: propmail drop commit {p['drop_id']} (or drop cancel {p['drop_id']})")


@drop_group.command("commit")
@click.argument("drop_id", metavar="DROPID", type=int)
@click.option("--db", "db_url", help=DB_HELP)
def drop_commit(drop_id: int, db_url: str | None) -> None:
    """Make a planned drop's touches count for the cadence."""
    from propmail.db import drops

    with open_backend(db_url) as backend:
        drops.require_tables(backend.engine, backend.where)
        done = drops.commit(backend.engine, drop_id, datetime.now())
    out.print(f"drop {done.drop_id} committed: {done.pieces:,} pieces", highlight=False)


@drop_group.command("cancel")
@click.argument("drop_id", metavar="DROPID", type=int)
@click.option("--db", "db_url", help=DB_HELP)
def drop_cancel(drop_id: int, db_url: str | None) -> None:
    """Undo a planned or committed drop: its pieces go, its touches no longer count."""
    from propmail.db import drops

    with open_backend(db_url) as backend:
        drops.require_tables(backend.engine, backend.where)
        done = drops.cancel(backend.engine, drop_id)
    out.print(f"drop {done.drop_id} cancelled: {done.pieces:,} pieces taken back", highlight=False)


@drop_group.command("list")
@click.option("--region", "region_id", type=int, help="Only this region's drops.")
@click.option("--db", "db_url", help=DB_HELP)
def drop_list(region_id: int | None, db_url: str | None) -> None:
    """The drops, newest first."""
    from propmail.db import drops

    with open_backend(db_url) as backend:
        drops.require_tables(backend.engine, backend.where)
        found = drops.drops(backend.engine, region_id)
    if not found:
        out.print("no drop yet")
    for d in found:
        out.print(
            f"drop {d.drop_id}  region {d.region_id}  {d.drop_date}  {d.state:<9}  "
            f"{d.pieces:,} pieces  planned {d.created:%Y-%m-%d %H:%M}"
            + (f"  committed {d.committed:%Y-%m-%d %H:%M}" if d.committed else ""),
            highlight=False,
        )


@drop_group.command("export")
@click.argument("drop_id", metavar="DROPID", type=int)
@click.option(
    "--format",
    "format_name",
    type=click.Choice(["generic", "lob", "click2mail", "accuzip"]),
    default="generic",
    show_default=True,
    help="The mail house's columns.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    help="FILE.csv or FILE.xlsx (default: drop-ID-FORMAT.csv).",
)
@click.option("--db", "db_url", help=DB_HELP)
def drop_export(drop_id: int, format_name: str, out_path: str | None, db_url: str | None) -> None:
    """Write a drop's pieces for the mail house, one row per piece."""
    from propmail.drop.plan import export_drop

    target = Path(out_path or f"drop-{drop_id}-{format_name}.csv")
    with open_backend(db_url) as backend:
        written = export_drop(backend, drop_id, format_name, target)
    out.print(f"{written:,} pieces written to {target}", highlight=False, soft_wrap=True)


@main.command("suppress")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--reason", help="Why these are not mailed (required to add).")
@click.option("--expires", help="Mail them again from this date, YYYY-MM-DD.")
@click.option("--list", "listing", is_flag=True, help="List the suppression list.")
@click.option("--remove", is_flag=True, help="Take FILE's keys off the list.")
@click.option("--db", "db_url", help=DB_HELP)
def suppress_command(
    file: str | None,
    reason: str | None,
    expires: str | None,
    listing: bool,
    remove: bool,
    db_url: str | None,
) -> None:
    """Never mail the parcels, owner slugs or mailing addresses of FILE (csv or xlsx)."""
    from propmail.db import drops
    from propmail.drop.plan import add_suppressions, remove_suppressions

    if listing:
        with open_backend(db_url) as backend:
            drops.require_tables(backend.engine, backend.where)
            rows = drops.list_suppressions(backend.engine)
        if not rows:
            out.print("the suppression list is empty")
        for r in rows:
            until = f"  until {r['ExpiresDate']}" if r["ExpiresDate"] else ""
            out.print(
                f"{r['KeyKind']:<15} {escape(r['KeyValue'])}  {escape(r['Reason'])}  "
                f"({escape(r['SourceFile'] or '')}, {r['AddedDate']:%Y-%m-%d}){until}",
                highlight=False,
                soft_wrap=True,
            )
        return
    if file is None:
        raise InputError("name the FILE of keys (or use --list)")
    with open_backend(db_url) as backend:
        if remove:
            removed = remove_suppressions(backend, Path(file))
            out.print(f"{removed:,} rows taken off the suppression list", highlight=False)
            return
        if not reason or not reason.strip():
            raise InputError("say why with --reason TEXT", option="--reason")
        added = add_suppressions(backend, Path(file), reason.strip(), _date(expires, "--expires"))
    out.print(f"{added:,} keys on the suppression list ({reason.strip()})", highlight=False)


if __name__ == "__main__":  # pragma: no cover
    main()
