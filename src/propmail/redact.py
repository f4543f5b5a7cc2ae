"""Database passwords kept out of every message: log lines, errors, the summary, UploadLog.

A password reaches propmail inside a connection URL (``postgresql+psycopg://u:secret@h/db``,
or ``?password=secret``, or an ODBC string's ``PWD=secret``). Driver errors can echo the URL
or the DSN they were given, so masking the URL where propmail prints it is not enough: every
password of a URL the process connected with is remembered and masked wherever it shows up,
and text that merely looks like a URL or DSN with a password has that part masked too. This is
the one masker: a password read from elsewhere (SQL Server's `Secret`, from the environment or
AWS SSM) is remembered here too, with `remember_secret`.

>>> from sqlalchemy.engine import make_url
>>> remember(make_url("postgresql+psycopg://loader:s3cr%40t@db:5432/mail"))
>>> redact("connection to loader:s3cr@t@db failed")
'connection to loader:***@db failed'
>>> display_url(make_url("postgresql://u@h/db?password=hunter2&sslmode=require"))
'postgresql://u@h/db?password=***&sslmode=require'
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING
from urllib.parse import quote, quote_plus

if TYPE_CHECKING:  # the command line starts without SQLAlchemy
    from sqlalchemy.engine import URL

MASK = "***"
MIN_KNOWN = 4
# query or DSN keys that carry a secret (PostgreSQL libpq, ODBC connection strings)
SECRET_KEYS = ("password", "passwd", "pwd")
# keys whose value is masked wherever they show up in a message
MASKED_KEYS = (*SECRET_KEYS, "secret", "token")

_known: set[str] = set()

# scheme://user:PASSWORD@host
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/?#@\s]*:)[^\s/?#]*?(?=@)")
# password=PASSWORD, PWD={PASS;WORD}; (a DSN, a query string, an ODBC connection string, whose
# braced values escape a closing brace by doubling it)
_KEY_VALUE = re.compile(
    r"(?P<head>\b(?:" + "|".join(MASKED_KEYS) + r")\s*[=:]\s*)"
    r"(?:'[^']*'|\"[^\"]*\"|\{(?:[^}]|\}\})*\}|[^\s;&'\",)]+)",
    re.IGNORECASE,
)


def remember(url: URL) -> None:
    """Mask this URL's password (and any password in its query) from now on."""
    secrets = [url.password] if url.password else []
    for key, value in url.query.items():
        if key.lower() in SECRET_KEYS:
            secrets += [value] if isinstance(value, str) else list(value)
    for secret in secrets:
        remember_secret(str(secret))


def remember_secret(secret: str) -> None:
    """Mask this password from now on, as written and in its URL-quoted forms."""
    # a password of a character or three would mask every such run in every message;
    # those are masked by their shape (user:PASSWORD@, password=...) only
    if len(secret) >= MIN_KNOWN:
        _known.update((secret, quote(secret, safe=""), quote_plus(secret)))


def redact(text: str) -> str:
    """`text` with every remembered password, and anything shaped like one, masked."""
    for secret in sorted(_known, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _URL_PASSWORD.sub(lambda m: m["head"] + MASK, text)
    return _KEY_VALUE.sub(lambda m: m["head"] + MASK, text)


def display_url(url: URL) -> str:
    """A URL to show an operator: the password masked, in the authority and in the query."""
    return redact(url.render_as_string(hide_password=True))


def masked_url(url: str | URL) -> str:
    """A URL given as text or parsed, as anything propmail writes shows it (a file, a report,
    bench.json, a message): its password masked, or the text masked where it does not parse.

    >>> masked_url("postgresql+psycopg://bench:pa/ss@db:5432/x")
    'postgresql+psycopg://bench:***@db:5432/x'
    """
    from sqlalchemy.engine import URL, make_url  # on first use: the command line starts without

    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except Exception:  # not a URL SQLAlchemy reads: mask what is shaped like a password
        return redact(str(url))
    return display_url(parsed)


class RedactingFilter(logging.Filter):
    """Masks passwords in a log record's message and in the traceback it carries."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Mask passwords in everything `logger`'s handlers write (the root logger's by default)."""
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


# propmail's own records are masked wherever the application sends them
logging.getLogger("propmail").addFilter(RedactingFilter())
