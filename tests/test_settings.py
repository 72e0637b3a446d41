"""site.toml: a typed schema; every problem at once with its key; exit 2 and nothing written."""

from __future__ import annotations

import pytest

from generator.content.settings import load_settings
from generator.core.errors import SettingsError


def settings_problems(scratch) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_settings(scratch.project)
    return [str(p) for p in caught.value.problems]


def test_the_shipped_settings_load(scratch):
    settings = load_settings(scratch.project)
    assert settings.clinic.name == "Test Clinic & Physio"
    assert settings.site.base_url == "https://test-clinic.example/run/"
    assert settings.pdf.page_size == "A4"
    assert settings.brand.primary == "#0b5f73"


def test_every_problem_is_reported_with_its_key(scratch):
    scratch.write(
        "site.toml",
        """\
        [clinic]
        name = "A"
        phone = 5550100
        email = "nope"
        logo = "../outside.svg"
        colour = "red"

        [site]
        title = "T"
        base_url = "ftp://x"
        languages = ["xx"]

        [brand]
        primary = "#ffff00"

        [pdf]
        page_size = "A5"
        """,
    )
    assert settings_problems(scratch) == [
        "site.toml: clinic.colour: unknown key (expected one of: name, phone, email, address, website, logo)",
        "site.toml: clinic.phone: must be text, not 5550100 (put it in quotes)",
        "site.toml: clinic.email: is not an email address like name@example.org (got 'nope')",
        "site.toml: site.base_url: must be a web address starting with https:// (got 'ftp://x')",
        "site.toml: brand.primary: #ffff00 is too light to read on white (contrast 1.1:1, needs 4.5:1); choose a darker colour",
        "site.toml: pdf.page_size: must be one of: A4, Letter (got 'A5')",
    ]


def test_file_checks_follow_the_schema(scratch):
    scratch.write(
        "site.toml",
        (scratch.root / "site.toml")
        .read_text()
        .replace("[site]", 'logo = "../outside.svg"\n\n[site]')
        .replace('languages = ["en"]', 'languages = ["fr"]'),
    )
    assert settings_problems(scratch) == [
        "site.toml: clinic.logo: must be a file inside the project folder (got '../outside.svg')",
        "site.toml: site.languages: no interface text for 'fr' (templates/strings/fr.yaml is missing)",
    ]


# A missing, malformed or nested site.toml, and a settings error stopping a build before
# it writes anything: tests/hardening/cases/settings.yaml.
