"""Credentials from the URL, the environment and AWS SSM Parameter Store (moto)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from sqlalchemy.engine import make_url

from propmail.db.mssql import credentials
from propmail.db.mssql.credentials import Secret, resolve
from propmail.errors import InputError
from propmail.redact import redact
from tests.mssql.fakes import SENTINEL

PREFIX = "/propmail/staging/db"


@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("ssm", region_name="us-east-1")
        client.put_parameter(Name=f"{PREFIX}/server", Value="10.0.3.17,1433", Type="String")
        client.put_parameter(Name=f"{PREFIX}/database", Value="DirectMail", Type="String")
        client.put_parameter(
            Name=f"{PREFIX}/username", Value="propmail_loader", Type="SecureString"
        )
        client.put_parameter(Name=f"{PREFIX}/password", Value=SENTINEL, Type="SecureString")
        yield client


def test_everything_from_ssm_with_securestring_decryption(ssm: object) -> None:
    settings = resolve(make_url(f"mssql+mssqlpython://?ssm_prefix={PREFIX}"), environ={})
    assert (settings.server, settings.port, settings.database, settings.username) == (
        "10.0.3.17",
        1433,
        "DirectMail",
        "propmail_loader",
    )
    assert settings.password is not None and settings.password.reveal() == SENTINEL
    assert dict(settings.sources)["password"] == f"SSM {PREFIX}/password"


def test_prefix_and_region_from_the_environment(ssm: object) -> None:
    env = {"PROPMAIL_SSM_PREFIX": PREFIX, "PROPMAIL_SSM_REGION": "us-east-1"}
    settings = resolve(make_url("mssql+mssqlpython://"), environ=env)
    assert settings.database == "DirectMail"


def test_url_beats_environment_beats_ssm(ssm: object) -> None:
    env = {
        "PROPMAIL_MSSQL_DATABASE": "FromEnv",
        "PROPMAIL_MSSQL_USERNAME": "env_user",
        "PROPMAIL_SSM_PREFIX": PREFIX,
    }
    settings = resolve(make_url("mssql+mssqlpython://url_user@sql.example/FromUrl"), environ=env)
    sources = dict(settings.sources)
    assert (settings.server, settings.database, settings.username) == (
        "sql.example",
        "FromUrl",
        "url_user",
    )
    assert sources["server"] == sources["database"] == sources["username"] == "url"
    assert sources["password"] == f"SSM {PREFIX}/password"
    settings = resolve(make_url("mssql+mssqlpython://sql.example"), environ=env)
    assert (settings.database, settings.username) == ("FromEnv", "env_user")


def test_ssm_is_asked_only_for_what_is_missing() -> None:
    asked: list[list[str]] = []

    def fetch(names: list[str], region: str | None) -> dict[str, str]:
        asked.append(names)
        return {f"{PREFIX}/password": SENTINEL}

    env = {
        "PROPMAIL_MSSQL_SERVER": "sql.example:1500",
        "PROPMAIL_MSSQL_DATABASE": "Mail",
        "PROPMAIL_MSSQL_USERNAME": "u",
    }
    settings = resolve(make_url(f"mssql+pyodbc://?ssm_prefix={PREFIX}"), env, fetch)
    assert asked == [[f"{PREFIX}/password"]]
    assert (settings.driver, settings.server, settings.port) == ("pyodbc", "sql.example", 1500)
    resolve(make_url(f"mssql+pyodbc://u:p@h/d?ssm_prefix={PREFIX}"), {}, fetch)
    assert len(asked) == 1  # nothing missing, no call


def test_missing_parameters_are_named_and_no_value_is_shown(ssm: object) -> None:
    with pytest.raises(InputError) as caught:
        resolve(make_url("mssql+mssqlpython://?ssm_prefix=/propmail/absent"), environ={})
    message = str(caught.value)
    assert "server, database, username, password" in message and "/propmail/absent" in message


def test_environment_only() -> None:
    env = {
        "PROPMAIL_MSSQL_SERVER": "tcp:sql.example,1433",
        "PROPMAIL_MSSQL_DATABASE": "Mail",
        "PROPMAIL_MSSQL_USERNAME": "loader",
        "PROPMAIL_MSSQL_PASSWORD": SENTINEL,
    }
    settings = resolve(make_url("mssql+mssqlpython://"), environ=env)
    assert (settings.server, settings.port) == ("sql.example", 1433)
    assert settings.password == Secret(SENTINEL)


def test_encrypt_is_on_by_default_and_the_connection_string_is_well_formed() -> None:
    password = "p;w}d={x}"  # characters ODBC would split on
    url = make_url("mssql+pyodbc://loader@sql.example:1433/Mail").set(password=password)
    settings = resolve(url, environ={})
    text = settings.connection_string()
    assert "Encrypt=yes" in text and "TrustServerCertificate=no" in text
    assert text.startswith("DRIVER={ODBC Driver 18 for SQL Server};Server=tcp:sql.example,1433;")
    assert "PWD={p;w}}d={x}}}" in text
    options = resolve(
        make_url(
            "mssql+mssqlpython://u:p@h/d?encrypt=strict&TrustServerCertificate=yes"
            "&HostNameInCertificate=sql.internal&login_timeout=3&staging=json&chunk_mb=20"
        ),
        environ={},
    )
    text = options.connection_string()
    assert "DRIVER" not in text  # mssql-python brings its own
    assert "Encrypt=strict" in text and "HostNameInCertificate=sql.internal" in text
    assert (options.login_timeout, options.staging, options.chunk_bytes) == (3, "json", 20 * 2**20)


def test_bad_options_are_refused_with_the_known_ones() -> None:
    with pytest.raises(InputError, match="unknown SQL Server URL option 'encrpyt'"):
        resolve(make_url("mssql+mssqlpython://u:p@h/d?encrpyt=no"), environ={})
    with pytest.raises(InputError, match="staging must be one of"):
        resolve(make_url("mssql+mssqlpython://u:p@h/d?staging=csv"), environ={})
    with pytest.raises(InputError, match="login_timeout must be a positive"):
        resolve(make_url("mssql+mssqlpython://u:p@h/d?login_timeout=0"), environ={})
    with pytest.raises(InputError, match="unsupported SQL Server driver"):
        resolve(make_url("mssql+pymssql://u:p@h/d"), environ={})


def test_integrated_authentication_needs_no_password() -> None:
    settings = resolve(make_url("mssql+mssqlpython://h/d?Authentication=ActiveDirectoryMsi"), {})
    assert settings.password is None and "Authentication=ActiveDirectoryMsi" in (
        settings.connection_string()
    )
    with pytest.raises(InputError, match="missing username, password"):
        resolve(make_url("mssql+mssqlpython://h/d"), environ={})


def test_the_password_never_prints() -> None:
    settings = resolve(
        make_url("mssql+mssqlpython://loader@h:1433/Mail").set(password=SENTINEL), environ={}
    )
    for text in (
        repr(settings),
        str(settings),
        settings.display(),
        repr(settings.password),
        f"{settings.password}",
    ):
        assert SENTINEL not in text
    assert settings.display() == "mssql+mssqlpython://loader:***@h:1433/Mail"


def test_redact_masks_known_secrets_connection_strings_and_urls() -> None:
    text = (
        f"login failed PWD={SENTINEL};UID=x password = {{a;b}} "
        f"mssql+pyodbc://u:{SENTINEL}@h/d and {SENTINEL}"
    )
    Secret(SENTINEL)
    masked = redact(text)
    assert SENTINEL not in masked and "{a;b}" not in masked
    assert "UID=x" in masked and "mssql+pyodbc://u:***@h/d" in masked
    assert redact("PWD=abc;Server=x") == "PWD=***;Server=x"


def test_aws_debug_logging_is_held_back_while_parameters_are_read(
    ssm: object, caplog: pytest.LogCaptureFixture
) -> None:
    # botocore logs response bodies at DEBUG: with decryption they hold the password
    caplog.set_level("DEBUG")
    credentials.fetch_ssm_parameters([f"{PREFIX}/password"], "us-east-1")
    assert caplog.records == [] or all(SENTINEL not in r.getMessage() for r in caplog.records)
    assert not any(r.name.startswith("botocore") and r.levelname == "DEBUG" for r in caplog.records)


def test_connect_picks_the_sql_server_backend_and_does_not_connect_yet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from propmail.db import connect
    from propmail.db.mssql import MssqlBackend

    for variable, value in (
        ("PROPMAIL_MSSQL_SERVER", "127.0.0.1,1"),
        ("PROPMAIL_MSSQL_DATABASE", "Mail"),
        ("PROPMAIL_MSSQL_USERNAME", "loader"),
        ("PROPMAIL_MSSQL_PASSWORD", SENTINEL),
    ):
        monkeypatch.setenv(variable, value)
    backend = connect("mssql://")
    assert isinstance(backend, MssqlBackend) and backend.settings.driver == "mssqlpython"
    assert backend.display_url == "mssql+mssqlpython://loader:***@127.0.0.1:1/Mail"
    assert backend._session is None  # nothing opened until the first statement


def test_connect_sql_refuses_sql_server() -> None:
    from propmail.db import connect_sql

    with pytest.raises(InputError, match="is not SQLite or PostgreSQL"):
        connect_sql("mssql+mssqlpython://loader:pw@h:1433/Mail")
