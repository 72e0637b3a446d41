"""`r2r email` against a real SMTP server on loopback: exactly once, through faults and TLS."""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import html.parser
import json
import os
import shutil
import sqlite3
import ssl
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from generator.mail.delivery import SmtpOverrides, email_plans
from generator.mail.smtp import SmtpSender

from .conftest import REPO, Scratch, make_scratch
from .mailserver import Inbox, free_port, running

pytestmark = pytest.mark.slow

LEDGER = "email-ledger.sqlite"

AS_OF = dt.date(2026, 11, 23)
EMAIL_SETTINGS = """
[email]
sender = "Test Clinic <plans@test-clinic.example>"
reply_to = "desk@test-clinic.example"
subject = "Your running plan from Test Clinic"
smtp_host = "127.0.0.1"
smtp_port = 25
smtp_security = "none"
"""
PATIENTS = ["P1001", "P1002", "P1005"]


@pytest.fixture
def inbox():
    handler = Inbox()
    with running(handler) as port:
        yield handler, port


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A project whose example patients' plans are made once for the module."""
    scratch = make_scratch(tmp_path_factory.mktemp("email") / "project")
    scratch.write("site.toml", (scratch.root / "site.toml").read_text() + EMAIL_SETTINGS)
    (scratch.root / "patients").mkdir()
    for patient_id in PATIENTS:
        shutil.copy(
            REPO / "examples" / "patients" / f"{patient_id}.yaml", scratch.root / "patients"
        )
    result = scratch.cli("plans", str(scratch.root / "patients"), "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    return scratch.root


@pytest.fixture
def project(built, tmp_path) -> Scratch:
    root = tmp_path / "project"
    shutil.copytree(built, root)
    return Scratch(root)


def send(project: Scratch, port: int, as_of: dt.date = AS_OF, **options):
    return email_plans(
        project.project,
        [project.root / "patients"],
        as_of=as_of,
        overrides=SmtpOverrides("127.0.0.1", port, options.pop("security", None)),
        sender_factory=lambda config: SmtpSender(config, backoff=0.01),
        **options,
    )


def email_command(project: Scratch, port: int) -> list[str]:
    """`r2r email` of the project's patients to the server on loopback at `port`."""
    return [
        "email",
        str(project.root / "patients"),
        "--as-of",
        AS_OF.isoformat(),
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(port),
        "--smtp-security",
        "none",
    ]


def test_each_patient_gets_one_message_with_their_own_plan(project, inbox):
    server, port = inbox
    report = send(project, port)
    assert report.exit_code == 0 and sorted(report.sent) == PATIENTS
    assert sorted(server.recipients()) == [
        "maya.okafor@example.org",
        "samuel.wright@example.org",
        "tomas.herrera@example.org",
    ]
    for message in server.messages:
        patient_id = {
            "maya.okafor@example.org": "P1001",
            "tomas.herrera@example.org": "P1002",
            "samuel.wright@example.org": "P1005",
        }[message["To"].addresses[0].addr_spec]
        folder = project.root / "output" / "plans" / patient_id
        assert message["Subject"] == "Your running plan from Test Clinic"
        assert message["From"] == "Test Clinic <plans@test-clinic.example>"
        assert message["Reply-To"] == "desk@test-clinic.example"
        attachments = {
            part.get_filename(): part.get_payload(decode=True)
            for part in message.iter_attachments()
        }
        assert attachments["plan.pdf"] == (folder / "plan.pdf").read_bytes()
        assert attachments["plan.ics"] == (folder / "plan.ics").read_bytes()
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert "This is education. It supports, but does not replace" in text
        assert "<p>Hello " in html and "stop" in html.lower()
    tomas = next(m for m in server.messages if "tomas" in str(m["To"]))
    assert str(tomas["To"]) == "Tomás Herrera <tomas.herrera@example.org>"
    assert (
        "Your next session: 23 November 2026, 4 × (run 2½ min, walk 2½ min)."
        in tomas.get_body(("plain",)).get_content()
    )


def test_a_second_run_sends_nothing_and_a_changed_plan_is_sent_again(project, inbox):
    server, port = inbox
    assert send(project, port).exit_code == 0
    again = send(project, port)
    assert again.sent == [] and sorted(again.skipped) == PATIENTS and len(server.messages) == 3
    maya = project.root / "patients" / "P1001.yaml"
    maya.write_text(
        maya.read_text().replace("run_days: [tue, thu, sat]", "run_days: [mon, wed, fri]")
    )
    changed = send(project, port)
    assert changed.sent == ["P1001"] and len(server.messages) == 4
    resent = send(project, port, resend=True)
    assert sorted(resent.sent) == PATIENTS and len(server.messages) == 7
    ids = [str(m["Message-ID"]) for m in server.messages]
    assert len(set(ids)) == 7  # a deliberate resend is a new message, not a duplicate


def test_the_same_file_on_another_day_sends_nothing_and_a_new_check_in_sends_once(project, inbox):
    server, port = inbox
    assert send(project, port).exit_code == 0 and len(server.messages) == 3
    for later in (AS_OF + dt.timedelta(days=1), AS_OF + dt.timedelta(days=9)):
        again = send(project, port, as_of=later)
        assert again.sent == [] and sorted(again.skipped) == PATIENTS, later
    assert len(server.messages) == 3
    tomas = project.root / "patients" / "P1002.yaml"
    tomas.write_text(
        tomas.read_text()
        + "  - {date: 2026-11-23, stage: 5, pain_during: 2, pain_next_morning: 1}\n"
    )
    amber = send(project, port, as_of=AS_OF + dt.timedelta(days=2))
    assert amber.sent == ["P1002"] and len(server.messages) == 4
    assert send(project, port, as_of=AS_OF + dt.timedelta(days=3)).sent == []
    text = server.messages[-1].get_body(("plain",)).get_content()
    assert "What changed in your calendar since your last plan:" in text
    assert "Google Calendar and Outlook, only add the new ones" in text
    assert ": moved from " in text


def ledger_rows(project: Scratch) -> list[tuple[str, str, str]]:
    """(patient, state, Message-ID) of every row of the project's ledger, by patient."""
    with contextlib.closing(sqlite3.connect(project.root / "output" / LEDGER)) as db:
        query = "SELECT patient, state, message_id FROM messages ORDER BY patient"
        return db.execute(query).fetchall()


def test_the_ledger_records_each_message_privately(project, inbox):
    server, port = inbox
    send(project, port)
    ledger = project.root / "output" / LEDGER
    assert ledger.read_bytes().startswith(b"SQLite format 3\x00")
    assert stat.S_IMODE(ledger.stat().st_mode) == 0o600
    sent = {str(m["To"].addresses[0].addr_spec): str(m["Message-ID"]) for m in server.messages}
    assert ledger_rows(project) == [
        ("P1001", "sent", sent["maya.okafor@example.org"]),
        ("P1002", "sent", sent["tomas.herrera@example.org"]),
        ("P1005", "sent", sent["samuel.wright@example.org"]),
    ]
    assert b"example.org" not in ledger.read_bytes()  # ids only, no addresses


def test_a_refused_recipient_fails_alone_and_a_rerun_sends_only_it(project, inbox):
    server, port = inbox
    server.refuse.add("tomas.herrera@example.org")
    report = send(project, port)
    assert sorted(report.sent) == ["P1001", "P1005"]
    assert [str(p) for p in report.failed] == [
        "P1002: not sent: the server refused it: 550 5.1.1 No such mailbox"
    ]
    assert report.exit_code == 1
    server.refuse.clear()
    rerun = send(project, port)
    assert rerun.sent == ["P1002"] and sorted(rerun.skipped) == ["P1001", "P1005"]
    assert sorted(server.recipients()) == sorted(set(server.recipients()))


def test_a_temporary_failure_is_retried(project, inbox):
    server, port = inbox
    server.busy["maya.okafor@example.org"] = 2
    report = send(project, port)
    assert report.exit_code == 0 and len(server.messages) == 3


def test_a_connection_dropped_before_the_data_is_retried_then_given_up(project, inbox):
    server, port = inbox
    server.drop_before_data = 1
    first = send(project, port)
    assert len(first.sent) == 1 and len(first.failed) == 2
    assert all(
        "the connection was lost" in message and "gave up after 3 attempts" in message
        for message in (p.message for p in first.failed)
    )
    assert [row[0] for row in ledger_rows(project)] == first.sent  # no claim is left behind
    server.drop_before_data = None
    second = send(project, port)
    assert sorted(first.sent + second.sent) == PATIENTS and second.skipped == first.sent
    assert sorted(server.recipients()) == sorted(set(server.recipients()))
    assert len(server.messages) == 3


def test_a_server_that_is_down_is_reported_for_every_message(project):
    report = send(project, free_port())
    assert report.sent == [] and len(report.failed) == 3
    assert all("cannot reach the mail server 127.0.0.1" in p.message for p in report.failed)
    assert ledger_rows(project) == []


@pytest.fixture
def tls_inbox(project):
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    ca.cert_pem.write_to_path(str(project.root / "clinic-ca.pem"))

    def authenticate(server, session, envelope, mechanism, data):
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"clinic",
            b"s3cret",
        )
        return AuthResult(success=ok, handled=False)

    handler = Inbox()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=server_context,
        require_starttls=True,
        auth_required=True,
        authenticator=authenticate,
    )
    controller.start()
    yield handler, controller.port
    controller.stop()


