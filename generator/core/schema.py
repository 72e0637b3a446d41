"""Typed schemas on plain dataclasses: load untrusted data, report every problem at once.

Settings, front matter, protocols and patient records are all declared as frozen dataclasses
whose fields carry a type and a one-line doc. `load` converts a parsed mapping (from TOML, YAML
or a CSV row) into such a class. It never stops at the first problem: it gathers all of them,
each with the dotted key where it was found, and raises `Invalid`.

Supported field types: str, int, float, bool, datetime.date, Literal[...], X | None,
tuple[X, ...], list[X], dict[str, X], `Text` (patient-facing text in one or more languages)
and nested schema dataclasses. A field may add a `check`
(value -> message or None); a class may define `check(self)` yielding cross-field problems.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import re
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, TypeVar

from generator.core import validators
from generator.core.errors import Problem

T = TypeVar("T")
Check = Callable[[Any], "str | None"]
Against = Callable[[Any, Any], "str | None"]

_BAD: Any = object()  # a value that failed conversion; its problem is already recorded
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PLAIN_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")  # how field names look
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}
_YES_NO = {"yes", "no"}


DEFAULT_LANGUAGE = ""  # how `Text` keys a plain string: the text of the site's default language


class Text:
    """Patient-facing text given per language, `{en: ..., es: ...}`; a plain string is the
    default language's. Written as a field type, it accepts either form."""

    __slots__ = ("by_language",)

    def __init__(self, by_language: Mapping[str, str]) -> None:
        self.by_language = dict(by_language)

    def get(self, language: str, default: str) -> str | None:
        """The text in `language` (`default` being the site's default language), if given."""
        if language in self.by_language:
            return self.by_language[language]
        return self.by_language.get(DEFAULT_LANGUAGE) if language == default else None

    def __bool__(self) -> bool:
        return any(self.by_language.values())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and other.by_language == self.by_language

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.by_language.items())))

    def __repr__(self) -> str:
        return f"Text({self.by_language!r})"


def untranslated(value: object, languages: Sequence[str], where: str = "") -> Iterator[Problem]:
    """A problem for every non-empty `Text` inside `value` (a loaded schema dataclass, or a
    mapping or list of them) that lacks one of `languages`, the first being the default."""
    if isinstance(value, Text):
        missing = [lang for lang in languages if value and value.get(lang, languages[0]) is None]
        if missing:
            example = "{" + ", ".join(f"{lang}: ..." for lang in languages) + "}"
            message = f"has no text in {', '.join(missing)} (give it per language, like {example})"
            yield Problem(where, message)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from untranslated(getattr(value, f.name), languages, _join(where, f.name))
    elif isinstance(value, tuple | list):
        for index, item in enumerate(value, 1):
            yield from untranslated(item, languages, f"{where}[{index}]")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from untranslated(item, languages, _join(where, str(key)))


