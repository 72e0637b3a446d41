"""Talking to the clinic's SMTP server: TLS checked, credentials from the environment, retries.

A temporary failure (a 4xx reply, a dropped or timed-out connection) is retried a bounded
number of times with a growing pause, on a fresh connection. A permanent refusal (5xx) fails
that message only. Some failures stop the whole batch, because every later message would meet
them too: the server cannot be reached, the login is refused, the certificate is not trusted,
or the server offers no STARTTLS (the tool never falls back to sending in the clear).
"""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Literal

Security = Literal["starttls", "ssl", "none"]
LOOPBACK = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to connect; the credentials come from the environment."""

    host: str
    port: int
    security: Security
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    ca_file: Path | None = None


class Refused(Exception):
    """The server refused this message for good (5xx), or kept failing it: it is not sent."""


class Stopped(Exception):
    """The batch cannot go on: no later message could be sent either."""


class SmtpSender:
    """One connection, reused for a batch and reopened after a temporary failure."""

    def __init__(
        self,
        config: SmtpConfig,
        *,
        attempts: int = 3,
        backoff: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if config.password and config.security == "none" and config.host not in LOOPBACK:
            raise Stopped(
                "refusing to send the password unencrypted: set smtp_security to starttls or ssl"
            )
        self.config = config
        self.attempts = attempts
        self.backoff = backoff
        self.sleep = sleep
        self._connection: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._drop(quit=True)

    def send(self, message: EmailMessage) -> None:
        """Send one message; raise `Refused` (this message) or `Stopped` (the batch)."""
        for attempt in range(1, self.attempts + 1):
            try:
                self._connect().send_message(message)
                return
            except smtplib.SMTPRecipientsRefused as error:
                code, reply = next(iter(error.recipients.values()))
                self._after_reply(code, reply, attempt)
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
                self._after_reply(error.smtp_code, error.smtp_error, attempt)
            except (TimeoutError, smtplib.SMTPServerDisconnected, ConnectionError) as error:
                self._drop()
                self._retry_or_refuse(attempt, f"the connection was lost ({error})")

    def _after_reply(self, code: int, reply: bytes | str, attempt: int) -> None:
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
        if 400 <= code < 500:
            self._drop()
            self._retry_or_refuse(attempt, f"the server replied {code} {text}")
            return
        raise Refused(f"the server refused it: {code} {text}")

    def _retry_or_refuse(self, attempt: int, reason: str) -> None:
        if attempt >= self.attempts:
            raise Refused(f"{reason}; gave up after {self.attempts} attempts")
        self.sleep(self.backoff * 2 ** (attempt - 1))

    def _connect(self) -> smtplib.SMTP:
        if self._connection is not None:
            return self._connection
        config = self.config
        context = ssl.create_default_context(cafile=str(config.ca_file) if config.ca_file else None)
        last: Exception | None = None
        for attempt in range(1, self.attempts + 1):
            try:
                self._connection = self._open(context)
                return self._connection
            except (
                smtplib.SMTPAuthenticationError,
                smtplib.SMTPNotSupportedError,
                ssl.SSLError,
            ) as error:
                raise Stopped(_fatal_reason(error, config)) from None
            except (OSError, smtplib.SMTPException) as error:
                last = error
                if attempt < self.attempts:
                    self.sleep(self.backoff * 2 ** (attempt - 1))
        raise Stopped(f"cannot reach the mail server {config.host}:{config.port} ({last})")

    def _open(self, context: ssl.SSLContext) -> smtplib.SMTP:
        config = self.config
        connection: smtplib.SMTP
        if config.security == "ssl":
            connection = smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout, context=context
            )
        else:
            connection = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        try:
            if config.security == "starttls":
                connection.ehlo()
                if not connection.has_extn("starttls"):
                    raise smtplib.SMTPNotSupportedError("the server does not offer STARTTLS")
                connection.starttls(context=context)
                connection.ehlo()
            if config.username and config.password:
                connection.login(config.username, config.password)
        except BaseException:
            connection.close()
            raise
        return connection

    def _drop(self, *, quit: bool = False) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if quit:
                connection.quit()
            else:
                connection.close()
        except (OSError, smtplib.SMTPException):
            connection.close()


def _fatal_reason(error: Exception, config: SmtpConfig) -> str:
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return "the mail server refused the login: check the user name and password variables"
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return (
            f"{config.host} does not offer STARTTLS; refusing to send in the clear "
            "(use smtp_security = ssl if the server expects it)"
        )
    return f"the TLS connection to {config.host} failed: {error}"