def test_starttls_with_a_login_from_the_environment(project, tls_inbox, monkeypatch):
    server, port = tls_inbox
    settings = project.root / "site.toml"
    settings.write_text(
        settings.read_text().replace(
            'smtp_security = "none"', 'smtp_security = "starttls"\nca_file = "clinic-ca.pem"'
        )
    )
    monkeypatch.setenv("R2R_SMTP_USERNAME", "clinic")
    monkeypatch.setenv("R2R_SMTP_PASSWORD", "s3cret")
    report = send(project, port)
    assert report.exit_code == 0 and len(server.messages) == 3

    monkeypatch.setenv("R2R_SMTP_PASSWORD", "wrong")
    refused = send(project, port, resend=True)
    assert {p.message for p in refused.failed} == {
        "not sent: the mail server refused the login: check the user name and password variables"
    }


def test_an_untrusted_certificate_stops_the_batch(project, tls_inbox, monkeypatch):
    _, port = tls_inbox
    settings = project.root / "site.toml"
    settings.write_text(
        settings.read_text().replace('smtp_security = "none"', 'smtp_security = "starttls"')
    )
    report = send(project, port)
    assert report.sent == [] and len(report.failed) == 3
    assert "certificate verify failed" in report.failed[0].message


def test_no_starttls_means_no_sending_in_the_clear(project, inbox, monkeypatch):
    _, port = inbox
    report = send(project, port, security="starttls")
    assert {p.message for p in report.failed} == {
        "not sent: 127.0.0.1 does not offer STARTTLS; refusing to send in the clear "
        "(use smtp_security = ssl if the server expects it)"
    }


