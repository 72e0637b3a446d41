"""Talking to the clinic's SMTP server: TLS checked, credentials from the environment, retries.

A message is handed over in two steps. Until its last byte is sent (MAIL, RCPT, DATA and the
message itself), nothing can have been delivered: a temporary failure (a 4xx reply, a dropped
or timed-out connection, a reply that cannot be read) is retried a bounded number of times
with a growing pause, on a fresh connection, and a permanent refusal (5xx) fails that message
only. Once the last byte is sent, the server's reply decides: a lost or unreadable reply means
the message may have been delivered (`Unconfirmed`), and it is never retried.

Some failures stop the whole batch, because every later message would meet them too: the
server cannot be reached or refuses our greeting, the login is refused or impossible, the
certificate is not trusted, or the server offers no STARTTLS (the tool never falls back to
sending in the clear). What a server replies is untrusted: it is shown without control
characters and cut short.
"""

from __future__ import annotations

import email.generator
import io
import re
import smtplib
import ssl
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Literal

Security = Literal["starttls", "ssl", "none"]
LOOPBACK = {"localhost", "127.0.0.1", "::1"}
SHOWN_REPLY = 200  # characters of a server's reply shown in a message


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
    """The message was not sent: refused for good (5xx), or it kept failing before its end."""


class Unconfirmed(Exception):
    """The whole message reached the server, but no usable reply came back: it may have been
    delivered, and it must not be sent again without asking."""


class Stopped(Exception):
    """The batch cannot go on: no later message could be sent either."""


class _Temporary(Exception):
    """A failure before the message was complete, worth another attempt."""


class SmtpSender:
    """One connection, reused for a batch and reopened after a failure."""

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

    def send(self, message: EmailMessage, recipient: str) -> None:
        """Send `message` to `recipient` (the envelope, whatever the headers say).

        Raises `Refused` (not sent), `Unconfirmed` (possibly delivered) or `Stopped` (the batch).
        """
        sender = message["From"].addresses[0].addr_spec
        data = wire_bytes(message)
        for attempt in range(1, self.attempts + 1):
            connection = self._connect()
            try:
                _hand_over(connection, sender, recipient, data)
                code, reply = _final_reply(connection)
            except _Temporary as problem:
                self._drop()
                self._pause_or_refuse(attempt, str(problem))
                continue
            except (Refused, Unconfirmed):
                self._drop()
                raise
            if 200 <= code < 300:
                return
            self._drop()
            if not 400 <= code < 500:
                raise Refused(f"the server refused it: {code} {shown(reply)}")
            self._pause_or_refuse(attempt, f"the server replied {code} {shown(reply)}")

    def _pause_or_refuse(self, attempt: int, reason: str) -> None:
        if attempt >= self.attempts:
            raise Refused(f"{reason}; gave up after {self.attempts} attempts")
        self.sleep(self.backoff * 2 ** (attempt - 1))

    def _connect(self) -> smtplib.SMTP:
        if self._connection is not None:
            return self._connection
        config = self.config
        context = ssl.create_default_context(cafile=str(config.ca_file) if config.ca_file else None)
        last = ""
        for attempt in range(1, self.attempts + 1):
            try:
                self._connection = self._open(context)
                return self._connection
            except ssl.SSLError as error:  # an OSError, but no later attempt would pass
                raise Stopped(f"the TLS connection to {config.host} failed: {error}") from None
            except (OSError, smtplib.SMTPException) as error:
                last = str(error) if isinstance(error, OSError) else described(error)
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
            _greet(connection)
            if config.security == "starttls":
                if not connection.has_extn("starttls"):
                    raise Stopped(
                        f"{config.host} does not offer STARTTLS; refusing to send in the clear "
                        "(use smtp_security = ssl if the server expects it)"
                    )
                connection.starttls(context=context)
                _greet(connection)
            if config.username and config.password:
                _log_in(connection, config.username, config.password)
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


