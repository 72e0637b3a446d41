"""Every interface-text file against the default language's: it loads into the typed shape, it has
the same keys and list lengths, and each text fills the same `{placeholders}`."""

from __future__ import annotations

import shutil
import string
from collections.abc import Iterator
from typing import Any

import pytest

from generator.content.strings import check_date_patterns, load_strings, strings_file
from generator.core.errors import ContentError
from generator.core.yamlio import parse_yaml

from .conftest import REPO

TEMPLATES = REPO / "templates"
DEFAULT = "en"
TRANSLATIONS = sorted(
    path.stem for path in (TEMPLATES / "strings").glob("*.yaml") if path.stem != DEFAULT
)


def raw(language: str) -> Any:
    """The strings file as plain YAML data."""
    path = strings_file(TEMPLATES, language)
    return parse_yaml(path.read_text(encoding="utf-8"))


def leaves(data: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted key, value) for every text, list items numbered."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from leaves(value, f"{where}.{key}" if where else str(key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from leaves(value, f"{where}[{index}]")
    else:
        yield where, data


def placeholders(text: Any) -> set[str]:
    """The `{names}` a text is filled with."""
    return {name for _, name, _, _ in string.Formatter().parse(str(text)) if name is not None}


def test_there_is_a_translation() -> None:
    assert "es" in TRANSLATIONS


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_translation_loads_into_the_typed_shape(language: str) -> None:
    strings = load_strings(TEMPLATES, language)
    assert strings.language == language
    assert strings.plan.title != load_strings(TEMPLATES, DEFAULT).plan.title


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_translation_has_the_same_keys_and_placeholders(language: str) -> None:
    default = dict(leaves(raw(DEFAULT)))
    translated = dict(leaves(raw(language)))
    assert sorted(translated) == sorted(default)
    wrong = {
        key: (placeholders(default[key]), placeholders(text))
        for key, text in translated.items()
        if placeholders(text) != placeholders(default[key])
    }
    assert wrong == {}


def test_a_date_pattern_babel_cannot_use_is_an_error_naming_the_file_and_key(tmp_path):
    shutil.copytree(TEMPLATES / "strings", tmp_path / "strings")
    path = tmp_path / "strings" / "es.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "date_format: long", 'date_format: "{day} de {month} de {year}"'
    )
    path.write_text(text.replace('short_date_format: "EEE d MMM"', 'short_date_format: "qqqqqq"'))
    strings = load_strings(tmp_path, "es")  # the text loads; dates are checked before use
    with pytest.raises(ContentError) as caught:
        check_date_patterns([strings])
    assert [str(p) for p in caught.value.problems] == [
        "templates/strings/es.yaml: date_format: is not a date pattern Babel understands, "
        "like 'd MMMM y' or 'long'",
        "templates/strings/es.yaml: short_date_format: is not a date pattern Babel "
        "understands, like 'd MMMM y' or 'long'",
    ]
