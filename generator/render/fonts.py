"""Which characters the PDFs can print: the bundled typeface and the fonts installed for
WeasyPrint to fall back on (Pango takes any font fontconfig knows for a missing glyph).

A patient's text that no font covers would print as boxes, and WeasyPrint's warning about it
quotes the text; so each text field of a patient is checked here first, and a field that
cannot be printed fails that patient's plan with a message naming the field only.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import subprocess
import unicodedata
from collections.abc import Iterator
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)
# Characters that need no glyph: controls, format characters (joiners, marks of direction),
# separators, and the variation selectors that pick an emoji's presentation.
_NO_GLYPH = {"Cc", "Cf", "Zs", "Zl", "Zp"}
_SELECTORS = (range(0xFE00, 0xFE10), range(0xE0100, 0xE01F0))


@cache
def printable(fonts_dir: Path) -> frozenset[int] | None:
    """The code points some font covers: the bundled fonts in `fonts_dir` and the system's
    (through fontconfig's `fc-list`). None when fontconfig cannot be asked. Once a process."""
    listed = _system_coverage()
    if listed is None:
        log.warning(
            "fc-list (package fontconfig) is not installed: patients' names cannot be checked "
            "against the fonts before their plans are printed"
        )
        return None
    return frozenset(listed | _bundled_coverage(fonts_dir))


def unprintable_fields(value: object, covered: frozenset[int], prefix: str = "") -> Iterator[str]:
    """The dotted names of the text fields of `value` (a dataclass, nested) holding a character
    outside `covered`."""
    if isinstance(value, str):
        if any(not _printable(c, covered) for c in value):
            yield prefix
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            name = f"{prefix}.{field.name}" if prefix else field.name
            yield from unprintable_fields(getattr(value, field.name), covered, name)
    elif isinstance(value, tuple):
        for number, item in enumerate(value, 1):
            yield from unprintable_fields(item, covered, f"{prefix}[{number}]")


def _printable(character: str, covered: frozenset[int]) -> bool:
    point = ord(character)
    if point in covered or unicodedata.category(character) in _NO_GLYPH:
        return True
    return any(point in selectors for selectors in _SELECTORS)


def _system_coverage() -> set[int] | None:
    command = shutil.which("fc-list")
    if command is None:
        return None
    try:
        listing = subprocess.run(
            [command, "--format", "%{charset}\n"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    covered: set[int] = set()
    for part in listing.split():  # ranges in hex: "20-7e a0-17f 192 ..."
        first, _, last = part.partition("-")
        covered.update(range(int(first, 16), int(last or first, 16) + 1))
    return covered


def _bundled_coverage(fonts_dir: Path) -> set[int]:
    from fontTools.ttLib import TTFont, TTLibError

    covered: set[int] = set()
    for path in sorted(fonts_dir.glob("*.woff2")):
        try:
            with TTFont(path, lazy=True) as font:
                covered.update(font.getBestCmap() or {})
        except (OSError, TTLibError):
            continue  # a font WeasyPrint cannot read either covers nothing
    return covered
