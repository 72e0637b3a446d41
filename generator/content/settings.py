"""The clinic's settings (`site.toml`): a typed schema, validated as a whole before any output."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from generator.content.pictures import read_picture
from generator.core import validators
from generator.core.errors import Problem, SettingsError
from generator.core.files import Unreadable, read_text
from generator.core.project import SETTINGS_FILE, Project
from generator.core.schema import Invalid, Text, load, spec

MAX_SETTINGS_BYTES = 1_000_000
LOGO_TYPES = (".svg", ".png", ".jpg", ".jpeg", ".webp")


@dataclass(frozen=True)
class Clinic:
    """Who publishes the program: shown on every page, handout and plan."""

    name: str = spec(doc="The clinic's name.", check=validators.one_line)
    phone: str = spec(
        doc="The number patients call with questions or red flags.", check=validators.one_line
    )
    email: str = spec(doc="The clinic's public email address.", check=validators.email)
    address: str = spec(
        "", doc="The clinic's postal address, on one line.", check=validators.one_line
    )
    website: str = spec("", doc="The clinic's own website.", check=validators.web_address)
    logo: str = spec(
        "templates/static/img/logo.svg",
        doc="A picture file inside the project (SVG, PNG, JPEG or WebP).",
    )


@dataclass(frozen=True)
class Brand:
    """The clinic's colours."""

    primary: str = spec(
        "#0b5f73",
        doc="Header and link colour; must read well on white.",
        check=validators.hex_colour,
    )
    accent: str = spec(
        "#a34a0f", doc="Highlights and the keyboard focus ring.", check=validators.hex_colour
    )

    def check(self) -> Iterator[Problem]:
        """Colours must keep text readable (WCAG 2.2 AA)."""
        for key, colour, needed in (("primary", self.primary, 4.5), ("accent", self.accent, 3.0)):
            ratio = validators.contrast_ratio(colour, "#ffffff")
            if ratio < needed:
                yield Problem(
                    key,
                    f"{colour} is too light to read on white (contrast "
                    f"{ratio:.1f}:1, needs {needed}:1); choose a darker colour",
                )


def _languages(value: tuple[str, ...]) -> str | None:
    if not value:
        return 'must list at least one language, like ["en"]'
    for language in value:
        if problem := validators.language(language):
            return problem
    if len(set(value)) != len(value):
        return "must list each language once"
    return None


def _one_line_texts(value: Text) -> str | None:
    return next(filter(None, map(validators.one_line, value.by_language.values())), None)


@dataclass(frozen=True)
class SiteOptions:
    """The public website."""

    title: Text = spec(
        doc="The program's title, on the home page and the booklet cover; per language "
        'like {en = "...", es = "..."}.',
        check=_one_line_texts,
    )
    base_url: str = spec(
        doc="The address the site is published at, like https://clinic.example/run/.",
        check=validators.web_address,
    )
    languages: tuple[str, ...] = spec(
        ("en",),
        doc='The languages of the site and plans, like ["en", "es"]; the first is the default.',
        check=_languages,
    )
    description: Text = spec(
        Text({}),
        doc="One sentence for search engines and link previews; per language like the title.",
        check=_one_line_texts,
    )

    @property
    def language(self) -> str:
        """The default language: the site's root, and a plan's when the patient names none."""
        return self.languages[0]

    def title_in(self, language: str) -> str:
        """The title in `language`, or in the default language when it has none."""
        return _text_in(self.title, language, self.language)

    def description_in(self, language: str) -> str:
        """The description in `language`, or in the default language when it has none."""
        return _text_in(self.description, language, self.language)


def _text_in(text: Text, language: str, default: str) -> str:
    found = text.get(language, default)
    return found if found is not None else (text.get(default, default) or "")


@dataclass(frozen=True)
class PdfOptions:
    """Printed handouts and plans."""

    page_size: Literal["A4", "Letter"] = spec("A4", doc="Paper size: A4 or Letter.")


@dataclass(frozen=True)
class PlanOptions:
    """Personalised plans."""

    topics: tuple[str, ...] = spec(
        (), doc="Pages summarised on every plan, with a QR code to each (by file name)."
    )
    holidays: tuple[dt.date, ...] = spec(
        (),
        doc="Days the clinic is closed, like 2026-12-25: clinic reviews are never planned on them.",
    )


def _quiet_days(value: int) -> str | None:
    return None if 1 <= value <= 365 else "must be a number of days from 1 to 365"


@dataclass(frozen=True)
class StatusOptions:
    """The caseload (`r2r status`)."""

    quiet_days: int = spec(
        10,
        doc="Days without a check-in, while sessions were due, before a patient shows as quiet.",
        check=_quiet_days,
    )


def _mailbox(value: str) -> str | None:
    _name, address = email.utils.parseaddr(value)
    if not address or validators.email(address) or validators.one_line(value):
        return f"must be an address, or a name and <address> (got {value!r})"
    return None


def _port(value: int) -> str | None:
    return None if 1 <= value <= 65535 else "must be a port number from 1 to 65535"


def _seconds(value: float) -> str | None:
    return None if 1 <= value <= 600 else "must be a number of seconds from 1 to 600"


