"""Translations stay true to their source: each translated page records the digest of the page
it was translated from (`translated_from` in its front matter), so a change to the source shows.

`r2r translations stamp content/<language>/<page>.md` writes that digest once the translation
is up to date; `r2r check` warns about a page with no translation and about a translation whose
source changed since it was stamped.
"""

from __future__ import annotations

import hashlib
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from generator.content.library import Edition, Library
from generator.content.pages import MAX_PAGE_BYTES, split_front_matter
from generator.content.settings import Settings
from generator.core.atomic import write_atomic
from generator.core.errors import ContentError, Problem
from generator.core.files import Unreadable, decode, read_bytes
from generator.core.project import Project
from generator.core.yamlio import YamlProblem, parse_yaml

KEY = "translated_from"
_KEY_LINE = re.compile(rf"^{KEY}[ \t]*:[^\r\n]*", re.M)


def source_digest(raw: bytes) -> str:
    """How a translation records the version of its source: sha256:<hex> of the file's bytes."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def translation_problems(library: Library) -> Iterator[Problem]:
    """A page that a language lacks, a translation of no page, and a translation whose source
    changed since it was stamped (or that was never stamped)."""
    default = library.editions[0]
    for edition in library.translations:
        yield from _edition_problems(default, edition)


def _edition_problems(default: Edition, edition: Edition) -> Iterator[Problem]:
    folder = f"content/{edition.folder}"
    stamp = f"then run: r2r translations stamp {folder}<page>.md"
    for page in default.pages:
        if edition.page(page.slug) is None:
            yield Problem(page.path, f"has no translation in {folder}: translate it, {stamp}")
    for page in edition.pages:
        source = default.page(page.slug)
        if source is None:
            yield Problem(page.path, f"translates no page: there is no content/{page.slug}.md")
        elif not page.meta.translated_from:
            yield Problem(page.path, f"does not say which version of {source.path} it translates")
        elif page.meta.translated_from != "sha256:" + source.digest:
            yield Problem(
                page.path,
                f"{source.path} has changed since it was translated: update the translation, "
                f"then run: r2r translations stamp {page.path}",
            )


@dataclass(frozen=True)
class Stamped:
    """What `stamp` did to one translated page."""

    path: str
    source: str
    changed: bool


@dataclass(frozen=True)
class StampReport:
    """What `r2r translations stamp` did."""

    pages: tuple[Stamped, ...]
    exit_code: int = 0

    def summary(self) -> list[str]:
        """One line per page, then the count."""
        lines = [
            f"{done.path}: {'now translates' if done.changed else 'already translates'} "
            f"{done.source} as it is"
            for done in self.pages
        ]
        changed = sum(done.changed for done in self.pages)
        return [*lines, f"translations: {changed} stamped, {len(self.pages) - changed} unchanged"]


def stamp(project: Project, settings: Settings, paths: Sequence[Path]) -> StampReport:
    """Record in each translated page the digest of its source page as it is now.

    Only the `translated_from` line of the front matter is written (added after `title` when
    missing); every other byte of the file is kept, and so is its mode. All pages are checked
    before any is written: a problem raises `ContentError` naming each file.
    """
    problems: list[Problem] = []
    staged: list[tuple[Path, bytes, Stamped]] = []
    for path in paths:
        try:
            staged.append(_stamped(project, settings, path))
        except ContentError as error:
            problems.extend(error.problems)
    if problems:
        raise ContentError(problems)
    for target, data, done in staged:
        if done.changed:
            mode = stat.S_IMODE(target.stat().st_mode)
            write_atomic(target, data)
            target.chmod(mode)  # a new file is owner-only; a content page keeps its own mode
    return StampReport(tuple(done for _, _, done in staged))


def _stamped(project: Project, settings: Settings, path: Path) -> tuple[Path, bytes, Stamped]:
    target = path if path.is_absolute() else Path.cwd() / path
    target = target.resolve()
    content = project.content_dir.resolve()
    name = _shown(target, project)
    languages = settings.site.languages[1:]
    if target.parent.parent != content or target.parent.name not in languages:
        where = " or ".join(f"content/{language}/" for language in languages) or "(none)"
        raise ContentError(
            [Problem(name, f"is not a translated page: translations are *.md files in {where}")]
        )
    source = content / target.name
    raw_source = _read(source, content, _shown(source, project))
    text = decode(_read(target, target.parent, name))
    front, _, _ = _front_matter(text, name)
    digest = source_digest(raw_source)
    line = f'{KEY}: "{digest}"'
    if _KEY_LINE.search(front):
        new_front = _KEY_LINE.sub(line, front, count=1)
    else:
        new_front = _after_title(front, line)
    start = text.index("\n") + 1  # the front matter follows the first line, '---'
    new_text = text[:start] + new_front + text[start + len(front) :]
    _same_but_digest(front, new_front, digest, name)
    stamped = Stamped(name, _shown(source, project), new_text != text)
    return target, new_text.encode("utf-8"), stamped


def _read(path: Path, folder: Path, name: str) -> bytes:
    try:
        return read_bytes(path, folder=folder, limit=MAX_PAGE_BYTES, label="the content folder")
    except Unreadable as unreadable:
        raise ContentError([unreadable.problem.within(name)]) from None


def _front_matter(text: str, name: str) -> tuple[str, str, int]:
    try:
        return split_front_matter(text)
    except ContentError as error:
        raise ContentError([p.within(name) for p in error.problems]) from None


def _after_title(front: str, line: str) -> str:
    lines = front.splitlines(keepends=True)
    at = next((i + 1 for i, text in enumerate(lines) if text.startswith("title:")), len(lines))
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return "".join([*lines[:at], line + "\n", *lines[at:]])


def _same_but_digest(front: str, new_front: str, digest: str, name: str) -> None:
    """The front matter must read back as it was, with only the digest new."""
    try:
        before, after = parse_yaml(front, first_line=2), parse_yaml(new_front, first_line=2)
    except YamlProblem as problem:
        raise ContentError([problem.problem.within(name)]) from None
    if not isinstance(before, dict) or not isinstance(after, dict):
        raise ContentError([Problem(name, "its front matter is not a list of 'key: value' lines")])
    if after != {**before, KEY: digest}:
        raise ContentError(
            [Problem(name, f"its '{KEY}' line could not be rewritten alone: write it on one line")]
        )


def _shown(path: Path, project: Project) -> str:
    try:
        return path.relative_to(project.root.resolve()).as_posix()
    except ValueError:
        return path.name
