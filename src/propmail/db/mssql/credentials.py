"""Where a SQL Server connection comes from: the URL, the environment, AWS SSM Parameter Store.

Each of server, database, username and password is taken from the first source that has it:

1. the URL: ``mssql+mssqlpython://USER:PASSWORD@HOST:PORT/DATABASE?encrypt=yes``
2. environment variables: ``PROPMAIL_MSSQL_SERVER`` (``host``, ``host,port`` or
   ``host:port``), ``PROPMAIL_MSSQL_DATABASE``, ``PROPMAIL_MSSQL_USERNAME``,
   ``PROPMAIL_MSSQL_PASSWORD``
3. AWS SSM Parameter Store, when a prefix is set (``?ssm_prefix=/propmail/prod`` in the URL or
   ``PROPMAIL_SSM_PREFIX``): parameters ``{prefix}/server``, ``{prefix}/database``,
   ``{prefix}/username``, ``{prefix}/password``, read in one call with decryption (SecureString).
   The region is ``?ssm_region=`` or ``PROPMAIL_SSM_REGION``, else boto3's own default.

The password is held in a `Secret`, whose text is ``***``; every message that could carry it
goes through `propmail.redact.redact`, which knows the Secret's value.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import URL

from propmail.errors import InputError
from propmail.redact import MASK, redact, remember_secret

log = logging.getLogger(__name__)

ENV_SERVER = "PROPMAIL_MSSQL_SERVER"
ENV_DATABASE = "PROPMAIL_MSSQL_DATABASE"
ENV_USERNAME = "PROPMAIL_MSSQL_USERNAME"
ENV_PASSWORD = "PROPMAIL_MSSQL_PASSWORD"
ENV_SSM_PREFIX = "PROPMAIL_SSM_PREFIX"
ENV_SSM_REGION = "PROPMAIL_SSM_REGION"
FIELDS = ("server", "database", "username", "password")
ENVIRONMENT = dict(zip(FIELDS, (ENV_SERVER, ENV_DATABASE, ENV_USERNAME, ENV_PASSWORD), strict=True))

DRIVERS = {"mssql": "mssqlpython", "mssql+mssqlpython": "mssqlpython", "mssql+pyodbc": "pyodbc"}
DEFAULT_ODBC_DRIVER = "ODBC Driver 18 for SQL Server"
DEFAULT_LOGIN_TIMEOUT = 5  # seconds; a closed port otherwise takes 10-15 s to fail

# Query options of the URL that propmail reads itself (lower case); anything else must be an
# ODBC connection keyword of the list below and is passed to the driver unchanged.
OPTIONS = {
    "encrypt": "yes",
    "trustservercertificate": "no",
    "login_timeout": str(DEFAULT_LOGIN_TIMEOUT),
    "driver": DEFAULT_ODBC_DRIVER,
    "staging": "auto",
    "chunk_mb": "100",
    "clock": "server",
    "lock_timeout": "600",
    "ssm_prefix": "",
    "ssm_region": "",
}
ODBC_PASSTHROUGH = {
    "hostnameincertificate": "HostNameInCertificate",
    "servercertificate": "ServerCertificate",
    "applicationintent": "ApplicationIntent",
    "multisubnetfailover": "MultiSubnetFailover",
    "authentication": "Authentication",
    "trusted_connection": "Trusted_Connection",
    "connectretrycount": "ConnectRetryCount",
    "connectretryinterval": "ConnectRetryInterval",
    "packetsize": "PacketSize",
    "app": "APP",
}
STAGING = ("auto", "bulk", "json")
CLOCKS = ("server", "client")


class Secret:
    """A value that never prints: ``str()`` and ``repr()`` give ``***``.

    Its value is remembered by `propmail.redact` as it is made, so a driver's message that
    echoes it is masked too.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        remember_secret(value)

    def reveal(self) -> str:
        return self._value

    def __str__(self) -> str:
        return MASK

    def __repr__(self) -> str:
        return f"Secret({MASK})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(MASK)


