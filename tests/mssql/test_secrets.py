"""A sentinel password, run at DEBUG through every path that could echo it, never shows up in
a log line, an exception (with its chain), the CLI's output or UploadLog."""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterator
from datetime import datetime

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from propmail.db import Batch, connect
from propmail.db.mssql import dialect as tsql
from propmail.errors import LoadError
from propmail.job import load_options
from propmail.settings import Rules
from tests.mssql import data
from tests.mssql.conftest import Everything
from tests.mssql.fakes import SENTINEL, FakeServer, backend

PREFIX = "/propmail/test/db"
NOW = datetime(2026, 6, 4, 9, 30)
CLOSED = "127.0.0.1:1"  # nothing listens on port 1: the driver gets a refused connection


def everything_about(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


@pytest.fixture
def ssm_password(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("ssm", region_name="us-east-1")
        host, port = CLOSED.split(":")
        client.put_parameter(Name=f"{PREFIX}/server", Value=f"{host},{port}", Type="String")
        client.put_parameter(Name=f"{PREFIX}/database", Value="Mail", Type="String")
        client.put_parameter(Name=f"{PREFIX}/username", Value="loader", Type="String")
        client.put_parameter(Name=f"{PREFIX}/password", Value=SENTINEL, Type="SecureString")
        yield


def test_the_real_driver_refused_with_an_ssm_password(
    ssm_password: None, debug_log: Everything
) -> None:
    started = time.monotonic()
    b = connect(f"mssql+mssqlpython://?ssm_prefix={PREFIX}&login_timeout=3")
    with pytest.raises(LoadError) as caught:
        b.test_connection()
    assert time.monotonic() - started < 15
    assert "cannot connect to mssql+mssqlpython://loader:***@127.0.0.1:1/Mail" in str(caught.value)
    assert SENTINEL not in everything_about(caught.value)
    assert SENTINEL not in debug_log.text
    assert "password from SSM /propmail/test/db/password" in debug_log.text  # it was used


def test_the_real_driver_refused_with_a_url_password(debug_log: Everything) -> None:
    b = connect(f"mssql+mssqlpython://loader:{SENTINEL}@{CLOSED}/Mail?login_timeout=3")
    assert SENTINEL not in b.display_url and SENTINEL not in repr(b.settings)
    with pytest.raises(LoadError) as caught:
        b.create_schema()
    assert SENTINEL not in everything_about(caught.value) and SENTINEL not in debug_log.text


def test_pyodbc_without_a_driver_manager_fails_cleanly(debug_log: Everything) -> None:
    b = connect(f"mssql+pyodbc://loader:{SENTINEL}@{CLOSED}/Mail?login_timeout=3")
    with pytest.raises(LoadError) as caught:
        b.test_connection()
    assert SENTINEL not in everything_about(caught.value) and SENTINEL not in debug_log.text


def test_a_driver_error_that_echoes_the_password_is_masked_everywhere(
    rules: Rules, debug_log: Everything
) -> None:
    owners, locations = data.upload(10)
    echo = RuntimeError(f"login for Server=x;UID=loader;PWD={SENTINEL}; said {SENTINEL}")
    server = FakeServer(fail_on={"EXEC dbo.ProcessPythonEnhancedData": echo})
    server.answers[tsql.UPLOAD_LOG_ROW] = [(1, 40, "u", 4, None, None, None, "x")]
    with pytest.raises(LoadError) as caught:
        backend(server, staging="json").load(
            1, Batch(40, owners, locations, load_options(rules), NOW)
        )
    assert SENTINEL not in everything_about(caught.value)
    (failure,) = server.sent(tsql.FAIL_UPLOAD_LOG)
    assert SENTINEL not in failure.params[0] and "PWD=***" in failure.params[0]
    assert SENTINEL not in debug_log.text
    # and a bulk copy error on the way is masked in the warning it logs
    server = FakeServer(bulk=True, bulk_error=RuntimeError(f"bcp PWD={SENTINEL}"))
    server.answers[tsql.process_upload(False)] = [(1, 10, 8, 8, 0, 0, 10, 0, 0, 0, None, 3, 0)]
    backend(server).load(1, Batch(40, owners, locations, load_options(rules), NOW))
    assert "bulk copy unavailable" in debug_log.text and SENTINEL not in debug_log.text


def test_the_integrator_with_aws_credentials_raises_connection_error_without_the_password(
    ssm_password: None, debug_log: Everything
) -> None:
    from propmail.api import DatabaseIntegrator

    with pytest.raises(ConnectionError) as caught:
        DatabaseIntegrator(
            "mssql+mssqlpython://?login_timeout=3", use_aws_credentials=True, ssm_prefix=PREFIX
        )
    assert "connection test failed" in str(caught.value)
    assert SENTINEL not in everything_about(caught.value) and SENTINEL not in debug_log.text


@pytest.mark.parametrize("command", [["db", "test"], ["db", "init", "--region", "40=Roanoke"]])
def test_the_cli_reports_a_refused_connection_without_the_password(
    command: list[str], debug_log: Everything
) -> None:
    from propmail.cli import main

    url = f"mssql+mssqlpython://loader:{SENTINEL}@{CLOSED}/Mail?login_timeout=3"
    result = CliRunner().invoke(main, ["-v", *command, "--db", url])
    assert result.exit_code == 4, result.output  # the database cannot be reached
    assert "cannot connect to mssql+mssqlpython://loader:***@127.0.0.1:1/Mail" in result.output
    assert SENTINEL not in result.output and SENTINEL not in debug_log.text
    assert result.exception is None or isinstance(result.exception, SystemExit)
