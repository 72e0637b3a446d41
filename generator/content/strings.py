"""Interface text: every user-facing string of the templates, one YAML file per language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.core.errors import ContentError, Problem
from generator.core.yamlio import YamlProblem, parse_yaml


def strings_file(templates_dir: Path, language: str) -> Path:
    """Where the interface text for `language` lives."""
    return templates_dir / "strings" / f"{language}.yaml"


def load_strings(templates_dir: Path, language: str) -> dict[str, Any]:
    """The interface text for `language`, as nested mappings of text."""
    path = strings_file(templates_dir, language)
    name = f"templates/strings/{path.name}"
    try:
        data = parse_yaml(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as error:
        raise ContentError([Problem(name, f"cannot be read: {error}")]) from None
    except YamlProblem as error:
        raise ContentError([error.problem.within(name)]) from None
    if not isinstance(data, dict):
        raise ContentError([Problem(name, "must be a table of keys and texts")])
    return data