@dataclass(frozen=True)
class Settings:
    """Everything needed to open a connection; ``repr`` shows no password."""

    driver: str  # mssqlpython | pyodbc
    server: str
    port: int | None
    database: str
    username: str | None
    password: Secret | None
    encrypt: str = "yes"
    trust_server_certificate: str = "no"
    login_timeout: int = DEFAULT_LOGIN_TIMEOUT
    odbc_driver: str = DEFAULT_ODBC_DRIVER
    staging: str = "auto"
    chunk_bytes: int = 100 * 1024 * 1024
    clock: str = "server"
    lock_timeout_ms: int = 600_000
    odbc_extra: tuple[tuple[str, str], ...] = ()
    sources: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def connection_string(self) -> str:
        """The ODBC-style connection string both drivers take (contains the password)."""
        host = f"tcp:{self.server}" + (f",{self.port}" if self.port else "")
        parts: list[tuple[str, str]] = []
        if self.driver == "pyodbc":
            parts.append(("DRIVER", self.odbc_driver))
        parts += [("Server", host), ("Database", self.database)]
        if self.username is not None:
            parts.append(("UID", self.username))
        if self.password is not None:
            parts.append(("PWD", self.password.reveal()))
        parts += [
            ("Encrypt", self.encrypt),
            ("TrustServerCertificate", self.trust_server_certificate),
        ]
        parts += list(self.odbc_extra)
        return ";".join(f"{k}={_odbc_value(v)}" for k, v in parts)

    def display(self) -> str:
        """A URL for messages and the summary: the password masked."""
        return URL.create(
            f"mssql+{self.driver}",
            username=self.username,
            password="-" if self.password is not None else None,  # rendered as ***
            host=self.server,
            port=self.port,
            database=self.database,
        ).render_as_string(hide_password=True)


def _odbc_value(value: str) -> str:
    """Brace a value that ODBC would otherwise split or trim."""
    if re.search(r"[;{}=\s]", value) or value != value.strip():
        return "{" + value.replace("}", "}}") + "}"
    return value


SsmFetch = Callable[[list[str], str | None], dict[str, str]]


def resolve(
    url: URL,
    environ: Mapping[str, str] | None = None,
    ssm_fetch: SsmFetch | None = None,
) -> Settings:
    """Settings from the URL, then the environment, then SSM (see the module docstring)."""
    environ = os.environ if environ is None else environ
    driver = DRIVERS.get(url.drivername)
    if driver is None:
        raise InputError(
            f"unsupported SQL Server driver {url.drivername!r}; use mssql+mssqlpython:// "
            "(Microsoft's mssql-python, the default) or mssql+pyodbc:// (needs an ODBC driver)",
            option="--db",
        )
    options, extra = _options(url)
    found: dict[str, str | None] = {
        "server": url.host,
        "database": url.database,
        "username": url.username,
        "password": url.password if isinstance(url.password, str) else None,
    }
    sources = {k: "url" for k, v in found.items() if v}
    for name, variable in ENVIRONMENT.items():
        if not found[name] and environ.get(variable):
            found[name] = environ[variable]
            sources[name] = f"environment {variable}"
    prefix = options["ssm_prefix"] or environ.get(ENV_SSM_PREFIX, "")
    missing = [name for name in FIELDS if not found[name]]
    if prefix and missing:
        region = options["ssm_region"] or environ.get(ENV_SSM_REGION) or None
        fetched = (ssm_fetch or fetch_ssm_parameters)(
            [ssm_name(prefix, name) for name in missing], region
        )
        for name in missing:
            value = fetched.get(ssm_name(prefix, name))
            if value:
                found[name] = value
                sources[name] = f"SSM {ssm_name(prefix, name)}"
    server, port = _server_and_port(found["server"], url.port)
    integrated = any(k in ("Authentication", "Trusted_Connection") for k, _ in extra)
    needed = ["server", "database"] + ([] if integrated else ["username", "password"])
    absent = [name for name in needed if not found[name]]
    if absent:
        raise InputError(
            "SQL Server connection is missing "
            + ", ".join(absent)
            + "; give it in the URL, "
            + ", ".join(ENVIRONMENT[n] for n in absent)
            + (f", or SSM parameters under {prefix}" if prefix else f", or set {ENV_SSM_PREFIX}"),
            option="--db",
        )
    settings = Settings(
        driver=driver,
        server=server,
        port=port,
        database=str(found["database"]),
        username=found["username"],
        password=Secret(found["password"]) if found["password"] else None,
        encrypt=options["encrypt"],
        trust_server_certificate=options["trustservercertificate"],
        login_timeout=_positive_int(options, "login_timeout"),
        odbc_driver=options["driver"],
        staging=_choice(options, "staging", STAGING),
        chunk_bytes=_positive_int(options, "chunk_mb") * 1024 * 1024,
        clock=_choice(options, "clock", CLOCKS),
        lock_timeout_ms=_positive_int(options, "lock_timeout") * 1000,
        odbc_extra=tuple(extra),
        sources=tuple(sorted(sources.items())),
    )
    log.debug(
        "SQL Server %s: %s",
        settings.display(),
        ", ".join(f"{k} from {v}" for k, v in settings.sources),
    )
    return settings


