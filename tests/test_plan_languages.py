"""A plan in the patient's language, read back: the Spanish example patient's PDF (pypdf), its
calendar (icalendar) and its email (received by a real SMTP server on loopback, and written
as .eml by a dry run) are Spanish, with dates by Babel and no English interface text left."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import shutil
import string
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import icalendar
import pypdf
import pytest
from babel.dates import format_date
from click.testing import CliRunner

from generator.cli import main
from generator.content.strings import strings_file
from generator.core.project import Project
from generator.core.yamlio import parse_yaml
from generator.mail.delivery import SmtpOverrides, email_plans
from generator.mail.smtp import SmtpSender

from .conftest import REPO
from .mailserver import Inbox, running

pytestmark = pytest.mark.slow

AS_OF = dt.date(2026, 11, 23)
SPANISH, ENGLISH = "P1009", "P1001"  # the example patients with language: es, and without
CLINIC = "Harbourside Sports Physiotherapy"
# A topic's address (a PDF may break it over lines): its slug may hold English words.
ADDRESS = re.compile(r"\S*/\S*")


def leaves(data: Any) -> Iterator[tuple[str, str]]:
    """(key, text) for every text of a strings file, nested keys joined by dots."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from ((f"{key}.{k}", v) for k, v in leaves(value))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from ((f"{index}.{k}", v) for k, v in leaves(value))
    else:
        yield "", str(data)


def strings_texts(language: str) -> list[tuple[str, str]]:
    path = strings_file(REPO / "templates", language)
    return list(leaves(parse_yaml(path.read_text(encoding="utf-8"))))


def english_only() -> set[str]:
    """Every phrase of the English interface text that the Spanish text does not also use:
    each text cut at its placeholders and at the marks that end a phrase."""
    spanish = " ".join(text for _, text in strings_texts("es"))
    phrases = set()
    for key, text in strings_texts("en"):
        if "date_format" in key:
            continue  # a pattern for Babel, not words
        for literal, *_ in string.Formatter().parse(text):
            for phrase in re.split(r"[.:;!?()“”\"×]", literal):
                phrase = " ".join(phrase.split()).strip(" ,-")
                if re.search(r"[A-Za-z]{2}", phrase) and phrase not in spanish:
                    phrases.add(phrase)
    return phrases


ENGLISH_ONLY = english_only()


def english_left(text: str) -> list[str]:
    """The English interface phrases found, as whole words, in `text`."""
    words = " ".join(ADDRESS.sub(" ", text).split())
    return sorted(p for p in ENGLISH_ONLY if re.search(rf"(?<!\w){re.escape(p)}(?!\w)", words))


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The shipped project, with a Spanish and an English example patient's plans made."""
    root = tmp_path_factory.mktemp("languages") / "project"
    for name in ("content", "templates"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "site.toml", root / "site.toml")
    (root / "patients").mkdir()
    for patient_id in (SPANISH, ENGLISH):
        shutil.copy(REPO / "examples" / "patients" / f"{patient_id}.yaml", root / "patients")
    args = ["--project", str(root), "plans", str(root / "patients"), "--as-of", str(AS_OF)]
    made = CliRunner().invoke(main, args)
    assert made.exit_code == 0, made.output
    return root


def plan_text(root: Path, patient_id: str) -> str:
    reader = pypdf.PdfReader(root / "output" / "plans" / patient_id / "plan.pdf")
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_the_check_for_english_finds_english():
    # The check itself: it must find the English plan's words, and it covers the plan's texts.
    assert {"Your return-to-running plan", "Clinic review before stage", "Stage"} <= ENGLISH_ONLY
    assert english_left("Tick each one when it is done. Page 1 of 7") != []
    assert english_left("Su plan para volver a correr. Página 1 de 7") == []


def test_the_spanish_plan_pdf_is_spanish(project):
    text = plan_text(project, SPANISH)
    english = plan_text(project, ENGLISH)
    assert "Your return-to-running plan" in english and english_left(english) != []
    assert "Su plan para volver a correr" in text and "Para Lucía" in text
    # Dates and days by Babel, in Spanish.
    started = format_date(dt.date(2026, 10, 26), "long", locale="es")
    assert started == "26 de octubre de 2026"
    assert f"Usted empezó el {started}." in text
    assert "Este plan se hizo el 23 de noviembre de 2026." in text
    assert "Semana del 23 de noviembre de 2026" in text and "lun 23 nov" in text
    assert "Página 1 de" in text
    # The injury site and the protocol's texts come in Spanish from their data files.
    assert "Su lesión: la base del hueso largo del borde de fuera del pie, lado izquierdo" in text
    assert "Nombre médico: base del quinto metatarsiano." in text
    assert "Su programa: Programa de correr y caminar para una zona de alto riesgo" in text
    assert (
        "Antes de la etapa 6, una revisión en la clínica. Por qué: Su primera etapa en la que "
        "corre más de lo que camina."
    ) in text
    assert "4 × (correr 1 min, caminar 4 min)" in text and "Correr 30 min" in text
    assert "El 9 de noviembre de 2026 tuvo un día amarillo" in text
    assert "Llame a la clínica al +1 555 0100 el mismo día si nota" in text
    assert english_left(text) == []