class Invalid(Exception):
    """The data does not fit the schema; `problems` lists every reason, each with its key."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(map(str, self.problems)))


def spec(
    default: Any = dataclasses.MISSING,
    *,
    doc: str = "",
    check: Check | None = None,
    against: Against | None = None,
) -> Any:
    """Declare a schema field: its default (none means required), a one-line doc and a check.

    `against(value, context)` checks the value against what the caller of `load` passes as
    `context` (a patient's injury site against the library's catalogue, say); it is skipped
    when no context is given.
    """
    metadata = {"doc": doc, "check": check, "against": against}
    if isinstance(default, list | dict | set):
        raise TypeError("use a tuple or None as a default, not a mutable value")
    return dataclasses.field(default=default, metadata=metadata)


def load(
    cls: type[T],
    data: object,
    *,
    text_values: bool = False,
    private: bool = False,
    context: object = None,
) -> T:
    """Build `cls` from `data`, or raise `Invalid` with every problem found.

    With `text_values`, scalar values may arrive as strings (a CSV row) and are parsed:
    numbers, booleans, dates and lists separated by ';' or spaces. With `private`, messages
    never repeat a value (patient data must not reach logs), only what kind of value it was.
    `context` is given to the fields' `against` checks.
    """
    problems: list[Problem] = []
    value = _Converter(problems, text_values, private, context).convert(cls, data, "")
    if problems:
        raise Invalid(sorted(set(problems), key=problems.index))
    return typing.cast(T, value)


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where and key else where or key


def _show(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


class _Converter:
    def __init__(
        self, problems: list[Problem], text_values: bool, private: bool, context: object
    ) -> None:
        self.problems = problems
        self.text = text_values
        self.private = private
        self.context = context

    def fail(self, where: str, message: str) -> Any:
        if self.private:
            # A check names the value last, as " (got ...)"; the value may itself hold ")".
            message = message.partition(" (got ")[0]
        self.problems.append(Problem(where, message))
        return _BAD

    def show(self, value: object) -> str:
        """The value as a message may name it: itself, or only its kind when private."""
        if not self.private:
            return _show(value)
        kinds = (
            (bool, "true/false"),
            (int | float, "a number"),
            (dt.date, "a date"),
            (str, "some text"),
            (list | tuple, "a list"),
            (Mapping, "a table"),
        )
        return next((name for kind, name in kinds if isinstance(value, kind)), "something else")

    def convert(self, tp: Any, value: object, where: str) -> Any:
        origin = typing.get_origin(tp)
        if dataclasses.is_dataclass(tp):
            return self.record(typing.cast(type[Any], tp), value, where)
        if origin in (types.UnionType, typing.Union):
            return self.optional(tp, value, where)
        if origin is Literal:
            return self.choice(typing.get_args(tp), value, where)
        if origin in (tuple, list):
            return self.sequence(tp, value, where)
        if origin is dict:
            return self.mapping(typing.get_args(tp)[1], value, where)
        scalar = _SCALARS.get(tp)
        if scalar is None:
            raise TypeError(f"schema type {tp!r} is not supported")
        return scalar(self, value, where)

    def record(self, cls: type[Any], value: object, where: str) -> Any:
        if not isinstance(value, Mapping):
            return self.fail(where, f"must be a table of keys and values, not {self.show(value)}")
        fields = {f.name: f for f in dataclasses.fields(cls)}
        for key in value:
            if key not in fields:
                self.unknown(where, key, fields)
        before = len(self.problems)
        kwargs = {}
        for name, f in fields.items():
            here = _join(where, name)
            raw = value.get(name, dataclasses.MISSING)
            if raw is dataclasses.MISSING or (self.text and raw == "" and _has_default(f)):
                if not _has_default(f):
                    self.fail(here, "is required but missing")
                continue
            converted = self.convert(_hints(cls)[name], raw, here)
            if converted is _BAD:
                continue
            if converted == "" and not _has_default(f):
                self.fail(here, "is required but empty")
                continue
            message = self.field_problem(f, converted)
            if message:
                self.fail(here, message)
                continue
            kwargs[name] = converted
        if len(self.problems) > before:
            return _BAD
        instance = cls(**kwargs)
        for problem in getattr(instance, "check", lambda: ())():
            self.problems.append(Problem(_join(where, problem.where), problem.message))
        return instance

    def field_problem(self, f: dataclasses.Field[Any], value: object) -> str | None:
        """What the field's own checks say of a converted value, if anything."""
        if value is None:
            return None
        check, against = f.metadata.get("check"), f.metadata.get("against")
        message: str | None = check(value) if check else None
        if message is None and against is not None and self.context is not None:
            message = against(value, self.context)
        return message

    def unknown(self, where: str, key: object, fields: Mapping[str, object]) -> None:
        """Report a key that is not a field; when private, only a key shaped like a field name
        is repeated (a stray key may be a patient's name or a note)."""
        if self.private and not _PLAIN_KEY.fullmatch(str(key)):
            self.fail(
                where, "has a key that is not a field name (not shown: it may hold patient data)"
            )
        else:
            self.fail(_join(where, str(key)), _unknown_key(str(key), fields))

    def optional(self, tp: Any, value: object, where: str) -> Any:
        if value is None or value == "":
            return None
        arms = [arm for arm in typing.get_args(tp) if arm is not type(None)]
        if len(arms) != 1:
            raise TypeError(f"only 'X | None' unions are supported, not {tp!r}")
        return self.convert(arms[0], value, where)

    def choice(self, options: tuple[Any, ...], value: object, where: str) -> Any:
        for option in options:
            if value == option:
                return option
            same_text = isinstance(value, str) and isinstance(option, str)
            if same_text and str(value).strip().lower() == str(option).lower():
                return option
        listed = ", ".join(str(o) for o in options)
        return self.fail(where, f"must be one of: {listed} (got {self.show(value)})")

    def sequence(self, tp: Any, value: object, where: str) -> Any:
        if self.text and isinstance(value, str):
            value = [part for part in re.split(r"[;\s]+", value) if part]
        if not isinstance(value, list | tuple):
            return self.fail(where, f"must be a list, not {self.show(value)}")
        item_type = typing.get_args(tp)[0]
        items = [self.convert(item_type, item, f"{where}[{i}]") for i, item in enumerate(value, 1)]
        if any(item is _BAD for item in items):
            return _BAD
        return tuple(items) if typing.get_origin(tp) is tuple else items

    def mapping(self, value_type: Any, value: object, where: str) -> Any:
        if not isinstance(value, Mapping):
            return self.fail(where, f"must be a table of keys and values, not {self.show(value)}")
        out = {str(k): self.convert(value_type, v, _join(where, str(k))) for k, v in value.items()}
        return _BAD if any(v is _BAD for v in out.values()) else out

    def text_(self, value: object, where: str) -> Any:
        if isinstance(value, str):
            return value.strip()
        hint = " (put it in quotes)" if isinstance(value, int | float | dt.date) else ""
        return self.fail(where, f"must be text, not {self.show(value)}{hint}")

    def translated(self, value: object, where: str) -> Any:
        if isinstance(value, str):
            return Text({DEFAULT_LANGUAGE: value.strip()})
        if not isinstance(value, Mapping):
            hint = "text, or a table of texts by language like {en: ..., es: ...}"
            return self.fail(where, f"must be {hint}, not {self.show(value)}")
        texts = {}
        for key, text in value.items():
            here = _join(where, str(key))
            message = validators.language(key) if isinstance(key, str) else None
            if not isinstance(key, str) or message:
                self.fail(here, message or "must be a language code such as en, fr or pt-BR")
                continue
            converted = self.text_(text, here)
            if converted is not _BAD:
                texts[key] = converted
        return Text(texts) if len(texts) == len(value) else _BAD

    def integer(self, value: object, where: str) -> Any:
        if self.text and isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return self.fail(where, f"must be a whole number, not {self.show(value)}")

    def number(self, value: object, where: str) -> Any:
        if self.text and isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        return self.fail(where, f"must be a number, not {self.show(value)}")

    def boolean(self, value: object, where: str) -> Any:
        if isinstance(value, bool):
            return value
        # Our YAML reads only true/false as booleans, so a patient's "yes" arrives as text.
        words = _TRUE | _FALSE if self.text else _YES_NO
        if isinstance(value, str) and value.strip().lower() in words:
            return value.strip().lower() in _TRUE
        return self.fail(where, f"must be true or false, not {self.show(value)}")

    def date(self, value: object, where: str) -> Any:
        if isinstance(value, dt.datetime):
            return self.fail(where, f"must be a date without a time, like 2026-01-31 (got {value})")
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str) and _DATE.fullmatch(value.strip()):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        got = self.show(value)
        return self.fail(where, f"must be a date written YYYY-MM-DD, like 2026-01-31 (got {got})")


_SCALARS: dict[Any, Callable[[_Converter, object, str], Any]] = {
    str: _Converter.text_,
    int: _Converter.integer,
    float: _Converter.number,
    bool: _Converter.boolean,
    dt.date: _Converter.date,
    Text: _Converter.translated,
}


def _has_default(f: dataclasses.Field[Any]) -> bool:
    return f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING


def _unknown_key(key: str, fields: Mapping[str, object]) -> str:
    close = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.7)
    if close:
        return f"unknown key (did you mean '{close[0]}'?)"
    return "unknown key (expected one of: " + ", ".join(fields) + ")"
