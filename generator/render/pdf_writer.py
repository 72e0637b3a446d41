"""The one PDF writer: WeasyPrint, prepared once per process, fetching nothing from outside.

Importing this module imports WeasyPrint (about half a second), so only the code that makes a
PDF imports it, inside a worker's setup. Per process we build one `FontConfiguration`, the
`CSS` objects and the restricted fetcher, and reuse them for every document (see the
project's research notes: parsing stylesheets and loading fonts per document is the usual
cause of slow batches). Output is tagged PDF/UA-1 and byte-identical for identical input.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from generator.content.pictures import read_picture
from generator.core.errors import ContentError, Problem, RecordError
from generator.core.files import Unreadable, read_bytes

PDF_VARIANT = "pdf/ua-1"
MAX_FETCHED_BYTES = 50_000_000  # a font or a stylesheet of the templates


class RefusedURL(FatalURLFetchingError):  # type: ignore[misc]
    """A document asked for something outside the project: the render stops."""


class ProjectFetcher(URLFetcher):  # type: ignore[misc]
    """Serves `data:` URIs and files inside the project; refuses everything else.

    URLs under a mount's prefix (the site's public address of `assets/` and `images/`) are
    served from the matching project folder, so a PDF sees the same URLs as the website
    without any network access. A file under one of `pictures` (the content's pictures, the
    logo) is served as the checked copy the website publishes, never as its own bytes.
    """

    def __init__(
        self, root: Path, mounts: tuple[tuple[str, Path], ...], pictures: tuple[Path, ...] = ()
    ) -> None:
        super().__init__(
            allowed_protocols={"file", "data"}, allow_redirects=False, fail_on_errors=True
        )
        self.root = root.resolve()
        self.mounts = tuple((prefix, folder.resolve()) for prefix, folder in mounts)
        self.pictures = tuple(path.resolve() for path in pictures)

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        path = self.local_path(url)
        if path is None:
            raise RefusedURL(f"refused to fetch {url}: only files inside the project may be used")
        if not path.is_file():
            raise RefusedURL(f"missing file {path.relative_to(self.root).as_posix()}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), self._read(path), {"Content-Type": content_type})

    def _read(self, path: Path) -> bytes:
        name = path.relative_to(self.root).as_posix()
        try:
            for picture in self.pictures:
                if path.is_relative_to(picture):
                    return read_picture(path, folder=picture.parent)
            return read_bytes(path, folder=self.root, limit=MAX_FETCHED_BYTES)
        except Unreadable as unreadable:
            raise RefusedURL(str(unreadable.problem.within(name))) from None

    def local_path(self, url: str) -> Path | None:
        """The project file `url` stands for, or None when it lies outside the project."""
        parts = urlsplit(url)
        for prefix, folder in self.mounts:
            if url.startswith(prefix):
                path = (folder / unquote(parts.path[len(urlsplit(prefix).path) :])).resolve()
                return path if path.is_relative_to(folder) else None
        if parts.scheme == "file" and parts.netloc in ("", "localhost"):
            path = Path(url2pathname(parts.path)).resolve()
            return path if path.is_relative_to(self.root) else None
        return None


class PdfWriter:
    """Renders HTML to PDF bytes with this process's fonts, stylesheets and fetcher."""

    def __init__(
        self,
        root: Path,
        mounts: tuple[tuple[str, Path], ...],
        stylesheets: Sequence[tuple[str, str]],
        *,
        pictures: tuple[Path, ...] = (),
        languages: Sequence[tuple[str, str, str]] = (),
    ) -> None:
        """`mounts`: public URL prefixes served from project folders; `stylesheets`: each as
        (CSS text, the URL its relative references resolve against); `pictures`: see
        `ProjectFetcher`; `languages`: (language, CSS text, URL), a stylesheet added to the
        documents in that language. (Parsed here once, rather than as a `<style>` in every
        document, it saves about 3% of a plan's time.)"""
        self.fonts = FontConfiguration()
        self.fetcher = ProjectFetcher(root, mounts, pictures)
        self.stylesheets = [self._css(text, base) for text, base in stylesheets]
        self.by_language = {
            language: [*self.stylesheets, self._css(text, base)]
            for language, text, base in languages
        }

    def _css(self, text: str, base_url: str) -> CSS:
        try:
            return CSS(
                string=text, base_url=base_url, font_config=self.fonts, url_fetcher=self.fetcher
            )
        except FatalURLFetchingError as error:
            raise ContentError([Problem("templates", f"a stylesheet {error}")]) from None

    def render(self, html: str, base_url: str, language: str = "") -> bytes:
        """The PDF for `html` (in `language`, whose stylesheet it gets); raise `RecordError`
        if it needs anything outside the project."""
        try:
            document = HTML(string=html, base_url=base_url, url_fetcher=self.fetcher)
            pdf: bytes = document.write_pdf(
                stylesheets=self.by_language.get(language, self.stylesheets),
                font_config=self.fonts,
                pdf_variant=PDF_VARIANT,
                presentational_hints=False,
                # A document's inputs become the fields of a PDF form (only the plan's log has
                # any), and its own <meta> names become keys of the PDF's information, which
                # is where `r2r checkins import` reads a plan's patient and version back.
                pdf_forms=True,
                custom_metadata=True,
            )
        except RefusedURL as error:
            raise RecordError([str(error)]) from None
        except FatalURLFetchingError as error:
            cause = error.__cause__ or error
            raise RecordError([f"{error}: {cause}"]) from None
        return pdf