def test_a_password_is_never_sent_in_the_clear_to_another_host(project, monkeypatch):
    monkeypatch.setenv("R2R_SMTP_PASSWORD", "s3cret")
    report = email_plans(
        project.project,
        [project.root / "patients"],
        as_of=AS_OF,
        overrides=SmtpOverrides("mail.test-clinic.example", 25, "none"),
    )
    assert {p.message for p in report.failed} == {
        "not sent: refusing to send the password unencrypted: set smtp_security to starttls or ssl"
    }


def test_a_dry_run_writes_private_eml_files_and_sends_nothing(project, inbox):
    server, port = inbox
    result = project.cli(
        "email",
        str(project.root / "patients"),
        "--as-of",
        AS_OF.isoformat(),
        "--dry-run",
        "--smtp-port",
        str(port),
    )
    assert result.exit_code == 0, result.output
    assert "email (dry run): 3 message(s) written to the outbox" in result.output
    outbox = project.root / "output" / "outbox"
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o700
    assert sorted(p.name for p in outbox.iterdir()) == [f"{p}.eml" for p in PATIENTS]
    draft = email.message_from_bytes(
        (outbox / "P1001.eml").read_bytes(), policy=email.policy.default
    )
    assert (
        draft["X-Unsent"] == "1" and draft["To"].addresses[0].addr_spec == "maya.okafor@example.org"
    )
    assert server.messages == []
    assert not (project.root / "output" / LEDGER).exists()


def test_without_a_terminal_the_cli_sends_only_with_yes(project, inbox):
    server, port = inbox
    refused = project.cli(*email_command(project, port))
    assert refused.exit_code == 2
    assert "no terminal to ask on before sending: give --yes" in refused.output
    assert server.messages == []
    result = project.cli(*email_command(project, port), "--yes")
    assert result.exit_code == 0, result.output
    assert "email: 3 sent, 0 skipped as already sent, 0 failed" in result.output
    for word in ("maya.okafor", "Okafor", "tomas.herrera"):
        assert word not in result.output


