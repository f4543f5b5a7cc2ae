"""The command line: parses arguments, calls the job and a backend, prints.

Exit statuses are `EXIT_STATUSES`, printed by ``propmail --help``.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from propmail import __version__, redact
from propmail.bench import DEFAULT_PG_URL
from propmail.db import Backend, connect
from propmail.errors import INTERRUPTED as INTERRUPTED_MESSAGE
from propmail.errors import DatabaseUnavailable, InputError, LoadError, PropmailError
from propmail.job import JobResult, run_job
from propmail.progress import progress
from propmail.settings import effective_settings, load_rules, settings_toml
from propmail.summary import print_rejects_hint, print_slug_check, print_summary
from propmail.verify import verify_slugs

log = logging.getLogger("propmail")
err = Console(stderr=True)
out = Console()

DB_HELP = "SQLAlchemy URL; default $PROPMAIL_DB_URL, else sqlite:///propmail.db"

LOAD_FAILED, BAD_INPUT, REPORT_FAILED, NO_DATABASE, INTERRUPTED = 1, 2, 3, 4, 130
EXIT_STATUSES = {
    0: "done",
    LOAD_FAILED: "the load failed and was rolled back; UploadLog says state 4",
    BAD_INPUT: "bad input or usage; nothing was done",
    REPORT_FAILED: "the load was committed (UploadLog state 3), or the dry run ran, but the "
    "report could not be written",
    NO_DATABASE: "the database cannot be reached or used; nothing was done, no UploadLog row",
    INTERRUPTED: "interrupted by the operator (Ctrl-C); a load under way was rolled back",
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


class _Main(click.Group):
    """The command group: every error of every command ends in one masked line, not a traceback.

    A propmail error exits with its `exit_status`, an unexpected one with 1.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            _print_error(INTERRUPTED_MESSAGE)
            sys.exit(INTERRUPTED)
        except PropmailError as exc:
            _print_error(str(exc))
            sys.exit(exit_status(exc))
        except Exception as exc:
            log.debug("unexpected error", exc_info=True)  # with -v; masked by the filter
            _print_error(f"unexpected {type(exc).__name__}: {exc} (run with -v for details)")
            sys.exit(1)


@contextmanager
def open_backend(db_url: str | None) -> Iterator[Backend]:
    """The database of `db_url` (else $PROPMAIL_DB_URL), disposed of however the block ends."""
    backend = connect(db_url)
    try:
        yield backend
    finally:
        backend.dispose()


def _region(value: str) -> tuple[int, str | None]:
    region, _, name = value.partition("=")
    try:
        return int(region), (name.strip() or None)
    except ValueError:
        raise click.BadParameter(f"{value!r}: expected ID or ID=NAME, e.g. 40=Roanoke") from None


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


@main.group()
def db() -> None:
    """Database set-up."""


@db.command("init")
@click.option("--db", "db_url", help=DB_HELP)
@click.option("--region", "regions", multiple=True, help="Region to create: ID or ID=NAME.")
@click.option("--rules", "rules_path", type=click.Path(), help="Rules file (base list codes).")
def db_init(db_url: str | None, regions: tuple[str, ...], rules_path: str | None) -> None:
    """Create the tables, the regions given and the base list codes."""
    wanted = dict(_region(r) for r in regions)
    rules = load_rules(rules_path)
    with open_backend(db_url) as backend:
        before = backend.regions()
        created = backend.init(wanted, rules)
        counts = backend.counts()
    out.print(f"database ready: {escape(backend.display_url)}")
    out.print(
        f"regions: {counts['Region']}, list codes: {counts['ListPriority']}"
        + (f" (created {', '.join(created)})" if created else "")
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


@main.command("process")
@click.argument("upload", type=click.Path(dir_okay=False))
@click.option("--region", "region_id", type=int, required=True, help="RegionId to load into.")
@click.option(
    "--niche",
    "niches",
    multiple=True,
    metavar="[TYPE=]PATH",
    help="Niche list (repeatable, applied in order); TYPE defaults to the file name.",
)
@click.option("--db", "db_url", help=DB_HELP)
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False), help="Rules file.")
@click.option(
    "--mapping",
    "mapping_path",
    type=click.Path(dir_okay=False),
    help="Column-mapping file (TOML) for other providers' headers.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Run everything and compare with the database; write nothing (not even UploadLog).",
)
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False),
    help="Write report.json, report.html and rejects.csv into this folder.",
)
def process(
    upload: str,
    region_id: int,
    niches: tuple[str, ...],
    db_url: str | None,
    rules_path: str | None,
    mapping_path: str | None,
    dry_run: bool,
    report_dir: str | None,
) -> None:
    """Process UPLOAD (xlsx, csv or parquet) and merge it into the database."""
    if report_dir:
        check_report_dir(Path(report_dir))
    with progress(err) as step:
        result = run_job(
            upload,
            region_id,
            niches,
            db_url=db_url,
            rules_path=rules_path,
            mapping_path=mapping_path,
            step=step,
            dry_run=dry_run,
        )
        report_error = None
        if report_dir:
            from propmail.report import write_report  # Jinja2 loads only when a report is asked for

            step("writing the report")
            try:
                files = write_report(result, report_dir)
            except (OSError, PropmailError) as exc:
                report_error = exc
    print_summary(result, out)
    if report_error is not None:
        _report_failed(result, report_dir or "", report_error)
    if report_dir:
        out.print(f"report: {files.html}  (also {files.json.name}, {files.rejects.name})")
    else:
        print_rejects_hint(result, out)


def check_report_dir(path: Path) -> None:
    """InputError unless the report folder exists writable, or could be made; creates nothing."""
    existing = path.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"cannot write the report: {existing} is not a folder", option="--report")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"cannot write the report: {existing} is not writable", option="--report")


def _report_failed(result: JobResult, report_dir: str, exc: BaseException) -> None:
    if isinstance(exc, PropmailError):
        reason = str(exc)
    else:
        reason = f"cannot write the report in {report_dir}: {getattr(exc, 'strerror', exc)}"
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
    load_rules(rules_path)  # every bad key reported, as `process` would
    data, changes = effective_settings(rules_path)
    over = f" with {rules_path} laid over them" if rules_path else ""
    out.print(f"# the defaults (rules.toml){over}", markup=False, highlight=False, soft_wrap=True)
    for change in changes:
        out.print(f"# {rules_path}: {change}", markup=False, highlight=False, soft_wrap=True)
    out.print(settings_toml(data), markup=False, highlight=False, soft_wrap=True)


@main.command("verify-slugs")
@click.option("--db", "db_url", help=DB_HELP)
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False), help="Rules file.")
@click.option(
    "--sample", default=5, show_default=True, help="Mismatches shown per style.", type=int
)
def verify_slugs_command(db_url: str | None, rules_path: str | None, sample: int) -> None:
    """Recompute every stored Owner.Slug with each slug style and print the match rates."""
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
def bench(
    rows: int,
    backends: tuple[str, ...],
    pg_url: str,
    guide_rows: int,
    work: Path | None,
    json_path: Path | None,
) -> None:
    """Time a synthetic month end to end against the floor and the guide's design."""
    from propmail.bench import report, runner

    config = runner.Config(
        rows=rows,
        backends=backends or ("sqlite", "postgresql"),
        pg_url=pg_url,
        work=work,
        guide_rows=guide_rows,
    )
    results = runner.run(config, lambda line: err.print(f"bench: {line}", highlight=False))
    out.print(report.markdown(results), highlight=False, markup=False, soft_wrap=True)
    if json_path:
        json_path.write_text(report.as_json(results), encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    main()
