"""The anchors: the same generated corpus as an MkDocs project and as a Pelican project.

Both use the Python-Markdown extensions that give what our pipeline gives (tables, heading
anchors, callouts, footnotes, sane lists, fenced code, typographic quotes and dashes), so the
three tools turn the same text into the same HTML. They run from their own virtual
environment, `bench/.venv`, which `make bench` creates.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
ANCHOR_BIN = HERE / ".venv" / "bin"
EXTENSIONS = ["tables", "toc", "admonition", "footnotes", "sane_lists", "fenced_code", "smarty"]
_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)


def _split(page: Path) -> tuple[dict[str, str], str, list[str]]:
    text = page.read_text(encoding="utf-8")
    match = _FRONT.match(text)
    assert match is not None, page
    meta, sources = {}, []
    for line in match.group(1).splitlines():
        if line.startswith("  - "):
            sources.append(line[4:].strip().strip('"'))
        elif ":" in line and not line.startswith(" "):
            key, _, value = line.partition(":")
            meta[key.strip()] = value.strip()
    return meta, text[match.end() :], sources


def _with_sources(body: str, sources: list[str]) -> str:
    # Our pipeline turns the front matter's sources into footnotes; the anchors get them as text.
    return body + "\n" + "".join(f"\n[^{n}]: {s}" for n, s in enumerate(sources, 1)) + "\n"


def mkdocs_project(corpus: Path, root: Path) -> Path:
    """An MkDocs project holding the pages of `corpus`."""
    if root.exists():
        shutil.rmtree(root)
    docs = root / "docs"
    docs.mkdir(parents=True)
    (docs / "index.md").write_text("# Benchmark\n\nThe topics are in the navigation.\n")
    for page in sorted((corpus / "content").glob("*.md")):
        meta, body, sources = _split(page)
        (docs / page.name).write_text(f"# {meta['title']}\n\n{_with_sources(body, sources)}")
    extensions = "\n".join(f"  - {name}" for name in EXTENSIONS)
    (root / "mkdocs.yml").write_text(f"site_name: Benchmark\nmarkdown_extensions:\n{extensions}\n")
    return root


def pelican_project(corpus: Path, root: Path) -> Path:
    """A Pelican project holding the pages of `corpus` as pages, with its content cache on."""
    if root.exists():
        shutil.rmtree(root)
    pages = root / "content" / "pages"
    pages.mkdir(parents=True)
    for page in sorted((corpus / "content").glob("*.md")):
        meta, body, sources = _split(page)
        header = f"Title: {meta['title']}\nSummary: {meta.get('summary', '')}\n\n"
        (pages / page.name).write_text(header + _with_sources(body, sources))
    configs = ", ".join(f"'markdown.extensions.{name}': {{}}" for name in EXTENSIONS)
    (root / "pelicanconf.py").write_text(
        "AUTHOR = 'Bench'\nSITENAME = 'Benchmark'\nPATH = 'content'\nTIMEZONE = 'UTC'\n"
        "DEFAULT_LANG = 'en'\nRELATIVE_URLS = True\nFEED_ALL_ATOM = None\n"
        "CATEGORY_FEED_ATOM = None\nTRANSLATION_FEED_ATOM = None\nAUTHOR_FEED_ATOM = None\n"
        "AUTHOR_FEED_RSS = None\nCACHE_CONTENT = True\nLOAD_CONTENT_CACHE = True\n"
        f"CACHE_PATH = {str(root / 'cache')!r}\n"
        f"MARKDOWN = {{'extension_configs': {{{configs}}}, 'output_format': 'html5'}}\n"
    )
    return root


def mkdocs_build(root: Path, *, dirty: bool = False) -> list[str]:
    """The command that builds the MkDocs project (--dirty: MkDocs' own, inexact, rebuild)."""
    return [
        str(ANCHOR_BIN / "mkdocs"),
        "build",
        "-q",
        "-f",
        str(root / "mkdocs.yml"),
        *(["--dirty"] if dirty else []),
    ]


def pelican_build(root: Path) -> list[str]:
    """The command that builds the Pelican project (its content cache makes rebuilds fast)."""
    return [
        str(ANCHOR_BIN / "pelican"),
        str(root / "content"),
        "-o",
        str(root / "output"),
        "-s",
        str(root / "pelicanconf.py"),
        "-q",
    ]


def available() -> bool:
    """Whether the anchors' virtual environment is installed."""
    return (ANCHOR_BIN / "mkdocs").exists() and (ANCHOR_BIN / "pelican").exists()