def _host(value: str) -> str | None:
    if not re.fullmatch(r"[A-Za-z0-9.:\[\]-]+", value):
        return f"must be a server name or address, like smtp.clinic.example (got {value!r})"
    return None


def _variable(value: str) -> str | None:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        return f"must be the name of an environment variable (got {value!r})"
    return None


@dataclass(frozen=True)
class EmailOptions:
    """Sending plans by email. Credentials are never written here: only the names of the
    environment variables that hold them."""

    sender: str = spec(
        doc="The From address, e.g. Clinic name <plans@clinic.example>.", check=_mailbox
    )
    subject: str = spec(
        "",
        doc="The subject line in the default language; it must not mention the injury "
        "(without it, and in other languages: the interface text's email.subject).",
        check=validators.one_line,
    )
    reply_to: str = spec("", doc="Where replies go, if not the sender.", check=_mailbox)
    smtp_host: str = spec("localhost", doc="The SMTP server.", check=_host)
    smtp_port: int = spec(587, doc="Its port (587 for starttls, 465 for ssl).", check=_port)
    smtp_security: Literal["starttls", "ssl", "none"] = spec(
        "starttls", doc="starttls, ssl, or none (only for a server on this computer)."
    )
    username_env: str = spec(
        "R2R_SMTP_USERNAME", doc="The variable holding the user name.", check=_variable
    )
    password_env: str = spec(
        "R2R_SMTP_PASSWORD", doc="The variable holding the password.", check=_variable
    )
    ca_file: str = spec("", doc="Extra certificate authorities to trust (PEM), in the project.")
    timeout: float = spec(30.0, doc="Seconds to wait for the server.", check=_seconds)


@dataclass(frozen=True)
class Settings:
    """Everything in `site.toml`."""

    clinic: Clinic = spec(doc="The clinic.")
    site: SiteOptions = spec(doc="The website.")
    brand: Brand = spec(Brand(), doc="The clinic's colours.")
    pdf: PdfOptions = spec(PdfOptions(), doc="Printed documents.")
    plans: PlanOptions = spec(PlanOptions(), doc="Personalised plans.")
    status: StatusOptions = spec(StatusOptions(), doc="The caseload (r2r status).")
    email: EmailOptions | None = spec(None, doc="Sending plans by email.")

    def logo_path(self, project: Project) -> Path:
        """The logo file, as an absolute path inside the project."""
        return (project.root / self.clinic.logo).resolve()


def load_settings(project: Project) -> Settings:
    """Read and validate `site.toml`; raise `SettingsError` listing every problem."""
    if not project.settings_file.exists():
        hint = "run r2r in the project folder or pass --project DIR"
        message = f"not found in {project.root} ({hint})"
        raise SettingsError([Problem(SETTINGS_FILE, message)])
    try:
        text = read_text(
            project.settings_file,
            folder=project.root,
            limit=MAX_SETTINGS_BYTES,
            label="the project folder",
        )
    except Unreadable as unreadable:
        raise SettingsError([unreadable.problem.within(SETTINGS_FILE)]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SettingsError([Problem(SETTINGS_FILE, f"not valid TOML: {error}")]) from None
    except RecursionError:  # tomllib reads nested arrays and tables recursively
        raise SettingsError(
            [Problem(SETTINGS_FILE, "not valid TOML: arrays or tables are nested too deeply")]
        ) from None
    try:
        settings = load(Settings, data)
    except Invalid as invalid:
        raise SettingsError(p.within(SETTINGS_FILE) for p in invalid.problems) from None
    problems = [p.within(SETTINGS_FILE) for p in _file_problems(settings, project)]
    if problems:
        raise SettingsError(problems)
    site = dataclasses.replace(settings.site, base_url=settings.site.base_url.rstrip("/") + "/")
    return dataclasses.replace(settings, site=site)


def _file_problems(settings: Settings, project: Project) -> Iterator[Problem]:
    logo = settings.logo_path(project)
    if not logo.is_relative_to(project.root):
        yield Problem(
            "clinic.logo",
            f"must be a file inside the project folder (got {settings.clinic.logo!r})",
        )
    elif not logo.is_file():
        yield Problem("clinic.logo", f"no such file: {settings.clinic.logo}")
    elif logo.suffix.lower() not in LOGO_TYPES:
        yield Problem("clinic.logo", "must be an SVG, PNG, JPEG or WebP picture")
    else:
        try:  # the site and the PDFs publish the checked copy that this makes
            read_picture(logo, folder=project.root)
        except Unreadable as unreadable:
            yield Problem("clinic.logo", f"{settings.clinic.logo} {unreadable.problem.message}")
    if settings.email and settings.email.ca_file and not _is_pem(project, settings.email.ca_file):
        yield Problem("email.ca_file", "must be a PEM file inside the project folder")
    for language in settings.site.languages:
        strings = f"templates/strings/{language}.yaml"
        if not (project.root / strings).is_file():
            yield Problem(
                "site.languages", f"no interface text for {language!r} ({strings} is missing)"
            )


def _is_pem(project: Project, name: str) -> bool:
    """Whether `name` is a file of certificates in PEM form inside the project."""
    try:
        text = read_text(project.root / name, folder=project.root, limit=MAX_SETTINGS_BYTES)
    except Unreadable:
        return False
    return "-----BEGIN CERTIFICATE-----" in text
