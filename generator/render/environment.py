"""The one Jinja environment, used by the website, the PDFs and the email bodies."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urljoin

import jinja2
import markupsafe
from jinja2.loaders import split_template_path

from generator import __version__
from generator.content.library import Library
from generator.content.page_body import EMBED_KINDS
from generator.content.strings import Strings, check_date_patterns
from generator.core.atomic import make_dir
from generator.core.errors import ContentError, OutputError, Problem
from generator.core.files import Unreadable, read_text
from generator.render.wording import minutes_text, red_flag_signs, session_text

T = TypeVar("T")
MAX_TEMPLATE_BYTES = 1_000_000
# A generated block (a protocol table) as the sanitised body holds it.
# Where a page shows a generated block: the empty element the Markdown pipeline leaves, exactly
# as the sanitiser writes it. Found by plain string search, never a regular expression.
_EMBED_OPEN, _EMBED_END = '<div data-embed="', "></div>"  # around "kind:name" and its quote


def make_environment(library: Library, *, keep_compiled: bool = True) -> jinja2.Environment:
    """Autoescaping for HTML and XML, StrictUndefined, and the project's filters and globals.

    Templates see `settings` (site.toml), `t` (the interface text of the site's language),
    `protocols` and `version`. A misspelt variable is an error, never an empty string. With
    `keep_compiled`, compiled templates are kept in the output's state folder for next time.
    """
    check_date_patterns(edition.strings for edition in library.editions)
    settings = library.settings
    cache_dir = library.project.state_dir / "templates"
    env = jinja2.Environment(
        loader=TemplateLoader(library.project.templates_dir),
        bytecode_cache=_bytecode_cache(cache_dir) if keep_compiled else None,
        autoescape=jinja2.select_autoescape(("html", "xml", "svg")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(
        settings=settings, t=library.strings, protocols=library.protocols, version=__version__
    )
    env.filters.update(
        session=_in_language(lambda stage, t: session_text(stage, t.protocol)),
        minutes=_in_language(lambda value, t: minutes_text(value, t.protocol)),
        red_flags=_in_language(lambda site, t: red_flag_signs(site, t.plan)),
        date=_in_language(format_date),
        or_list=_in_language(or_list),
        plural=plural,
        day=_in_language(format_day),
        with_embeds=with_embeds,
        css_content=css_content,
        tel=tel_uri,
        absolute=lambda url: urljoin(settings.site.base_url, url),
    )
    return env


class TemplateLoader(jinja2.FileSystemLoader):
    """Templates read through the one file reader: regular files inside `templates/` (a link
    out of it would render any file of the machine into the site), size-capped."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.folder = folder

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        path = self.folder.joinpath(*split_template_path(template))
        try:
            text = read_text(path, folder=self.folder, limit=MAX_TEMPLATE_BYTES)
            mtime = path.stat().st_mtime
        except Unreadable as unreadable:
            if not path.exists():
                raise jinja2.TemplateNotFound(template) from None
            raise ContentError([unreadable.problem.within(f"templates/{template}")]) from None
        except OSError:  # removed while it was read
            raise jinja2.TemplateNotFound(template) from None

        def unchanged() -> bool:
            try:
                return path.stat().st_mtime == mtime
            except OSError:
                return False

        return text, str(path), unchanged


def _in_language(function: Callable[[Any, Strings], T]) -> Callable[..., T]:
    # Wording filters use the `t` of the template's context: a plan in a patient's language
    # passes its own `t`, everything else uses the site's.
    @jinja2.pass_context
    def wrapper(context: jinja2.runtime.Context, value: Any) -> T:
        return function(value, context["t"])

    return wrapper


@jinja2.pass_context
def with_embeds(context: jinja2.runtime.Context, body: str) -> markupsafe.Markup:
    """A sanitised page body with its generated blocks (protocol tables) filled in, in the
    language of the template's `t`."""
    env, t = context.environment, context["t"]

    def block(kind: str, name: str) -> str:
        catalogue: Mapping[str, Any] = env.globals[f"{kind}s"]  # type: ignore[assignment]
        shown = catalogue[name].in_language(t.language)
        return env.get_template(f"shared/{kind}.html").render(**{kind: shown, "t": t})

    first, *rest = body.split(_EMBED_OPEN)
    parts = [first]
    for piece in rest:  # each begins with "kind:name" if it is one of our empty blocks
        reference, _, after = piece.partition('"')
        kind, _, name = reference.partition(":")
        if after.startswith(_EMBED_END) and kind in EMBED_KINDS and name:
            parts += [block(kind, name), after[len(_EMBED_END) :]]
        else:
            parts.append(_EMBED_OPEN + piece)
    return markupsafe.Markup("".join(parts))


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept between runs; a failure to keep one only costs a recompile."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        # A full disk or a read-only folder must not fail a build over a speed-up.
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _bytecode_cache(folder: Path) -> jinja2.BytecodeCache | None:
    # Compiled templates are kept between runs (Jinja checks each against its source), in the
    # private state folder; if it cannot be created, templates are simply compiled each time.
    try:
        make_dir(folder.parent, private=True)  # the state folder: owner-only from the start
        make_dir(folder, private=True)
    except OutputError:
        return None
    return _CompiledTemplates(str(folder))


def render(env: jinja2.Environment, name: str, **context: Any) -> str:
    """Render template `name`; a template error becomes a `ContentError` naming file and line."""
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as error:
        where = f"templates/{error.name or name}: line {error.lineno}"
        raise ContentError([Problem(where, error.message or "syntax error")]) from None
    except jinja2.TemplateError as error:
        raise ContentError([Problem(_location(error, env, name), str(error))]) from None


def format_date(value: dt.date, strings: Strings) -> str:
    """A date in the language of `strings`, by Babel: "24 November 2026", "24 de noviembre
    de 2026"."""
    from babel.dates import format_date as babel_date

    return str(babel_date(value, strings.date_format, locale=_locale(strings)))


def format_day(value: dt.date, strings: Strings) -> str:
    """A day in a calendar, by Babel: "Tue 24 Nov", "mar 24 nov"."""
    from babel.dates import format_date as babel_date

    return str(babel_date(value, strings.short_date_format, locale=_locale(strings)))


def _locale(strings: Strings) -> str:
    # Babel's locale names use "_" where language tags use "-" (pt-BR: pt_BR).
    return strings.language.replace("-", "_")


def or_list(items: Sequence[str], strings: Strings) -> str:
    """Items joined as the language joins alternatives: "a, b, or c" (by Babel)."""
    from babel.lists import format_list

    return str(format_list(list(items), style="or", locale=_locale(strings)))


@jinja2.pass_context
def plural(context: jinja2.runtime.Context, forms: Mapping[str, str], count: int) -> str:
    """The form of `forms` (by CLDR plural category: one, few, other...) that `count` takes in
    the template's language (by Babel), with `{n}` filled in."""
    from babel import Locale

    category = Locale.parse(_locale(context["t"])).plural_form(count)
    return (forms.get(category) or forms["other"]).format(n=count)


def css_content(template: object) -> str:
    """Interface text as a CSS `content` value; `{page}` and `{pages}` become page counters.

    "Page {page} of {pages}" gives `"Page " counter(page) " of " counter(pages)`.
    """
    parts = []
    for index, piece in enumerate(re.split(r"\{(page|pages)\}", str(template))):
        if index % 2:
            parts.append(f"counter({piece})")
        elif piece:
            parts.append(_css_string(piece))
    return " ".join(parts) or '""'


def tel_uri(phone: object) -> str:
    """A `tel:` link for a phone number written any way: +1 (555) 010-0100 -> tel:+15550100100."""
    text = str(phone)
    return "tel:" + ("+" if text.strip().startswith("+") else "") + re.sub(r"\D", "", text)


def _css_string(text: str) -> str:
    escaped = "".join(c if c.isalnum() or c in " .,:;!?()-_/'" else f"\\{ord(c):x} " for c in text)
    return f'"{escaped}"'


def _location(error: BaseException, env: jinja2.Environment, name: str) -> str:
    # Jinja rewrites tracebacks so that template frames carry the template's file and line.
    loader = env.loader
    roots = [Path(p) for p in getattr(loader, "searchpath", [])]
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        path = Path(frame.filename)
        for root in roots:
            if path.is_relative_to(root):
                return f"templates/{path.relative_to(root).as_posix()}: line {frame.lineno}"
    return f"templates/{name}"
