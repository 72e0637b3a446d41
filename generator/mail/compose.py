"""Composing the email that carries a patient's plan.

One message per patient, to the patient's own address: a short text body and an HTML
alternative from `templates/email/`, with `plan.pdf` and `plan.ics` attached, in the
patient's language. The subject says nothing about health: `site.toml`'s for the default
language if it gives one, else the interface text's, with the clinic's name. The message's
version is the plan's (what the patient sees, not the day it was printed) with the address
and the subject, so the
same plan made on another day is not sent again; the Message-ID is derived from it, so a
message re-sent after a lost reply can be recognised as the same message. The body lists the
sessions the new version moved or cancelled.

The recipient is built as a structured address, never by formatting text, and the finished
message is read back as a mail program reads it: unless its only recipient is the patient's
address and it holds no header we did not write, it is refused.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
import hashlib
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesHeaderParser

import jinja2

from generator.content.library import Library
from generator.content.settings import EmailOptions
from generator.content.strings import Strings
from generator.core.errors import Problem, RecordError
from generator.outputs.plan_state import PlanState
from generator.patients.model import Patient
from generator.patients.schedule import Schedule
from generator.render.environment import render


@dataclass(frozen=True)
class Outgoing:
    """A message ready to send or to write out, and the plan version it carries."""

    patient_id: str
    address: str
    version: str  # sha256 of the recipient, the subject and the plan's version
    message: EmailMessage


def message_version(address: str, subject: str, plan: str) -> str:
    """What makes two sendings of a plan the same message: the plan's version (see
    `generator.outputs.plan_state`), to the same address, under the same subject."""
    digest = hashlib.sha256()
    for part in (address, subject, plan):
        digest.update(hashlib.sha256(part.encode()).digest())
    return digest.hexdigest()


def subject_for(options: EmailOptions, strings: Strings, library: Library) -> str:
    """The subject line in the language of `strings`: `site.toml`'s for the default language
    if it gives one, else the interface text's with the clinic's name."""
    if options.subject and strings.language == library.settings.site.language:
        return options.subject
    return strings.email.subject.format(clinic=library.settings.clinic.name)


def compose(
    patient: Patient,
    schedule: Schedule,
    pdf: bytes,
    ics: bytes,
    *,
    strings: Strings,
    plan: PlanState,
    as_of: dt.date,
    library: Library,
    env: jinja2.Environment,
    now: dt.datetime,
    resend: bool = False,
) -> Outgoing:
    """The message for `patient` in the language of `strings` (the patient's); `RecordError`
    if an address or a header cannot be used."""
    options = _options(library)
    if not patient.email:
        raise RecordError([Problem("email", "is needed to email the plan; the plan was made")])
    subject = subject_for(options, strings, library)
    version = message_version(patient.email, subject, plan.version)
    context = {
        "patient": patient,
        "schedule": schedule,
        "changes": plan.changes,
        "as_of": as_of,
        "subject": subject,
        "t": strings,
    }
    message = EmailMessage(policy=email.policy.SMTP)
    try:
        message["To"] = Address(display_name=patient.name, addr_spec=patient.email)
    except (ValueError, TypeError, IndexError) as error:  # IndexError: a bare "name@"
        raise RecordError(
            [Problem("name", f"cannot be used in a message header: {error}")]
        ) from None
    try:
        message["From"] = options.sender
        if options.reply_to:
            message["Reply-To"] = options.reply_to
        message["Subject"] = subject
        message["Date"] = email.utils.format_datetime(now)
        message["Message-ID"] = _message_id(version, options.sender, now if resend else None)
    except (ValueError, TypeError) as error:  # a line break or other header injection
        raise RecordError(
            [Problem("email", f"cannot be used in a message header: {error}")]
        ) from None
    message.set_content(render(env, "email/plan.txt", **context))
    message.add_alternative(render(env, "email/plan.html", **context), subtype="html")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="plan.pdf")
    message.add_attachment(
        ics,
        maintype="text",
        subtype="calendar",
        filename="plan.ics",
        params={"method": "PUBLISH", "charset": "utf-8"},
    )
    if not addressed_only_to(message, patient.email):
        raise RecordError([Problem("name", MISREAD)])
    return Outgoing(patient.id, patient.email, version, message)


MISREAD = (
    "cannot be used in a message header: read back, the message would not go to the "
    "patient's address alone"
)


def addressed_only_to(message: EmailMessage, address: str) -> bool:
    """Whether `message`, read back from its bytes, has `address` as its one recipient and
    no header beyond those it was given (an encoded line break could add a Bcc)."""
    # Its header block exactly as the generator writes it (the same fold of each header),
    # without encoding the attachments: reading the whole message back took 20 times longer.
    raw = b"".join(message.policy.fold_binary(name, value) for name, value in message.raw_items())
    modern = BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
    legacy = BytesHeaderParser().parsebytes(raw)  # how older mail programs split the header
    if [name.lower() for name in modern] != [name.lower() for name in message]:
        return False
    read = [a.addr_spec for header in modern.get_all("To", []) for a in header.addresses]
    split = [pair[1] for pair in email.utils.getaddresses(legacy.get_all("To", []))]
    return read == [address] and split == [address]


def _options(library: Library) -> EmailOptions:
    if library.settings.email is None:
        raise RecordError([Problem("site.toml", "has no [email] section")])
    return library.settings.email


def _message_id(version: str, sender: str, resent_at: dt.datetime | None) -> str:
    domain = email.utils.parseaddr(sender)[1].rpartition("@")[2] or "return2run.invalid"
    token = version[:32]
    if resent_at is not None:
        token += f".{int(resent_at.timestamp())}"
    return f"<{token}@{domain}>"