def test_the_spanish_plan_declares_its_language(project):
    reader = pypdf.PdfReader(project / "output" / "plans" / SPANISH / "plan.pdf")
    assert reader.trailer["/Root"]["/Lang"] == "es"
    english = pypdf.PdfReader(project / "output" / "plans" / ENGLISH / "plan.pdf")
    assert english.trailer["/Root"]["/Lang"] == "en"


def test_the_spanish_calendar_events_are_spanish(project):
    raw = (project / "output" / "plans" / SPANISH / "plan.ics").read_bytes()
    calendar = icalendar.Calendar.from_ical(raw)
    assert str(calendar["X-WR-CALNAME"]) == f"Plan para correr ({CLINIC})"
    events = list(calendar.walk("VEVENT"))
    summaries = [str(event["SUMMARY"]) for event in events]
    starts = ("Correr y caminar, etapa ", "Revisión en la clínica antes de la etapa ")
    assert all(s.startswith(starts) or "(Hecho: " in s for s in summaries), summaries
    assert "Revisión en la clínica antes de la etapa 6" in summaries
    descriptions = [str(event["DESCRIPTION"]) for event in events]
    assert all("Deje de correr y llame a la clínica al +1 555 0100" in d for d in descriptions)
    assert any(
        "Dónde: Solo una pista de atletismo o una cinta de correr." in d for d in descriptions
    )
    alarms = [str(alarm["DESCRIPTION"]) for event in events for alarm in event.walk("VALARM")]
    assert alarms and all(a.startswith(starts) for a in alarms)
    assert english_left(" ".join(summaries + descriptions + alarms)) == []


def assert_spanish_message(message: EmailMessage) -> None:
    assert message["Subject"] == f"Su plan para correr de {CLINIC}"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert text.startswith("Hola, Lucía:")
    next_session = "23 de noviembre de 2026, 4 × (correr 1½ min, caminar 3½ min)"
    assert f"Su próxima sesión: {next_session}." in text
    assert "Pare y llámenos al +1 555 0100" in text
    assert '<html lang="es">' in html and f"<title>Su plan para correr de {CLINIC}</title>" in html
    # What the patient reads of the HTML: its text, not its styles (border-left, display: none).
    shown = re.sub(r"<[^>]+>", " ", re.sub(r"(?s)<style>.*?</style>", " ", html))
    assert english_left(text) == [] and english_left(shown) == []
    attachments = [part.get_filename() for part in message.iter_attachments()]
    assert attachments == ["plan.pdf", "plan.ics"]


def test_the_spanish_email_received_over_smtp_is_spanish(tmp_path, project):
    copy = tmp_path / "project"
    shutil.copytree(project, copy)
    handler = Inbox()
    with running(handler) as port:
        report = email_plans(
            Project.at(copy),
            [copy / "patients"],
            as_of=AS_OF,
            overrides=SmtpOverrides("127.0.0.1", port, "none"),
            sender_factory=lambda config: SmtpSender(config, backoff=0.01),
        )
    assert report.exit_code == 0 and sorted(report.sent) == [ENGLISH, SPANISH]
    messages = {m["To"].addresses[0].addr_spec: m for m in handler.messages}
    assert_spanish_message(messages["lucia.fernandez@example.org"])
    english = messages["maya.okafor@example.org"]
    assert english["Subject"] == f"Your running plan from {CLINIC}"  # site.toml's, for English
    assert '<html lang="en">' in english.get_body(("html",)).get_content()


def test_a_dry_run_writes_the_spanish_email_as_eml(tmp_path, project):
    copy = tmp_path / "project"
    shutil.copytree(project, copy)
    args = ["--project", str(copy), "email", str(copy / "patients"), "--as-of", str(AS_OF)]
    result = CliRunner().invoke(main, [*args, "--dry-run", "--yes"])
    assert result.exit_code == 0, result.output
    raw = (copy / "output" / "outbox" / f"{SPANISH}.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert_spanish_message(message)


def test_without_a_subject_in_site_toml_every_language_takes_its_strings_subject(tmp_path):
    from generator.content.library import load_library
    from generator.mail.compose import subject_for

    shutil.copytree(REPO / "templates", tmp_path / "templates")
    shutil.copytree(REPO / "content", tmp_path / "content")
    settings = (REPO / "site.toml").read_text(encoding="utf-8")
    without = re.sub(r"(?m)^subject = .*\n", "", settings)
    assert without != settings
    (tmp_path / "site.toml").write_text(without, encoding="utf-8")
    library = load_library(Project.at(tmp_path))
    assert library.settings.email is not None and library.settings.email.subject == ""
    subjects = {
        e.language: subject_for(library.settings.email, e.strings, library)
        for e in library.editions
    }
    assert subjects == {
        "en": f"Your running plan from {CLINIC}",
        "es": f"Su plan para correr de {CLINIC}",
    }