def ssm_name(prefix: str, name: str) -> str:
    return f"{prefix.rstrip('/')}/{name}"


def _options(url: URL) -> tuple[dict[str, str], list[tuple[str, str]]]:
    options = dict(OPTIONS)
    extra: list[tuple[str, str]] = []
    for key, value in url.query.items():
        text = value[-1] if isinstance(value, tuple) else value
        lowered = key.lower()
        if lowered in options:
            options[lowered] = text
        elif lowered in ODBC_PASSTHROUGH:
            extra.append((ODBC_PASSTHROUGH[lowered], text))
        else:
            known = sorted([*OPTIONS, *ODBC_PASSTHROUGH])
            raise InputError(
                f"unknown SQL Server URL option {key!r} (known: {', '.join(known)})", option="--db"
            )
    return options, extra


def _server_and_port(server: str | None, port: int | None) -> tuple[str, int | None]:
    text = (server or "").strip()
    if text.lower().startswith("tcp:"):
        text = text[4:]
    match = re.fullmatch(r"(.+?)[,:](\d+)", text)
    if match and port is None:
        return match.group(1), int(match.group(2))
    return text, port


def _positive_int(options: dict[str, str], key: str) -> int:
    try:
        value = int(options[key])
    except ValueError:
        value = 0
    if value <= 0:
        raise InputError(
            f"URL option {key} must be a positive whole number, got {options[key]!r}", option="--db"
        )
    return value


def _choice(options: dict[str, str], key: str, allowed: tuple[str, ...]) -> str:
    value = options[key].lower()
    if value not in allowed:
        raise InputError(
            f"URL option {key} must be one of {', '.join(allowed)}, got {value!r}", option="--db"
        )
    return value


# -- AWS SSM Parameter Store -------------------------------------------------------------------

# botocore logs whole HTTP response bodies at DEBUG, which for GetParameters with decryption
# holds the decrypted SecureString: its loggers are held at INFO while the call runs.
_AWS_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer")


@contextmanager
def _quiet_aws_logging() -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in _AWS_LOGGERS]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        if lg.getEffectiveLevel() < logging.INFO:
            lg.setLevel(logging.INFO)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def fetch_ssm_parameters(names: list[str], region: str | None = None) -> dict[str, str]:
    """Parameter values by name, decrypted, in one GetParameters call; absent names left out."""
    try:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        raise InputError(
            "reading credentials from AWS SSM needs boto3: pip install 'propmail[mssql]'",
            option="--db",
        ) from None
    with _quiet_aws_logging():
        try:
            client: Any = boto3.client("ssm", region_name=region) if region else boto3.client("ssm")
            response = client.get_parameters(Names=names, WithDecryption=True)
        except (BotoCoreError, ClientError) as exc:
            # the message names the parameters and the AWS error, never a value
            raise InputError(
                f"cannot read SSM parameters {', '.join(names)}: "
                f"{type(exc).__name__}: {redact(str(exc))}",
                option="--db",
            ) from None
    values = {p["Name"]: p["Value"] for p in response.get("Parameters", [])}
    if response.get("InvalidParameters"):
        log.info("SSM parameters not found: %s", ", ".join(response["InvalidParameters"]))
    return values


def with_ssm_prefix(url: URL, ssm_prefix: str | None) -> str:
    """`url` (a SQL Server URL) with its credentials read from AWS SSM Parameter Store under
    `ssm_prefix` (else $PROPMAIL_SSM_PREFIX)."""
    prefix = ssm_prefix or os.environ.get(ENV_SSM_PREFIX)
    if not prefix:
        raise InputError(
            f"use_aws_credentials needs ssm_prefix=... or {ENV_SSM_PREFIX}", column="ssm_prefix"
        )
    if url.get_backend_name() != "mssql":
        raise InputError(
            "AWS SSM credentials are for SQL Server (mssql+...) URLs", column="connection_string"
        )
    return url.update_query_dict({"ssm_prefix": prefix}).render_as_string(hide_password=False)