def test_a_patient_without_an_address_is_reported_and_skipped(project, inbox):
    _server, port = inbox
    sam = project.root / "patients" / "P1005.yaml"
    sam.write_text(sam.read_text().replace("email: samuel.wright@example.org\n", ""))
    report = send(project, port)
    assert sorted(report.sent) == ["P1001", "P1002"]
    assert [str(p) for p in report.failed] == [
        f"{sam}: email: is needed to email the plan; the plan was made"
    ]


def test_sending_needs_an_email_section(scratch):
    result = scratch.cli("email", str(REPO / "examples" / "patients" / "P1001.yaml"), "--yes")
    assert result.exit_code == 2
    assert "error: site.toml: has no [email] section" in result.output


def test_two_runs_at_once_send_each_plan_exactly_once(project):
    server = Inbox(hold_first=True)  # the first message waits until the other run connects
    with running(server) as port:
        command = ["--project", str(project.root), *email_command(project, port), "--yes"]
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "generator", *command, "--jobs", "1"],
                cwd=project.root,
                env={**os.environ, "PYTHONPATH": str(REPO)},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert server.overlapped  # both runs were connected while a message was being sent
    assert sorted(server.recipients()) == [
        "maya.okafor@example.org",
        "samuel.wright@example.org",
        "tomas.herrera@example.org",
    ]
    assert [(row[0], row[1]) for row in ledger_rows(project)] == [
        (patient, "sent") for patient in PATIENTS
    ]
    sent = [int(err.split("email: ")[1].split(" sent")[0]) for _out, err in outputs]
    assert sum(sent) == 3 and all("Traceback" not in err for _out, err in outputs)


def test_the_old_ledger_is_imported_once_and_its_plans_are_not_sent_again(project, inbox):
    server, port = inbox
    assert send(project, port).exit_code == 0
    rows = ledger_rows(project)
    with contextlib.closing(sqlite3.connect(project.root / "output" / LEDGER)) as db:
        versions = dict(db.execute("SELECT patient, version FROM messages").fetchall())
    (project.root / "output" / LEDGER).unlink()
    old = project.root / "output" / "email-ledger.jsonl"
    lines = [  # as the JSON-lines ledger wrote them, with a line a crash cut short
        json.dumps(
            {"patient": p, "version": versions[p], "message_id": m, "sent": "2026-11-20T09:00:00"}
        )
        for p, _state, m in rows[:2]
    ]
    old.write_text(lines[0] + '\n{"patient": "P10\n' + lines[1] + "\n")
    upgraded = send(project, port)
    assert upgraded.sent == ["P1005"] and upgraded.skipped == ["P1001", "P1002"]
    assert len(server.messages) == 4
    old.write_text("no longer read\n")
    again = send(project, port)
    assert again.exit_code == 0 and again.sent == [] and len(server.messages) == 4


class _Visible(html.parser.HTMLParser):
    """The text of an HTML message as a reader sees it: hidden preheader, style and title
    left out; and every picture it would load."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.images: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        style = dict(attrs).get("style") or ""
        if tag in ("style", "title", "head") or "display: none" in style:
            self._hidden += 1
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title", "head", "div") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.text.append(" ".join(data.split()))


def test_the_html_message_is_branded_and_says_the_next_step_first(project):
    report = send(project, 1, dry_run=True)
    assert report.exit_code == 0
    draft = email.message_from_bytes(
        (project.root / "output" / "outbox" / "P1001.eml").read_bytes(),
        policy=email.policy.default,
    )
    body = draft.get_body(("html",)).get_content()
    plain = draft.get_body(("plain",)).get_content()
    reader = _Visible()
    reader.feed(body)
    clinic = "Test Clinic & Physio"
    assert reader.text[0] == clinic  # the header names the clinic, in text
    assert reader.text[2].startswith("Your next session: ")  # then what to do next
    assert reader.text[2] in " ".join(plain.split())
    assert reader.images == []  # nothing to load: the same with images off
    assert "background: #0b5f73" in body  # the clinic's colour (site.toml's default)
    assert '<meta name="color-scheme" content="light dark">' in body
    assert "@media (prefers-color-scheme: dark)" in body
    assert "&amp;" in body and "Test Clinic & Physio" not in body  # escaped
