"""A real SMTP server on loopback (aiosmtpd) that keeps what it accepts, and misbehaves when
asked: the peer of the email tests and of the catalogue's email cases."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import email.utils
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

LONG_LINE = "x" * 9000  # smtplib reads reply lines of at most 8 KB


@dataclass
class Inbox:
    """An SMTP handler: the messages it accepted, with their envelope recipients.

    Misbehaviours: `refuse` (550 to RCPT), `busy` (that many 451 replies to RCPT first),
    `rcpt_reply` (this reply to every RCPT), `drop_before_data` (close the connection at RCPT
    once that many messages were accepted), `lose_reply` (keep the message, then close the
    connection without a reply), `after_data` (this reply to the whole message, once kept),
    `refuse_greeting` (EHLO and HELO refused), `hold_first` (keep the first message's reply
    until a second client has said EHLO, so that two runs overlap).
    """

    messages: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # each message as it arrived
    envelopes: list[list[str]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    busy: dict[str, int] = field(default_factory=dict)
    rcpt_reply: str | None = None
    drop_before_data: int | None = None
    lose_reply: bool = False
    after_data: str | None = None
    refuse_greeting: bool = False
    hold_first: bool = False
    overlapped: bool = False
    _clients: set[int] = field(default_factory=set)
    _second: asyncio.Event | None = None

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        if self.refuse_greeting:
            return ["502 5.5.2 EHLO not accepted here"]
        self._clients.add(id(session))
        if len(self._clients) >= 2:
            self.overlapped = True
            self._event().set()
        session.host_name = hostname
        return responses

    async def handle_HELO(self, server, session, envelope, hostname):
        if self.refuse_greeting:
            return "550 5.7.1 Go away"
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_RCPT(self, server, session, envelope, address, options):
        if self.drop_before_data is not None and len(self.messages) >= self.drop_before_data:
            server.transport.close()
            return "421 4.3.2 Going away"
        if self.rcpt_reply is not None:
            return self.rcpt_reply
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        if self.busy.get(address):
            self.busy[address] -= 1
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.hold_first and not self.messages:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event().wait(), 60)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)
        self.raw.append(envelope.content)
        self.envelopes.append(list(envelope.rcpt_tos))
        if self.lose_reply:
            server.transport.close()
        return self.after_data or "250 OK queued"

    def recipients(self) -> list[str]:
        """The envelope recipients of every message kept, in order."""
        return [address for rcpt_tos in self.envelopes for address in rcpt_tos]

    def header_recipients(self) -> list[list[str]]:
        """The addresses in each kept message's To, Cc and Bcc, as mail programs read them."""
        return [recipients(raw) for raw in self.raw]

    def _event(self) -> asyncio.Event:
        if self._second is None:
            self._second = asyncio.Event()
        return self._second


def recipients(raw: bytes) -> list[str]:
    """Every address in a message's To, Cc and Bcc headers, read both as today's and as
    older mail programs split them."""
    modern = email.message_from_bytes(raw, policy=email.policy.default)
    legacy = email.message_from_bytes(raw)
    found = []
    for name in ("To", "Cc", "Bcc"):
        found += [a.addr_spec for h in modern.get_all(name, []) for a in h.addresses]
        found += [pair[1] for pair in email.utils.getaddresses(legacy.get_all(name, []))]
    return sorted(set(found))


def free_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def running(handler: Inbox, **options: Any) -> Iterator[int]:
    """Serve `handler` on a free loopback port for the block; yield the port."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()