def wire_bytes(message: EmailMessage) -> bytes:
    """The message as DATA carries it: CRLF line ends, a leading dot doubled, a final dot.

    Written out here, as `smtplib.SMTP.data` does, because that method sends the message and
    reads the reply in one call: a reply lost after the last byte would look like any other
    lost connection, and the message would be sent again though it may have been delivered.
    """
    buffer = io.BytesIO()
    email.generator.BytesGenerator(buffer).flatten(message, linesep="\r\n")
    data = re.sub(rb"(?m)^\.", b"..", buffer.getvalue())
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def _greet(connection: smtplib.SMTP) -> None:
    try:
        connection.ehlo_or_helo_if_needed()
    except smtplib.SMTPHeloError as error:
        if 400 <= error.smtp_code < 500:
            raise
        reply = f"{error.smtp_code} {shown(error.smtp_error)}"
        raise Stopped(f"the mail server refused our greeting (EHLO and HELO): {reply}") from None


def _log_in(connection: smtplib.SMTP, username: str, password: str) -> None:
    try:
        connection.login(username, password)
    except smtplib.SMTPAuthenticationError:
        raise Stopped(
            "the mail server refused the login: check the user name and password variables"
        ) from None
    except smtplib.SMTPNotSupportedError:
        raise Stopped(
            "the mail server offers no login on this connection: check smtp_security, or "
            "unset the user name and password variables"
        ) from None
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPResponseException):
        raise  # a lost or garbled connection: worth another attempt
    except smtplib.SMTPException as error:  # "No suitable authentication method found."
        raise Stopped(f"the mail server offers no login this tool can use ({error})") from None


def _hand_over(connection: smtplib.SMTP, sender: str, recipient: str, data: bytes) -> None:
    """MAIL, RCPT, DATA, then every byte of the message: nothing is delivered yet."""
    options = [f"size={len(data)}"] if connection.has_extn("size") else []
    try:
        _expect(connection.mail(sender, options), 250)
        _expect(connection.rcpt(recipient), 250, 251)
        _expect(connection.docmd("data"), 354)
        connection.send(data)  # a failure here leaves the final dot unsent: not delivered
    except (OSError, smtplib.SMTPException) as error:
        raise _Temporary(described(error)) from None


def _expect(reply: tuple[int, bytes], *wanted: int) -> None:
    code, text = reply
    if code in wanted:
        return
    if 400 <= code < 500:
        raise _Temporary(f"the server replied {code} {shown(text)}")
    raise Refused(f"the server refused it: {code} {shown(text)}")


def _final_reply(connection: smtplib.SMTP) -> tuple[int, bytes]:
    """The server's reply to the whole message; `Unconfirmed` when there is none to use."""
    try:
        code, reply = connection.getreply()
    except (OSError, smtplib.SMTPException) as error:
        raise Unconfirmed(described(error)) from None
    if not 200 <= code < 600:
        raise Unconfirmed(f"the server's reply could not be read: {shown(reply)}")
    return code, reply


def described(error: BaseException) -> str:
    """What went wrong with the connection, in words."""
    if isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError):
        return f"the connection was lost ({error})"
    if isinstance(error, TimeoutError):
        return "the server did not answer in time"
    if isinstance(error, smtplib.SMTPResponseException):
        if error.smtp_code == 500 and error.smtp_error == "Line too long.":
            return "the server's reply could not be read (a line over 8 KB)"
        return f"the server replied {error.smtp_code} {shown(error.smtp_error)}"
    return f"the connection failed ({shown(str(error))})"


def shown(reply: bytes | str) -> str:
    """A server's reply as it may be printed: no control characters, at most a line."""
    text = reply.decode("utf-8", errors="replace") if isinstance(reply, bytes) else reply
    text = "".join(" " if unicodedata.category(c).startswith("C") else c for c in text)
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_REPLY else text[: SHOWN_REPLY - 1] + "…"
